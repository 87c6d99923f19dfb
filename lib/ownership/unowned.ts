/**
 * The unowned queue: live ServiceAccounts (Kubernetes' own left out) and workloads that no Ownership names,
 * riskiest first, paged on the server, each with suggested owners (lib/ownership/suggest.ts) and the claims
 * waiting for a decision on it.
 *
 * Who sees what: everyone but service owners sees every subject without an owner of its own. A service owner
 * sees those that no team answers for at all (no owner of its own, none through the workloads running as it or
 * the ServiceAccount it runs as) and those of their own teams' scope (lib/auth/scope.ts): another team's
 * subjects are not shown to them, even when not owned directly, as everywhere else in the app.
 */
import { z } from 'zod';
import type { TeamScope } from '@/lib/auth/roles';
import { identityInScopeSql, workloadInScopeSql } from '@/lib/auth/scope';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { parseStored, stringMapSchema } from '@/lib/data/json';
import { labelEvidence, rankSuggestions, type Suggestion, type SuggestionEvidence } from './suggest';

/** The kinds the queue holds: ServiceAccount, and the top-level workload kinds. */
export const UNOWNED_KINDS = [
  'ServiceAccount',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'CronJob',
  'Job',
  'ReplicationController',
  'Pod',
] as const;

export const UNOWNED_PAGE_SIZE = 25;

export const unownedFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  /** ServiceAccount, or one workload kind; `identity` / `workload` for all of one side. */
  kind: z.enum([...UNOWNED_KINDS, 'identity', 'workload']).optional(),
  /** Part of the name or namespace. */
  q: z.string().trim().max(200).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(UNOWNED_PAGE_SIZE),
});
export type UnownedFilter = z.infer<typeof unownedFilterSchema>;

export interface PendingClaimRef {
  id: string;
  team: string;
  claimant: string;
  createdAt: string;
}

export interface UnownedItem {
  type: 'identity' | 'workload';
  id: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  /** Risk score 0–100 (null before the first scoring). */
  risk: number | null;
  /** The subject's page. */
  href: string;
  suggestions: Suggestion[];
  pendingClaims: PendingClaimRef[];
}

export interface UnownedPage {
  rows: UnownedItem[];
  total: number;
  page: number;
  pageSize: number;
}

/** SQL: no team answers for the identity `id`: no Ownership of its own, none of a workload running as it. */
export const identityOrphanSql = (id: Prisma.Sql) =>
  Prisma.sql`(NOT EXISTS (SELECT 1 FROM "Ownership" xo WHERE xo."identityId" = ${id})
    AND NOT EXISTS (SELECT 1 FROM "WorkloadIdentity" xwi JOIN "Ownership" xo ON xo."workloadId" = xwi."workloadId" WHERE xwi."identityId" = ${id}))`;

/** SQL: no team answers for the workload `id`: no Ownership of its own, none of an identity it runs as. */
export const workloadOrphanSql = (id: Prisma.Sql) =>
  Prisma.sql`(NOT EXISTS (SELECT 1 FROM "Ownership" xo WHERE xo."workloadId" = ${id})
    AND NOT EXISTS (SELECT 1 FROM "WorkloadIdentity" xwi JOIN "Ownership" xo ON xo."identityId" = xwi."identityId" WHERE xwi."workloadId" = ${id}))`;

/** SQL: a scoped viewer may see (and claim) the subject: nobody's, or in their teams' scope. */
export const identityVisibleSql = (scope: TeamScope, id: Prisma.Sql) =>
  scope ? Prisma.sql`(${identityOrphanSql(id)} OR ${identityInScopeSql(scope, id)})` : Prisma.sql`TRUE`;
export const workloadVisibleSql = (scope: TeamScope, id: Prisma.Sql) =>
  scope ? Prisma.sql`(${workloadOrphanSql(id)} OR ${workloadInScopeSql(scope, id)})` : Prisma.sql`TRUE`;

/**
 * SQL: the subjects without an owner of their own that teams answer for through the link (identities: the
 * workloads running as them; workloads: the ServiceAccounts they run as), none of these teams in `scope`. In the
 * queue, where subjects have no owner of their own, "not among these" is `identityVisibleSql`'s rule.
 */
function othersThroughLinkSql(scope: readonly string[], side: 'identity' | 'workload'): Prisma.Sql {
  const teams = Prisma.sql`${[...scope]}::uuid[]`;
  return side === 'identity'
    ? Prisma.sql`SELECT lwi."identityId" FROM "WorkloadIdentity" lwi JOIN "Ownership" lo ON lo."workloadId" = lwi."workloadId"
        GROUP BY 1 HAVING NOT bool_or(lo."teamId" = ANY(${teams}))`
    : Prisma.sql`SELECT lwi."workloadId" FROM "WorkloadIdentity" lwi JOIN "Ownership" lo ON lo."identityId" = lwi."identityId"
        GROUP BY 1 HAVING NOT bool_or(lo."teamId" = ANY(${teams}))`;
}

const SIDES: readonly string[] = ['identity', 'workload', 'ServiceAccount'];

