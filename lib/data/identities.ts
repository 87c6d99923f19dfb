/**
 * Identities, as every reader sees them: the filtered, paged list (identities page), the full inventory
 * with links (`nhi identities`, exports) and one identity's detail (identity page). One filter, parsed
 * with zod, serves all of them; stored JSON is parsed here, so callers get typed values.
 */
import { z } from 'zod';
import { parseFilter } from '@/lib/http/query';
import { sortDirOf, sortFields, type SortColumns } from '@/lib/http/sort';
import type pg from 'pg';
import type { PrismaClient } from '@/lib/db/client';
import { streamRows } from '@/lib/reports/stream';
import { Prisma } from '@/lib/db/generated/client';
import type { TeamScope } from '@/lib/auth/roles';
import { identityInScope, identityInScopeSql } from '@/lib/auth/scope';
import {
  credentialMetadataSchema,
  escalationStepSchema,
  escalationTargetSchema,
  parseStored,
  reachBindingSchema,
  reachCapabilitySchema,
  stringListSchema,
  stringMapSchema,
} from './json';

export const identityKinds = ['ServiceAccount', 'CloudIdentity', 'SpiffeId', 'User', 'Group'] as const;

/** The identities list's sortable columns, each with its first direction (no `sort`: riskiest first). */
export const IDENTITY_SORTS = {
  risk: 'desc',
  name: 'asc',
  namespace: 'asc',
  cluster: 'asc',
  workloads: 'desc',
  anomalies: 'desc',
} as const satisfies SortColumns<string>;
export type IdentitySort = keyof typeof IDENTITY_SORTS;

/** The identities list's query string, validated: anything else is rejected with a message naming the field. */
export const identityFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  kind: z.enum(identityKinds).optional(),
  q: z.string().max(200).optional(),
  risk: z.enum(['cluster-admin', 'critical', 'high', 'any']).optional(),
  builtIn: z.enum(['hide', 'show']).default('hide'),
  deleted: z.enum(['hide', 'show']).default('hide'),
  ...sortFields(IDENTITY_SORTS),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type IdentityFilter = z.infer<typeof identityFilterSchema>;

export const parseIdentityFilter = (params: Record<string, string | string[] | undefined>) =>
  parseFilter(identityFilterSchema, params);

export const PAGE_SIZE = 50;

/** The anomaly statuses that still need a decision or a fix (`active` in lib/data/anomalies.ts). */
const ACTIVE_ANOMALY = ['open', 'acknowledged'] as const;

function where(f: IdentityFilter): Prisma.IdentityWhereInput {
  const and: Prisma.IdentityWhereInput[] = [];
  if (f.deleted === 'hide') and.push({ deletedAt: null });
  if (f.cluster) and.push({ cluster: { name: f.cluster } });
  if (f.namespace) and.push({ namespace: f.namespace });
  if (f.kind) and.push({ kind: f.kind });
  if (f.builtIn === 'hide') and.push({ builtIn: false });
  if (f.q)
    and.push({ OR: [{ name: { contains: f.q, mode: 'insensitive' } }, { namespace: { contains: f.q, mode: 'insensitive' } }] });
  if (f.risk === 'cluster-admin') and.push({ reach: { reachesClusterAdmin: true } });
  if (f.risk === 'critical') and.push({ reach: { maxSeverity: 'critical' } });
  if (f.risk === 'high') and.push({ reach: { maxSeverity: { in: ['high', 'critical'] } } });
  if (f.risk === 'any') and.push({ reach: { capabilityCount: { gt: 0 } } });
  return { AND: and };
}

// ---- the list page ------------------------------------------------------------------------------

export interface IdentityListRow {
  id: string;
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  builtIn: boolean;
  deleted: boolean;
  workloads: number;
  capabilityCount: number | null;
  maxSeverity: string | null;
  reachesClusterAdmin: boolean | null;
  escalationDistance: number | null;
  owners: string[];
  /** Open and acknowledged anomalies of the identity. */
  anomalies: number;
  /** Risk score 0–100 (null before the first scoring). */
  risk: number | null;
}

