/**
 * Credentials, as every reader sees them (the Credentials page, /api/credentials, `nhi credentials`, the
 * identity page): metadata only, with class, age, expiry, last use, who holds and uses them, and their
 * open findings. Age and expiry are computed against `now`, passed in.
 */
import { isUuid } from '@/lib/validate';
import { z } from 'zod';
import { parseFilter } from '@/lib/http/query';
import { sortDirOf, sortFields, type SortColumns } from '@/lib/http/sort';
import { pagesOf } from '@/lib/http/list-export';
import { CLASS_INFO, CREDENTIAL_CLASSES, type CredentialClass, type Lifetime } from '@/lib/credentials/classify';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import type { TeamScope } from '@/lib/auth/roles';
import { identityInScope } from '@/lib/auth/scope';
import { severityRank, type Severity } from '@/lib/rbac/capabilities';
import { certificateFactsSchema, parseStored } from './json';

const DAY = 86_400_000;
const lifetimes = ['short-lived', 'long-lived', 'expiring'] as const;
const classesOf = (lifetime: Lifetime) => CREDENTIAL_CLASSES.filter((c) => CLASS_INFO[c].lifetime === lifetime);

/**
 * The credentials list's sortable columns, each with its first direction (no `sort`: most findings first,
 * then the oldest). `age` descending is the oldest first; `expires` ascending the soonest first.
 */
export const CREDENTIAL_SORTS = {
  name: 'asc',
  class: 'asc',
  age: 'desc',
  expires: 'asc',
  lastUsed: 'desc',
  findings: 'desc',
} as const satisfies SortColumns<string>;
export type CredentialSort = keyof typeof CREDENTIAL_SORTS;

/** The Credentials page's query string (and the CLI's options), validated. */
export const credentialFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  class: z.enum(CREDENTIAL_CLASSES).optional(),
  lifetime: z.enum(lifetimes).optional(),
  /** Older than this many days since created or last rotated. */
  olderThan: z.coerce.number().int().min(0).max(36_500).optional(),
  expiry: z.enum(['expired', '30d', '90d', 'none']).optional(),
  /** unknown: no use recorded; stale: last use older than 90 days; recent: used in the last 90 days. */
  lastUse: z.enum(['unknown', 'stale', 'recent']).optional(),
  owner: z.string().max(253).optional(),
  q: z.string().max(200).optional(),
  findings: z.enum(['any']).optional(),
  ...sortFields(CREDENTIAL_SORTS),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  /** The page of the federated and SPIFFE identities' table (Credentials page). */
  federatedPage: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type CredentialFilter = z.infer<typeof credentialFilterSchema>;

export const CREDENTIAL_PAGE_SIZE = 50;

export const parseCredentialFilter = (params: Record<string, string | string[] | undefined>) =>
  parseFilter(credentialFilterSchema, params);

function where(f: CredentialFilter, now: Date): Prisma.CredentialWhereInput {
  const and: Prisma.CredentialWhereInput[] = [{ deletedAt: null }];
  const before = (days: number) => new Date(now.getTime() - days * DAY);
  if (f.cluster) and.push({ cluster: { name: f.cluster } });
  if (f.namespace) and.push({ namespace: f.namespace });
  if (f.class) and.push({ class: f.class });
  if (f.lifetime) and.push({ class: { in: classesOf(f.lifetime) } });
  if (f.olderThan !== undefined) {
    const cutoff = before(f.olderThan);
    and.push({ OR: [{ rotatedAt: { lt: cutoff } }, { rotatedAt: null, createdInClusterAt: { lt: cutoff } }] });
  }
  if (f.expiry === 'expired') and.push({ expiresAt: { lt: now } });
  if (f.expiry === '30d') and.push({ expiresAt: { gte: now, lt: before(-30) } });
  if (f.expiry === '90d') and.push({ expiresAt: { gte: now, lt: before(-90) } });
  if (f.expiry === 'none') and.push({ expiresAt: null });
  if (f.lastUse === 'unknown') and.push({ lastUsedAt: null });
  if (f.lastUse === 'stale') and.push({ lastUsedAt: { lt: before(90) } });
  if (f.lastUse === 'recent') and.push({ lastUsedAt: { gte: before(90) } });
  if (f.owner === '(none)') and.push({ identity: { ownerships: { none: {} } } });
  else if (f.owner) and.push({ identity: { ownerships: { some: { team: { name: f.owner } } } } });
  if (f.q) and.push({ name: { contains: f.q, mode: 'insensitive' } });
  if (f.findings === 'any') and.push({ findings: { some: { status: 'open' } } });
  return { AND: and };
}