const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function conditions(f: UnownedFilter, scope: TeamScope, side: 'identity' | 'workload'): Prisma.Sql {
  const alias = side === 'identity' ? Prisma.sql`i` : Prisma.sql`w`;
  const id = Prisma.sql`${alias}.id`;
  const and: Prisma.Sql[] = [Prisma.sql`${alias}."deletedAt" IS NULL`];
  if (side === 'identity') and.push(Prisma.sql`i.kind = 'ServiceAccount' AND NOT i."builtIn"`);
  if (side === 'workload' && f.kind && !SIDES.includes(f.kind)) and.push(Prisma.sql`w.kind = ${f.kind}`);
  and.push(
    Prisma.sql`NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o.${Prisma.raw(side === 'identity' ? '"identityId"' : '"workloadId"')} = ${id})`,
  );
  if (f.cluster) and.push(Prisma.sql`${alias}."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${f.cluster})`);
  if (f.namespace) and.push(Prisma.sql`${alias}.namespace = ${f.namespace}`);
  if (f.q) and.push(Prisma.sql`(${alias}.name ILIKE ${likeText(f.q)} OR ${alias}.namespace ILIKE ${likeText(f.q)})`);
  // A scoped viewer: not what other teams answer for through the link (one hashed set, not a check per row).
  if (scope) and.push(Prisma.sql`${id} NOT IN (${othersThroughLinkSql(scope, side)})`);
  return Prisma.join(and, ' AND ');
}

/** Whether the filter's kind takes in identities (ServiceAccount, identity) or workloads (workload, a workload kind). */
const wants = (f: UnownedFilter, side: 'identity' | 'workload') =>
  !f.kind ||
  (side === 'identity'
    ? f.kind === 'identity' || f.kind === 'ServiceAccount'
    : f.kind !== 'identity' && f.kind !== 'ServiceAccount');

interface Row {
  type: 'identity' | 'workload';
  id: string;
  clusterId: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  risk: number | null;
}

/** One page of the queue, riskiest first (unscored last), then by cluster, namespace and name. */
export async function unownedQueue(
  db: PrismaClient,
  filter: Partial<UnownedFilter> = {},
  scope: TeamScope = null,
): Promise<UnownedPage> {
  const f = unownedFilterSchema.parse(filter);
  const parts: Prisma.Sql[] = [];
  if (wants(f, 'identity'))
    parts.push(Prisma.sql`SELECT 'identity' AS type, i.id, i."clusterId", i.namespace, i.kind::text AS kind, i.name, rs.score AS risk
      FROM "Identity" i LEFT JOIN "RiskScore" rs ON rs."identityId" = i.id WHERE ${conditions(f, scope, 'identity')}`);
  if (wants(f, 'workload'))
    parts.push(Prisma.sql`SELECT 'workload' AS type, w.id, w."clusterId", w.namespace, w.kind, w.name, rs.score AS risk
      FROM "Workload" w LEFT JOIN "RiskScore" rs ON rs."workloadId" = w.id WHERE ${conditions(f, scope, 'workload')}`);
  if (!parts.length) return { rows: [], total: 0, page: f.page, pageSize: f.pageSize };
  const union = Prisma.join(parts, ' UNION ALL ');
  const [[count], rows] = await Promise.all([
    db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM (${union}) u`,
    db.$queryRaw<Row[]>`
      SELECT u.*, cl.name AS cluster FROM (${union}) u JOIN "Cluster" cl ON cl.id = u."clusterId"
      ORDER BY u.risk DESC NULLS LAST, cl.name, u.namespace, u.name, u.type, u.id
      LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
  ]);
  return { rows: await withSuggestions(db, rows), total: count?.n ?? 0, page: f.page, pageSize: f.pageSize };
}