/** A LIKE pattern that matches `s` literally (`%`, `_` and the backslash escaped). */
const likeText = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The list's filter (and team scope) as SQL over `"Identity" i LEFT JOIN "IdentityReach" r`: what `where` says. */
function whereSql(f: IdentityFilter, scope: TeamScope): Prisma.Sql {
  const and: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.deleted === 'hide') and.push(Prisma.sql`i."deletedAt" IS NULL`);
  if (f.cluster) and.push(Prisma.sql`i."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${f.cluster})`);
  if (f.namespace) and.push(Prisma.sql`i.namespace = ${f.namespace}`);
  if (f.kind) and.push(Prisma.sql`i.kind::text = ${f.kind}`);
  if (f.builtIn === 'hide') and.push(Prisma.sql`NOT i."builtIn"`);
  if (f.q) {
    const like = `%${likeText(f.q)}%`;
    and.push(Prisma.sql`(i.name ILIKE ${like} OR i.namespace ILIKE ${like})`);
  }
  if (f.risk === 'cluster-admin') and.push(Prisma.sql`r."reachesClusterAdmin"`);
  if (f.risk === 'critical') and.push(Prisma.sql`r."maxSeverity"::text = 'critical'`);
  if (f.risk === 'high') and.push(Prisma.sql`r."maxSeverity"::text IN ('high', 'critical')`);
  if (f.risk === 'any') and.push(Prisma.sql`r."capabilityCount" > 0`);
  if (scope) and.push(identityInScopeSql(scope, Prisma.sql`i.id`));
  return Prisma.join(and, ' AND ');
}

/**
 * The ORDER BY of the identities list (and the joins it needs), each served by an index on "Identity".
 *
 * No `sort`: riskiest first — highest risk score (unscored first), fewest steps to cluster-admin, worst
 * severity, most capabilities, then namespace, name and id — read from the stored key "riskSort" (those four
 * as one number, kept by triggers: migration identity_risk_sort) with Identity_riskSort_namespace_name_id_idx.
 * With deleted identities shown (never scored) the score is left out, as before, and the list is sorted.
 *
 * A chosen column sorts by it and then by namespace, name and id, the whole key one way (descending: the exact
 * reverse), so that its index serves it read forwards or backwards: risk ("riskSort"), name, namespace,
 * workloads and anomalies (the stored counts "workloadCount" and "anomalyCount", kept by triggers: migration
 * identity_list_sort). Cluster sorts by the cluster's name (few clusters: a sort of the page's candidates).
 */
export function identityOrderSql(f: Pick<IdentityFilter, 'sort' | 'dir' | 'deleted'>): {
  joins: Prisma.Sql;
  order: Prisma.Sql;
} {
  if (!f.sort && f.deleted === 'show')
    return {
      joins: Prisma.empty,
      order: Prisma.sql`r."escalationDistance" ASC NULLS LAST, r."maxSeverity" DESC NULLS LAST, r."capabilityCount" DESC,
        i.namespace ASC, i.name ASC, i.id ASC`,
    };
  if (!f.sort) return { joins: Prisma.empty, order: Prisma.sql`i."riskSort" DESC, i.namespace ASC, i.name ASC, i.id ASC` };
  const dir = sortDirOf(IDENTITY_SORTS, f.sort, f.dir);
  const d = Prisma.raw(dir === 'asc' ? 'ASC' : 'DESC');
  const tail = Prisma.sql`i.namespace ${d}, i.name ${d}, i.id ${d}`;
  switch (f.sort) {
    case 'risk': {
      // The index is (riskSort DESC, namespace, name, id): riskiest first reads it forwards, the reverse backwards.
      const r = Prisma.raw(dir === 'asc' ? 'DESC' : 'ASC');
      return { joins: Prisma.empty, order: Prisma.sql`i."riskSort" ${d}, i.namespace ${r}, i.name ${r}, i.id ${r}` };
    }
    case 'name':
      return { joins: Prisma.empty, order: Prisma.sql`i.name ${d}, i.namespace ${d}, i.id ${d}` };
    case 'namespace':
      return { joins: Prisma.empty, order: tail };
    case 'cluster':
      return {
        joins: Prisma.sql`JOIN "Cluster" cl ON cl.id = i."clusterId"`,
        order: Prisma.sql`cl.name ${d}, ${tail}`,
      };
    case 'workloads':
      return { joins: Prisma.empty, order: Prisma.sql`i."workloadCount" ${d}, ${tail}` };
    case 'anomalies':
      return { joins: Prisma.empty, order: Prisma.sql`i."anomalyCount" ${d}, ${tail}` };
  }
}