export interface CredentialRow {
  id: string;
  cluster: string;
  namespace: string;
  name: string;
  kind: string;
  class: CredentialClass;
  classTitle: string;
  classReason: string;
  lifetime: Lifetime;
  secretType: string | null;
  createdAt: string | null;
  rotatedAt: string | null;
  /** Whole days since created or last rotated (0 for projected tokens, renewed by the kubelet); null when unknown. */
  ageDays: number | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedSource: string | null;
  /** Identities that hold or use it: its ServiceAccount and the accounts its workloads run as. */
  identities: { id: string; kind: string; namespace: string; name: string }[];
  workloads: { id: string; kind: string; namespace: string; name: string; via: string[] }[];
  owners: string[];
  certificate: z.infer<typeof certificateFactsSchema> | null;
  findings: { open: number; worst: Severity | null };
  /** For projected tokens: audience and expirationSeconds as declared in the pod template. */
  token: { audience: string | null; expirationSeconds: number | null } | null;
}

const include = {
  cluster: { select: { name: true } },
  identity: { include: { ownerships: { include: { team: { select: { name: true } } } } } },
  uses: {
    where: { deletedAt: null, workload: { deletedAt: null } },
    include: {
      workload: {
        select: {
          id: true,
          kind: true,
          namespace: true,
          name: true,
          identities: { where: { deletedAt: null }, include: { identity: true } },
        },
      },
    },
  },
  findings: { where: { status: 'open' as const }, select: { severity: true } },
} satisfies Prisma.CredentialInclude;
type Loaded = Prisma.CredentialGetPayload<{ include: typeof include }>;

const tokenSchema = z.object({ audience: z.string().nullish(), expirationSeconds: z.number().nullish() }).partial();
const ageOf = (c: Pick<Loaded, 'rotatedAt' | 'createdInClusterAt'>, now: Date) => {
  const since = c.rotatedAt ?? c.createdInClusterAt;
  return since ? Math.max(0, Math.floor((now.getTime() - since.getTime()) / DAY)) : null;
};