/** The suggestions and pending claims of a page of subjects (a few queries for the whole page). */
async function withSuggestions(db: PrismaClient, rows: Row[]): Promise<UnownedItem[]> {
  if (!rows.length) return [];
  const identityIds = rows.filter((r) => r.type === 'identity').map((r) => r.id);
  const workloadIds = rows.filter((r) => r.type === 'workload').map((r) => r.id);
  const places = [...new Map(rows.map((r) => [`${r.clusterId}/${r.namespace}`, r])).values()];
  const clusterIds = places.map((p) => p.clusterId);
  const namespaces = places.map((p) => p.namespace);
  const [neighbours, related, teams, metas, namespaceMetas, claims] = await Promise.all([
    // Teams owning other live subjects of the same namespaces, with how many.
    db.$queryRaw<{ clusterId: string; namespace: string; team: string; n: number }[]>`
      SELECT x."clusterId", x.namespace, t.name AS team, count(DISTINCT x.subject)::int AS n FROM (
        SELECT i."clusterId", i.namespace, o."teamId", i.id AS subject
        FROM unnest(${clusterIds}::uuid[], ${namespaces}::text[]) AS p(c, n)
        JOIN "Identity" i ON i."clusterId" = p.c AND i.namespace = p.n JOIN "Ownership" o ON o."identityId" = i.id
        WHERE i."deletedAt" IS NULL
        UNION ALL
        SELECT w."clusterId", w.namespace, o."teamId", w.id
        FROM unnest(${clusterIds}::uuid[], ${namespaces}::text[]) AS p(c, n)
        JOIN "Workload" w ON w."clusterId" = p.c AND w.namespace = p.n JOIN "Ownership" o ON o."workloadId" = w.id
        WHERE w."deletedAt" IS NULL
      ) x JOIN "Team" t ON t.id = x."teamId" GROUP BY 1, 2, 3`,
    // Owners of the workloads running as each identity, and of the identities each workload runs as.
    db.$queryRaw<{ subject: string; side: 'identity' | 'workload'; team: string; n: number }[]>`
      SELECT wi."identityId" AS subject, 'identity' AS side, t.name AS team, count(DISTINCT wi."workloadId")::int AS n
      FROM "WorkloadIdentity" wi JOIN "Workload" w ON w.id = wi."workloadId" AND w."deletedAt" IS NULL
      JOIN "Ownership" o ON o."workloadId" = wi."workloadId" JOIN "Team" t ON t.id = o."teamId"
      WHERE wi."deletedAt" IS NULL AND wi."identityId" = ANY(${identityIds}::uuid[]) GROUP BY 1, 2, 3
      UNION ALL
      SELECT wi."workloadId", 'workload', t.name, count(DISTINCT wi."identityId")::int
      FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."identityId" = wi."identityId" JOIN "Team" t ON t.id = o."teamId"
      WHERE wi."deletedAt" IS NULL AND wi."workloadId" = ANY(${workloadIds}::uuid[]) GROUP BY 1, 2, 3`,
    db.team.findMany({ select: { name: true }, take: 5000 }),
    db.$queryRaw<{ id: string; labels: unknown; annotations: unknown }[]>`
      SELECT id, labels, annotations FROM "Identity" WHERE id = ANY(${identityIds}::uuid[])
      UNION ALL SELECT id, labels, annotations FROM "Workload" WHERE id = ANY(${workloadIds}::uuid[])`,
    db.namespace.findMany({
      where: { OR: places.map((p) => ({ clusterId: p.clusterId, name: p.namespace })) },
      select: { clusterId: true, name: true, labels: true, annotations: true },
    }),
    db.claim.findMany({
      where: { status: 'pending', OR: [{ identityId: { in: identityIds } }, { workloadId: { in: workloadIds } }] },
      orderBy: { createdAt: 'asc' },
      select: {
        id: true,
        identityId: true,
        workloadId: true,
        createdAt: true,
        team: { select: { name: true } },
        user: { select: { email: true } },
      },
    }),
  ]);
  const teamByName = new Map(teams.map((t) => [t.name.toLowerCase(), t.name]));
  const metaOf = new Map(metas.map((m) => [m.id, m]));
  const nsMetaOf = new Map(namespaceMetas.map((n) => [`${n.clusterId}/${n.name}`, n]));
  const map = (v: unknown, what: string) => parseStored(stringMapSchema, v ?? {}, what);
  return rows.map((r) => {
    const evidence: SuggestionEvidence[] = [];
    for (const x of related.filter((x) => x.subject === r.id && x.side === r.type))
      evidence.push({
        kind: 'related',
        team: x.team,
        count: x.n,
        why:
          r.type === 'identity'
            ? `owns ${x.n} workload${x.n === 1 ? '' : 's'} running as it`
            : `owns the ServiceAccount it runs as`,
      });
    const meta = metaOf.get(r.id);
    if (meta)
      evidence.push(
        ...labelEvidence(
          { labels: map(meta.labels, `labels of ${r.id}`), annotations: map(meta.annotations, `annotations of ${r.id}`) },
          teamByName,
        ),
      );
    const ns = nsMetaOf.get(`${r.clusterId}/${r.namespace}`);
    if (ns)
      evidence.push(
        ...labelEvidence(
          {
            labels: map(ns.labels, `labels of namespace ${ns.name}`),
            annotations: map(ns.annotations, `annotations of namespace ${ns.name}`),
          },
          teamByName,
          { label: `namespace ${ns.name} label`, annotation: `namespace ${ns.name} annotation` },
        ),
      );
    for (const x of neighbours.filter((x) => x.clusterId === r.clusterId && x.namespace === r.namespace))
      evidence.push({
        kind: 'namespace',
        team: x.team,
        count: x.n,
        why: `owns ${x.n} other${x.n === 1 ? '' : 's'} in namespace ${r.namespace}`,
      });
    return {
      type: r.type,
      id: r.id,
      cluster: r.cluster,
      namespace: r.namespace,
      kind: r.kind,
      name: r.name,
      risk: r.risk,
      href: r.type === 'identity' ? `/identities/${r.id}` : `/workloads/${r.id}`,
      suggestions: rankSuggestions(evidence),
      pendingClaims: claims
        .filter((c) => (r.type === 'identity' ? c.identityId : c.workloadId) === r.id)
        .map((c) => ({ id: c.id, team: c.team.name, claimant: c.user.email, createdAt: c.createdAt.toISOString() })),
    };
  });
}