/**
 * One page of identities in the filter's order (identityOrderSql; by default riskiest first: highest risk
 * score (lib/risk), then fewest steps to cluster-admin, severity and number of capabilities). `pageSize` and
 * `count: false` are for exports, which read every page in turn and need no total.
 *
 * The page's ids are chosen in SQL over the narrow sort keys only (at 100,000 identities, ordering whole rows
 * with their per-identity counts took seconds on deep pages); the 50 rows are then read with what they show,
 * and their workload and anomaly counts counted for those 50 alone.
 */
export async function listIdentities(
  db: PrismaClient,
  f: IdentityFilter,
  scope: TeamScope = null,
  opts: { pageSize?: number; count?: boolean } = {},
): Promise<{ rows: IdentityListRow[]; total: number }> {
  const pageSize = opts.pageSize ?? PAGE_SIZE;
  const w = whereSql(f, scope);
  const from = Prisma.sql`"Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id`;
  const { joins, order } = identityOrderSql(f);
  const [[count], page] = await Promise.all([
    opts.count === false ? [{ n: -1 }] : db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ${from} WHERE ${w}`,
    db.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM ${from} ${joins}
      WHERE ${w} ORDER BY ${order} LIMIT ${pageSize} OFFSET ${(f.page - 1) * pageSize}`,
  ]);
  const ids = page.map((p) => p.id);
  return { total: count?.n ?? 0, rows: ids.length ? await identityRowsOf(db, ids) : [] };
}

/** The list's rows of these identities, in this order, with what the list shows (ids gone meanwhile are left out). */
async function identityRowsOf(db: PrismaClient, ids: string[]): Promise<IdentityListRow[]> {
  const [rows, workloads, anomalies] = await Promise.all([
    db.identity.findMany({
      where: { id: { in: ids } },
      include: {
        cluster: { select: { name: true } },
        reach: { select: { capabilityCount: true, maxSeverity: true, reachesClusterAdmin: true, escalationDistance: true } },
        risk: { select: { score: true } },
        ownerships: { include: { team: { select: { name: true } } } },
      },
    }),
    db.workloadIdentity.groupBy({
      by: ['identityId'],
      where: { identityId: { in: ids }, deletedAt: null },
      _count: { _all: true },
    }),
    db.anomaly.groupBy({
      by: ['identityId'],
      where: { identityId: { in: ids }, status: { in: [...ACTIVE_ANOMALY] } },
      _count: { _all: true },
    }),
  ]);
  const byId = new Map(rows.map((i) => [i.id, i]));
  const workloadCount = new Map(workloads.map((c) => [c.identityId, c._count._all]));
  const anomalyCount = new Map(anomalies.map((c) => [c.identityId, c._count._all]));
  return ids.flatMap((id) => {
    const i = byId.get(id);
    if (!i) return []; // deleted between the two reads
    return [
      {
        id: i.id,
        cluster: i.cluster.name,
        kind: i.kind,
        namespace: i.namespace,
        name: i.name,
        builtIn: i.builtIn,
        deleted: i.deletedAt !== null,
        workloads: workloadCount.get(i.id) ?? 0,
        capabilityCount: i.reach?.capabilityCount ?? null,
        maxSeverity: i.reach?.maxSeverity ?? null,
        reachesClusterAdmin: i.reach?.reachesClusterAdmin ?? null,
        escalationDistance: i.reach?.escalationDistance ?? null,
        owners: [...new Set(i.ownerships.map((o) => o.team.name))],
        anomalies: anomalyCount.get(i.id) ?? 0,
        risk: i.risk?.score ?? null,
      },
    ];
  });
}

/**
 * Every row of the list's view (all pages, in its order, at most `limit`), for its export: the ids in one
 * query read through a cursor (pg-query-stream, one snapshot), their rows read 500 at a time — constant memory.
 */