function toRow(c: Loaded, now: Date): CredentialRow {
  const cls = (CREDENTIAL_CLASSES as readonly string[]).includes(c.class) ? (c.class as CredentialClass) : 'unrecognised-secret';
  const identities = new Map<string, CredentialRow['identities'][number]>();
  if (c.identity)
    identities.set(c.identity.id, {
      id: c.identity.id,
      kind: c.identity.kind,
      namespace: c.identity.namespace,
      name: c.identity.name,
    });
  const workloads = new Map<string, CredentialRow['workloads'][number]>();
  for (const u of c.uses) {
    const w = workloads.get(u.workload.id) ?? {
      id: u.workload.id,
      kind: u.workload.kind,
      namespace: u.workload.namespace,
      name: u.workload.name,
      via: [],
    };
    w.via = [...new Set([...w.via, u.via])].sort();
    workloads.set(w.id, w);
    for (const { identity: i } of u.workload.identities)
      identities.set(i.id, { id: i.id, kind: i.kind, namespace: i.namespace, name: i.name });
  }
  const where = `Credential ${c.namespace}/${c.name}`;
  const token = c.kind === 'ProjectedToken' ? parseStored(tokenSchema, c.metadata, `${where} metadata`) : null;
  return {
    id: c.id,
    cluster: c.cluster.name,
    namespace: c.namespace,
    name: c.name,
    kind: c.kind,
    class: cls,
    classTitle: CLASS_INFO[cls].title,
    classReason: c.classReason,
    lifetime: CLASS_INFO[cls].lifetime,
    secretType: c.secretType,
    createdAt: c.createdInClusterAt?.toISOString() ?? null,
    rotatedAt: c.rotatedAt?.toISOString() ?? null,
    // A projected token is issued per pod and renewed by the kubelet before it expires: never a day old.
    ageDays: cls === 'projected-service-account-token' ? 0 : ageOf(c, now),
    expiresAt: c.expiresAt?.toISOString() ?? null,
    lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
    lastUsedSource: c.lastUsedSource,
    identities: [...identities.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    workloads: [...workloads.values()].sort((a, b) =>
      `${a.namespace}/${a.kind}/${a.name}`.localeCompare(`${b.namespace}/${b.kind}/${b.name}`),
    ),
    owners: [...new Set(c.identity?.ownerships.map((o) => o.team.name) ?? [])].sort(),
    certificate: c.certificate === null ? null : parseStored(certificateFactsSchema, c.certificate, `${where} certificate`),
    findings: {
      open: c.findings.length,
      worst: c.findings.reduce<Severity | null>(
        (w, f) => (f.severity === 'info' ? w : w === null || severityRank(f.severity) > severityRank(w) ? f.severity : w),
        null,
      ),
    },
    token: token ? { audience: token.audience ?? null, expirationSeconds: token.expirationSeconds ?? null } : null,
  };
}

/** Long-lived first, then the oldest; short-lived tokens last. */
const order: Prisma.CredentialOrderByWithRelationInput[] = [
  { findings: { _count: 'desc' } },
  { createdInClusterAt: { sort: 'asc', nulls: 'last' } },
  { namespace: 'asc' },
  { name: 'asc' },
];

/** The list's order: the chosen column in its direction, then the default order, the id last (a total order). */
export function credentialOrderOf(f: Pick<CredentialFilter, 'sort' | 'dir'>): Prisma.CredentialOrderByWithRelationInput[] {
  if (!f.sort) return [...order, { id: 'asc' }];
  const d = sortDirOf(CREDENTIAL_SORTS, f.sort, f.dir);
  const flip = d === 'asc' ? 'desc' : 'asc';
  const first: Record<CredentialSort, Prisma.CredentialOrderByWithRelationInput[]> = {
    name: [{ name: d }, { namespace: d }],
    class: [{ class: d }],
    // Older first when descending: the earlier creation time.
    age: [{ createdInClusterAt: { sort: flip, nulls: 'last' } }],
    expires: [{ expiresAt: { sort: d, nulls: 'last' } }],
    lastUsed: [{ lastUsedAt: { sort: d, nulls: 'last' } }],
    findings: [{ findings: { _count: d } }],
  };
  return [...first[f.sort], ...order, { id: 'asc' }];
}

/** One page of credentials (`pageSize` and `count: false` for exports, which need no total). */
export async function listCredentials(
  db: PrismaClient,
  f: CredentialFilter,
  now: Date,
  scope: TeamScope = null,
  opts: { pageSize?: number; count?: boolean } = {},
): Promise<{ rows: CredentialRow[]; total: number }> {
  const pageSize = opts.pageSize ?? CREDENTIAL_PAGE_SIZE;
  const w: Prisma.CredentialWhereInput = scope ? { AND: [where(f, now), { identity: identityInScope(scope) }] } : where(f, now);
  const [total, rows] = await Promise.all([
    opts.count === false ? -1 : db.credential.count({ where: w }),
    db.credential.findMany({
      where: w,
      orderBy: credentialOrderOf(f),
      skip: (f.page - 1) * pageSize,
      take: pageSize,
      include,
    }),
  ]);
  return { total, rows: rows.map((c) => toRow(c, now)) };
}

/** Every row of the list's view (all pages, in its order, at most `limit`), 1,000 at a time, for its export. */
export async function* credentialViewRows(
  db: PrismaClient,
  f: CredentialFilter,
  now: Date,
  scope: TeamScope,
  limit: number,
): AsyncGenerator<CredentialRow> {
  yield* pagesOf((page, take) => listCredentials(db, { ...f, page }, now, scope, { pageSize: take, count: false }), limit);
}

/** An export's columns: metadata only (names, class, dates, holders), never a Secret's value. */
export const CREDENTIAL_EXPORT_COLUMNS = [
  'id',
  'cluster',
  'namespace',
  'name',
  'kind',
  'class',
  'lifetime',
  'secretType',
  'createdAt',
  'rotatedAt',
  'ageDays',
  'expiresAt',
  'lastUsedAt',
  'heldBy',
  'usedBy',
  'owners',
  'openFindings',
  'worstFinding',
] as const;

/** A credential as an export record. */
export function credentialExportRecord(r: CredentialRow): Record<(typeof CREDENTIAL_EXPORT_COLUMNS)[number], unknown> {
  const ref = (x: { kind: string; namespace: string; name: string }) =>
    `${x.kind} ${x.namespace ? `${x.namespace}/` : ''}${x.name}`;
  return {
    id: r.id,
    cluster: r.cluster,
    namespace: r.namespace,
    name: r.name,
    kind: r.kind,
    class: r.class,
    lifetime: r.lifetime,
    secretType: r.secretType,
    createdAt: r.createdAt,
    rotatedAt: r.rotatedAt,
    ageDays: r.ageDays,
    expiresAt: r.expiresAt,
    lastUsedAt: r.lastUsedAt,
    heldBy: r.identities.map(ref),
    usedBy: r.workloads.map(ref),
    owners: r.owners,
    openFindings: r.findings.open,
    worstFinding: r.findings.worst,
  };
}

/** Every credential matching the filter (all pages), for the CLI and exports. */
export async function allCredentials(db: PrismaClient, f: CredentialFilter, now: Date): Promise<CredentialRow[]> {
  const rows = await db.credential.findMany({ where: where(f, now), orderBy: credentialOrderOf(f), include });
  return rows.map((c) => toRow(c, now));
}

/**
 * The credentials whose ids `ids` selects (SQL giving one column), in `order`, read with what a row shows. The
 * few ids are ordered in SQL with their findings counted one by one (the Prisma form counted every finding of
 * every credential to order a handful: a second at 100,000 identities).
 */
async function credentialsIn(db: PrismaClient, ids: Prisma.Sql, now: Date): Promise<CredentialRow[]> {
  const ordered = await db.$queryRaw<{ id: string }[]>`
    SELECT c.id FROM "Credential" c WHERE c.id IN (${ids})
    ORDER BY (SELECT count(*) FROM "Finding" f WHERE f."credentialId" = c.id) DESC, c."createdInClusterAt" ASC NULLS LAST,
             c.namespace, c.name, c.id`;
  if (!ordered.length) return [];
  const rows = await db.credential.findMany({ where: { id: { in: ordered.map((r) => r.id) } }, include });
  const byId = new Map(rows.map((c) => [c.id, c]));
  return ordered.flatMap(({ id }) => {
    const c = byId.get(id);
    return c ? [toRow(c, now)] : [];
  });
}

/** The credentials an identity holds or its workloads use (identity page). */
export async function credentialsOfIdentity(db: PrismaClient, identityId: string, now: Date): Promise<CredentialRow[]> {
  if (!isUuid(identityId)) return [];
  return credentialsIn(
    db,
    Prisma.sql`SELECT id FROM "Credential" WHERE "identityId" = ${identityId}::uuid AND "deletedAt" IS NULL
      UNION
      SELECT cu."credentialId" FROM "WorkloadIdentity" wi
        JOIN "Workload" w ON w.id = wi."workloadId" AND w."deletedAt" IS NULL
        JOIN "CredentialUse" cu ON cu."workloadId" = w.id AND cu."deletedAt" IS NULL
        JOIN "Credential" c ON c.id = cu."credentialId" AND c."deletedAt" IS NULL
      WHERE wi."identityId" = ${identityId}::uuid AND wi."deletedAt" IS NULL`,
    now,
  );
}

/** The credentials a workload uses (workload page). */
export async function credentialsOfWorkload(db: PrismaClient, workloadId: string, now: Date): Promise<CredentialRow[]> {
  if (!isUuid(workloadId)) return [];
  return credentialsIn(
    db,
    Prisma.sql`SELECT cu."credentialId" FROM "CredentialUse" cu JOIN "Credential" c ON c.id = cu."credentialId" AND c."deletedAt" IS NULL
      WHERE cu."workloadId" = ${workloadId}::uuid AND cu."deletedAt" IS NULL`,
    now,
  );
}

/** Cloud workload identities and SPIFFE IDs a ServiceAccount is federated to: short-lived credentials, no Secret. */
export interface FederatedCredential {
  cluster: string;
  class: Extract<CredentialClass, 'workload-identity-federation' | 'spiffe-svid'>;
  /** aws-irsa, gcp-workload-identity, azure-workload-identity, spiffe */
  link: string;
  target: string;
  provider: string | null;
  serviceAccount: { id: string; namespace: string; name: string };
  source: string;
  workloads: { kind: string; namespace: string; name: string }[];
}

/** Rows of the Credentials page's federated table. */
export const FEDERATED_PAGE_SIZE = 100;

/** Only links read from an authoritative object (annotations, ClusterSPIFFEIDs), not ones inferred by convention. */
export async function federatedCredentials(
  db: PrismaClient,
  f: Pick<CredentialFilter, 'cluster' | 'namespace'>,
): Promise<FederatedCredential[]> {
  return (await federated(db, f, null)).rows;
}

/** One page of `federatedCredentials` (a cluster may have thousands), and how many there are in all. */
export function federatedCredentialPage(
  db: PrismaClient,
  f: Pick<CredentialFilter, 'cluster' | 'namespace' | 'federatedPage'>,
): Promise<{ rows: FederatedCredential[]; total: number }> {
  return federated(db, f, { offset: (f.federatedPage - 1) * FEDERATED_PAGE_SIZE, limit: FEDERATED_PAGE_SIZE });
}

async function federated(
  db: PrismaClient,
  f: Pick<CredentialFilter, 'cluster' | 'namespace'>,
  page: { offset: number; limit: number } | null,
): Promise<{ rows: FederatedCredential[]; total: number }> {
  const where = Prisma.sql`l."deletedAt" IS NULL AND NOT l.inferred AND s."deletedAt" IS NULL
    ${f.cluster ? Prisma.sql`AND c.name = ${f.cluster}` : Prisma.empty}
    ${f.namespace ? Prisma.sql`AND s.namespace = ${f.namespace}` : Prisma.empty}`;
  const from = Prisma.sql`"IdentityLink" l JOIN "Identity" s ON s.id = l."fromId" JOIN "Identity" t ON t.id = l."toId"
    JOIN "Cluster" c ON c.id = s."clusterId"`;
  // One statement for the rows (the workloads aggregated per ServiceAccount in SQL), one for the count.
  const [rows, count] = await Promise.all([
    db.$queryRaw<
      {
        cluster: string;
        link: string;
        target: string;
        provider: string | null;
        id: string;
        namespace: string;
        name: string;
        source: string;
        workloads: { kind: string; namespace: string; name: string }[];
      }[]
    >`
      SELECT c.name AS cluster, l.kind AS link, t.name AS target, t.provider, s.id, s.namespace, s.name, l.source,
             COALESCE((SELECT json_agg(json_build_object('kind', w.kind, 'namespace', w.namespace, 'name', w.name)
                                       ORDER BY w.namespace, w.kind, w.name)
                       FROM "WorkloadIdentity" wi JOIN "Workload" w ON w.id = wi."workloadId"
                       WHERE wi."identityId" = s.id AND wi."deletedAt" IS NULL AND w."deletedAt" IS NULL), '[]'::json) AS workloads
      FROM ${from} WHERE ${where}
      ORDER BY l.kind, t.name, c.name, s.namespace, s.name
      ${page ? Prisma.sql`LIMIT ${page.limit} OFFSET ${page.offset}` : Prisma.empty}`,
    page ? db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ${from} WHERE ${where}` : null,
  ]);
  return {
    total: count?.[0]?.n ?? rows.length,
    rows: rows.map((r) => ({
      cluster: r.cluster,
      class: r.link === 'spiffe' ? 'spiffe-svid' : 'workload-identity-federation',
      link: r.link,
      target: r.target,
      provider: r.provider,
      serviceAccount: { id: r.id, namespace: r.namespace, name: r.name },
      source: r.source,
      workloads: r.workloads,
    })),
  };
}

/** Short-lived coverage: the latest per scope, and the cluster-wide trend over collections. */
export async function credentialCoverage(db: PrismaClient, clusterName?: string) {
  const clusters = await db.cluster.findMany({
    where: clusterName ? { name: clusterName } : {},
    orderBy: { name: 'asc' },
    select: { id: true, name: true },
  });
  return Promise.all(
    clusters.map(async (c) => {
      const latest = await db.credentialCoverage.findFirst({
        where: { clusterId: c.id },
        orderBy: { at: 'desc' },
        select: { at: true },
      });
      const [scopes, trend] = await Promise.all([
        latest
          ? db.credentialCoverage.findMany({
              where: { clusterId: c.id, at: latest.at },
              orderBy: [{ scopeKind: 'asc' }, { scope: 'asc' }],
            })
          : [],
        db.credentialCoverage.findMany({
          where: { clusterId: c.id, scopeKind: 'cluster' },
          orderBy: { at: 'desc' },
          take: 200,
          select: { at: true, workloads: true, shortLived: true, longLived: true, none: true },
        }),
      ]);
      return {
        cluster: c.name,
        at: latest?.at.toISOString() ?? null,
        scopes: scopes.map(({ scopeKind, scope, workloads, shortLived, longLived, none }) => ({
          scopeKind,
          scope,
          workloads,
          shortLived,
          longLived,
          none,
        })),
        trend: trend.reverse().map((t) => ({ ...t, at: t.at.toISOString() })),
      };
    }),
  );
}
export type CredentialCoverageView = Awaited<ReturnType<typeof credentialCoverage>>[number];