export async function* identityViewRows(
  db: PrismaClient,
  pool: pg.Pool,
  f: IdentityFilter,
  scope: TeamScope,
  limit: number,
): AsyncGenerator<IdentityListRow> {
  const { joins, order } = identityOrderSql(f);
  const q = Prisma.sql`
    SELECT i.id FROM "Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id ${joins}
    WHERE ${whereSql(f, scope)} ORDER BY ${order} LIMIT ${limit}`;
  let batch: string[] = [];
  for await (const { id } of streamRows<{ id: string }>(pool, q.text, q.values, 1000)) {
    batch.push(id);
    if (batch.length === 500) {
      yield* await identityRowsOf(db, batch);
      batch = [];
    }
  }
  if (batch.length) yield* await identityRowsOf(db, batch);
}

/** The export's columns, in order (what the list shows; no credential values anywhere). */
export const IDENTITY_EXPORT_COLUMNS = [
  'id',
  'cluster',
  'kind',
  'namespace',
  'name',
  'builtIn',
  'deleted',
  'risk',
  'workloads',
  'anomalies',
  'capabilityCount',
  'maxSeverity',
  'reachesClusterAdmin',
  'escalationDistance',
  'owners',
] as const satisfies readonly (keyof IdentityListRow)[];

// ---- the inventory with links (CLI, exports) ------------------------------------------------------

export interface IdentityInventoryRow {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string | null;
  provider: string | null;
  builtIn: boolean;
  automountToken: boolean | null;
  deletedAt: string | null;
  workloads: { kind: string; namespace: string; name: string; podCount: number; automountToken: boolean | null }[];
  /** Owned by the identity or used by its workloads; `via`: how its workloads get it (env, volume, …). Metadata only. */
  credentials: {
    kind: string;
    namespace: string;
    name: string;
    secretType: string | null;
    via: string[];
    createdInClusterAt: string | null;
    metadata: Record<string, unknown>;
  }[];
  linkedIdentities: { kind: string; name: string; provider: string | null; link: string; inferred: boolean; source: string }[];
  owners: { team: string; origin: string; source: string | null }[];
}

const byText =
  <T>(...keys: ((x: T) => string)[]) =>
  (a: T, b: T) => {
    for (const k of keys) {
      const d = k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0;
      if (d) return d;
    }
    return 0;
  };

/**
 * Every identity matching the filter (all pages), with the workloads running as it, the credentials it
 * owns or its workloads use, its linked cloud/SPIFFE identities and its owners.
 */
export async function identityInventory(db: PrismaClient, f: IdentityFilter): Promise<IdentityInventoryRow[]> {
  const live = { deletedAt: null };
  const rows = await db.identity.findMany({
    where: where(f),
    orderBy: [{ cluster: { name: 'asc' } }, { kind: 'asc' }, { namespace: 'asc' }, { name: 'asc' }],
    include: {
      cluster: { select: { name: true } },
      workloads: {
        where: { ...live, workload: live },
        include: {
          workload: {
            select: {
              kind: true,
              namespace: true,
              name: true,
              podCount: true,
              automountToken: true,
              credentialUses: { where: { ...live, credential: live }, select: { via: true, credential: true } },
            },
          },
        },
      },
      credentials: { where: live },
      linksFrom: { where: live, include: { to: true } },
      ownerships: { include: { team: { select: { name: true } } } },
    },
  });
  return rows.map((i) => {
    type Cred = (typeof i.credentials)[number];
    const creds = new Map<string, { credential: Cred; via: Set<string> }>();
    for (const c of i.credentials) creds.set(c.id, { credential: c, via: new Set() });
    for (const { workload } of i.workloads)
      for (const use of workload.credentialUses) {
        const entry = creds.get(use.credential.id) ?? { credential: use.credential, via: new Set<string>() };
        entry.via.add(use.via);
        creds.set(use.credential.id, entry);
      }
    return {
      cluster: i.cluster.name,
      kind: i.kind,
      namespace: i.namespace,
      name: i.name,
      uid: i.uid,
      provider: i.provider,
      builtIn: i.builtIn,
      automountToken: i.automountToken,
      deletedAt: i.deletedAt?.toISOString() ?? null,
      workloads: i.workloads
        .map(({ workload: w }) => ({
          kind: w.kind,
          namespace: w.namespace,
          name: w.name,
          podCount: w.podCount,
          automountToken: w.automountToken,
        }))
        .sort(
          byText(
            (w) => w.namespace,
            (w) => w.kind,
            (w) => w.name,
          ),
        ),
      credentials: [...creds.values()]
        .map(({ credential: c, via }) => ({
          kind: c.kind,
          namespace: c.namespace,
          name: c.name,
          secretType: c.secretType,
          via: [...via].sort(),
          createdInClusterAt: c.createdInClusterAt?.toISOString() ?? null,
          metadata: parseStored(credentialMetadataSchema, c.metadata, `Credential.metadata of ${c.namespace}/${c.name}`),
        }))
        .sort(
          byText(
            (c) => c.kind,
            (c) => c.name,
          ),
        ),
      linkedIdentities: i.linksFrom
        .map((l) => ({
          kind: l.to.kind,
          name: l.to.name,
          provider: l.to.provider,
          link: l.kind,
          inferred: l.inferred,
          source: l.source,
        }))
        .sort(
          byText(
            (l) => l.link,
            (l) => l.name,
          ),
        ),
      owners: i.ownerships.map((o) => ({ team: o.team.name, origin: o.origin, source: o.source })).sort(byText((o) => o.team)),
    };
  });
}

// ---- one identity ---------------------------------------------------------------------------------

/** What the identity page shows about the identity itself, stored JSON parsed (its credentials: lib/data/credentials.ts). */
export async function getIdentity(db: PrismaClient, id: string) {
  if (!z.uuid().safeParse(id).success) return null;
  const identity = await db.identity.findUnique({
    where: { id },
    include: {
      cluster: { select: { name: true } },
      reach: true,
      workloads: { where: { deletedAt: null }, include: { workload: true } },
      linksFrom: { where: { deletedAt: null }, include: { to: true } },
      linksTo: { where: { deletedAt: null }, include: { from: true } },
      ownerships: { include: { team: true } },
    },
  });
  if (!identity) return null;
  // Its own events, and those of the credentials it holds or its workloads use (rotations).
  const timeline = await db.timelineEvent.findMany({
    where: {
      OR: [
        { identityId: id },
        {
          credential: {
            OR: [
              { identityId: id },
              { uses: { some: { workload: { identities: { some: { identityId: id, deletedAt: null } } } } } },
            ],
          },
        },
      ],
    },
    orderBy: { at: 'desc' },
    take: 50,
  });
  const { reach, workloads, ...rest } = identity;
  const of = `of identity ${id}`;
  return {
    ...rest,
    reach: reach && {
      ...reach,
      capabilities: parseStored(z.array(reachCapabilitySchema), reach.capabilities, `IdentityReach.capabilities ${of}`),
      bindings: parseStored(z.array(reachBindingSchema), reach.bindings, `IdentityReach.bindings ${of}`),
      escalationSteps: parseStored(z.array(escalationStepSchema), reach.escalationSteps, `IdentityReach.escalationSteps ${of}`),
      escalationTargets: parseStored(
        z.array(escalationTargetSchema),
        reach.escalationTargets,
        `IdentityReach.escalationTargets ${of}`,
      ),
    },
    timeline,
    workloads: workloads.map(({ workload: w }) => ({
      ...w,
      images: parseStored(stringListSchema, w.images, `Workload.images of ${w.namespace}/${w.name}`),
      labels: parseStored(stringMapSchema, w.labels, `Workload.labels of ${w.namespace}/${w.name}`),
    })),
  };
}
export type IdentityDetail = NonNullable<Awaited<ReturnType<typeof getIdentity>>>;

// ---- escalation paths, anomalous sources first (overview) ----------------------------------------

export interface EscalationPathRow {
  id: string;
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  builtIn: boolean;
  /** Attacker actions to cluster-admin-equivalent (0: already is). */
  distance: number;
  maxSeverity: string | null;
  /** Open and acknowledged anomalies of the identity. */
  anomalies: number;
  /** The first step of its path in words (null when none is stored). */
  firstStep: string | null;
}

export const escalationPathsQuerySchema = z.object({
  cluster: z.string().max(253).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
export type EscalationPathsQuery = z.input<typeof escalationPathsQuerySchema>;

const SEVERITY_ORDER = ['info', 'low', 'medium', 'high', 'critical'];
const severityOrder = (s: string | null) => (s === null ? -1 : SEVERITY_ORDER.indexOf(s));

/**
 * Escalation paths ranked for triage: identities with active anomalies first (more first), then fewer steps
 * to cluster-admin, then the worse severity of what they hold; then by cluster, namespace and name.
 */
export function rankEscalationPaths<
  T extends Pick<EscalationPathRow, 'anomalies' | 'distance' | 'maxSeverity' | 'cluster' | 'namespace' | 'name'>,
>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) =>
      b.anomalies - a.anomalies ||
      a.distance - b.distance ||
      severityOrder(b.maxSeverity) - severityOrder(a.maxSeverity) ||
      a.cluster.localeCompare(b.cluster) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
}

/**
 * Live identities with a path to cluster-admin (IdentityReach.escalationDistance not null), each with its
 * count of open and acknowledged anomalies, ranked by `rankEscalationPaths`, the first `limit`. Built-in
 * identities (Kubernetes' own controllers, system:* subjects) are listed only when they show anomalies.
 * `total`: how many identities such a list has in all.
 */
export async function escalationPaths(
  db: PrismaClient,
  query: EscalationPathsQuery = {},
  scope: TeamScope = null,
): Promise<{ rows: EscalationPathRow[]; total: number }> {
  const { cluster, limit } = escalationPathsQuerySchema.parse(query);
  const withPath: Prisma.IdentityWhereInput = {
    ...identityInScope(scope),
    deletedAt: null,
    reach: { escalationDistance: { not: null } },
    ...(cluster ? { cluster: { name: cluster } } : {}),
  };
  const counted = await db.anomaly.groupBy({
    by: ['identityId'],
    where: { status: { in: [...ACTIVE_ANOMALY] }, identityId: { not: null }, identity: withPath },
    _count: { _all: true },
  });
  const anomalies = new Map(counted.flatMap((c) => (c.identityId ? [[c.identityId, c._count._all] as const] : [])));
  const ids = [...anomalies.keys()];
  const select = {
    id: true,
    kind: true,
    namespace: true,
    name: true,
    builtIn: true,
    cluster: { select: { name: true } },
    reach: { select: { escalationDistance: true, maxSeverity: true, escalationSteps: true } },
  } as const;
  // The quiet ones in SQL over the narrow columns (Prisma joined IdentityReach once per sort key), then read.
  const quiet = Prisma.join(
    [
      Prisma.sql`i."deletedAt" IS NULL AND NOT i."builtIn" AND r."escalationDistance" IS NOT NULL`,
      ...(cluster ? [Prisma.sql`cl.name = ${cluster}`] : []),
      ...(scope ? [identityInScopeSql(scope, Prisma.sql`i.id`)] : []),
      ...(ids.length ? [Prisma.sql`i.id <> ALL(${ids}::uuid[])`] : []),
    ],
    ' AND ',
  );
  const from = Prisma.sql`"Identity" i JOIN "IdentityReach" r ON r."identityId" = i.id JOIN "Cluster" cl ON cl.id = i."clusterId"`;
  const [anomalous, quietIds, [quietCount]] = await Promise.all([
    ids.length ? db.identity.findMany({ where: { id: { in: ids } }, select }) : [],
    db.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM ${from} WHERE ${quiet}
      ORDER BY r."escalationDistance" ASC, r."maxSeverity" DESC NULLS LAST, cl.name, i.namespace, i.name, i.id LIMIT ${limit}`,
    db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ${from} WHERE ${quiet}`,
  ]);
  const quietRows = quietIds.length
    ? await db.identity.findMany({ where: { id: { in: quietIds.map((q) => q.id) } }, select })
    : [];
  const others = quietIds.flatMap(({ id }) => quietRows.filter((r) => r.id === id));
  const quietTotal = quietCount?.n ?? 0;
  const rows = [...anomalous, ...others].map((i) => {
    const steps = parseStored(
      z.array(escalationStepSchema),
      i.reach?.escalationSteps ?? [],
      `IdentityReach.escalationSteps of identity ${i.id}`,
    );
    return {
      id: i.id,
      cluster: i.cluster.name,
      kind: i.kind,
      namespace: i.namespace,
      name: i.name,
      builtIn: i.builtIn,
      distance: i.reach?.escalationDistance ?? 0,
      maxSeverity: i.reach?.maxSeverity ?? null,
      anomalies: anomalies.get(i.id) ?? 0,
      firstStep: steps[0]?.text ?? null,
    };
  });
  return { rows: rankEscalationPaths(rows).slice(0, limit), total: anomalous.length + quietTotal };
}
