/**
 * The overview (the page a security lead opens every morning, GET /api/overview, `nhi overview`): identity sprawl,
 * risk, escalation paths to cluster-admin, short-lived credential coverage, open anomalies, the machine and human
 * principals seen in the audit logs, daily trends, and each cluster's sync and ingestion status.
 *
 * Each block is one SQL statement (aggregated in PostgreSQL, returned as one JSON value) and every block starts at
 * once: `overviewBlocks` hands back the promises (the page streams each block as it arrives), `overview` awaits them.
 * A block never rejects: a failure is `{ ok: false, error }` beside the other blocks' results, and the ingestion
 * status is read per cluster, so one broken cluster shows its error beside the others' status.
 *
 * Team scope (service owners): sprawl, risk, escalation paths, coverage (their teams' rows), anomalies and the
 * trends cover their teams' identities and workloads only; the cluster-wide blocks (principals in the audit logs,
 * ingestion) are null for them, as the ingestion panel was.
 *
 * Identities counted: live ones (deletedAt null), Kubernetes' own (builtIn) left out and counted apart, as the
 * risk roll-ups and the unowned queue count them.
 */
import { z } from 'zod';
import type { TeamScope } from '@/lib/auth/roles';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { isAppError } from '@/lib/errors';
import { listClusters, type ClusterSummary } from './clusters';
import { escalationPaths, type EscalationPathRow } from './identities';
import { ingestionStatus, type ClusterIngestion } from './ingestion';

export const overviewQuerySchema = z.object({
  cluster: z.string().min(1).max(253).optional(),
  /** Days of the trends, ending today (UTC). */
  days: z.coerce.number().int().min(2).max(90).default(30),
});
export type OverviewQuery = z.input<typeof overviewQuerySchema>;

/** Namespaces listed by name in the sprawl; the rest are summed as "others". */
export const TOP_NAMESPACES = 10;
export const TOP_RISKS = 10;
export const ESCALATION_LIMIT = 15;
/** Audit events read per cluster for the principals block: the newest, within a day of the cluster's last event. */
export const PRINCIPAL_EVENTS = 20_000;

/** The risk score bands: the cut-offs of components/risk-panel.tsx riskBand. */
export const RISK_BANDS = [
  { band: 'critical', min: 70, max: 100 },
  { band: 'high', min: 40, max: 69 },
  { band: 'medium', min: 15, max: 39 },
  { band: 'low', min: 0, max: 14 },
] as const;
export type RiskBand = (typeof RISK_BANDS)[number]['band'];

export type Block<T> = { ok: true; data: T } | { ok: false; error: string };

export interface Sprawl {
  /** Live identities, Kubernetes' own left out. */
  total: number;
  /** Kubernetes' own live identities (not in the counts below). */
  builtIn: number;
  /** Identities no team answers for (no Ownership of their own, none of a workload running as them). */
  unowned: number;
  byKind: { kind: string; identities: number }[];
  byCluster: { cluster: string; identities: number; unowned: number }[];
  /** The TOP_NAMESPACES largest namespaces; `others` sums the rest (namespaces: how many). */
  byNamespace: { cluster: string; namespace: string; identities: number }[];
  otherNamespaces: { namespaces: number; identities: number };
  /** An identity counts in each team that owns it (or a workload running as it). */
  byTeam: { team: string; identities: number }[];
  /** Live workloads by how many identities they have: their ServiceAccounts and the identities those are federated to. */
  perWorkload: { identities: string; workloads: number }[];
}

export interface RiskSummary {
  scored: number;
  bands: { band: RiskBand; min: number; max: number; identities: number }[];
  top: { id: string; cluster: string; kind: string; namespace: string; name: string; score: number }[];
}

export interface CoverageSummary {
  /** Latest collection's rows: per cluster (or, for a service owner, per team of theirs). */
  rows: { cluster: string; scope: string; at: string; workloads: number; shortLived: number; longLived: number; none: number }[];
  total: { workloads: number; shortLived: number; longLived: number; none: number };
}

export interface AnomalySummary {
  /** Per severity, most severe first: open and acknowledged anomalies. */
  bySeverity: { severity: string; open: number; acknowledged: number }[];
  open: number;
}

export type PrincipalClass = 'serviceaccount' | 'node' | 'system' | 'human';
export interface PrincipalSummary {
  /** Per cluster: the window read (newest PRINCIPAL_EVENTS audit events within a day of its last event). */
  clusters: {
    cluster: string;
    since: string | null;
    until: string | null;
    events: number;
    classes: { class: PrincipalClass; machine: boolean; principals: number; events: number }[];
    /** The humans with the most calls in the window. */
    topHumans: { username: string; events: number }[];
  }[];
  machine: number;
  human: number;
}

export interface TrendPoint {
  day: string;
  /** Live identities at the end of the day (by first seen and deleted), new and deleted that day. */
  identities: number;
  created: number;
  deleted: number;
  /** Identity risk scores of the day (RiskScoreDaily): mean, and how many at 70 or more; null: none stored. */
  riskMean: number | null;
  riskHigh: number | null;
  /** Short-lived share (percent) of the day's last coverage per cluster (or team); null: no collection that day. */
  coverage: number | null;
  /** Anomalies raised that day. */
  anomalies: number;
}

export interface IngestionBlock {
  cluster: string;
  status: Block<ClusterIngestion>;
}

export interface OverviewBlocks {
  clusters: Promise<Block<ClusterSummary[]>>;
  sprawl: Promise<Block<Sprawl>>;
  risk: Promise<Block<RiskSummary>>;
  escalation: Promise<Block<{ rows: EscalationPathRow[]; total: number }>>;
  coverage: Promise<Block<CoverageSummary>>;
  anomalies: Promise<Block<AnomalySummary>>;
  trends: Promise<Block<TrendPoint[]>>;
  /** Null for a service owner (cluster-wide). */
  principals: Promise<Block<PrincipalSummary>> | null;
  ingestion: Promise<Block<IngestionBlock[]>> | null;
}

export type Overview = { [K in keyof OverviewBlocks]: Awaited<OverviewBlocks[K]> };

/** What a person may read of a failure: an AppError's message, else a pointer to the server log (which has the detail). */
function failure(block: string, e: unknown): { ok: false; error: string } {
  if (isAppError(e)) return { ok: false, error: e.message };
  console.error(`overview: the ${block} block failed`, e);
  return { ok: false, error: `the ${block} could not be read (the server log has the detail)` };
}

const settle = <T>(block: string, p: Promise<T>): Promise<Block<T>> =>
  p.then(
    (data) => ({ ok: true as const, data }),
    (e: unknown) => failure(block, e),
  );

/** SQL: rows of `alias` in the cluster asked for. */
const inCluster = (alias: string, cluster?: string) =>
  cluster ? Prisma.sql`AND ${Prisma.raw(alias)}."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${cluster})` : Prisma.empty;

/**
 * SQL: the ids of the identities (workloads) in scope, as one set: the rule of lib/auth/scope.ts
 * (identityInScopeSql, workloadInScopeSql) read once, so that a service owner's counts are hashed lookups, not two
 * subqueries per row of 100,000.
 */
const scopedIdentityIds = (scope: readonly string[]) => Prisma.sql`
  SELECT o."identityId" FROM "Ownership" o WHERE o."teamId" = ANY(${[...scope]}::uuid[]) AND o."identityId" IS NOT NULL
  UNION
  SELECT wi."identityId" FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."workloadId" = wi."workloadId"
  WHERE o."teamId" = ANY(${[...scope]}::uuid[])`;
const scopedWorkloadIds = (scope: readonly string[]) => Prisma.sql`
  SELECT o."workloadId" FROM "Ownership" o WHERE o."teamId" = ANY(${[...scope]}::uuid[]) AND o."workloadId" IS NOT NULL
  UNION
  SELECT wi."workloadId" FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."identityId" = wi."identityId"
  WHERE o."teamId" = ANY(${[...scope]}::uuid[])`;

const identityScope = (scope: TeamScope, id: string) =>
  scope ? Prisma.sql`AND ${Prisma.raw(id)} IN (${scopedIdentityIds(scope)})` : Prisma.empty;
const workloadScope = (scope: TeamScope, id: string) =>
  scope ? Prisma.sql`AND ${Prisma.raw(id)} IN (${scopedWorkloadIds(scope)})` : Prisma.empty;
/** SQL: roll-up rows (lib/risk/rollups.ts) of the teams in scope: those sharing one of a service owner's teams. */
const rollupScope = (scope: TeamScope, alias: string) =>
  scope ? Prisma.sql`AND ${Prisma.raw(alias)}."scopeTeams" && ${[...scope]}::uuid[]` : Prisma.empty;

/** An anomaly (alias a) in scope: its identity's or its workload's. */
const anomalyScope = (scope: TeamScope) =>
  scope
    ? Prisma.sql`AND (a."identityId" IN (${scopedIdentityIds(scope)}) OR a."workloadId" IN (${scopedWorkloadIds(scope)}))`
    : Prisma.empty;

async function one<T>(rows: Promise<{ v: T }[]>): Promise<T> {
  const [row] = await rows;
  if (!row) throw new Error('the query returned no row');
  return row.v;
}

/**
 * The sprawl. Counts per cluster, namespace, team and the unowned ones come from the risk roll-ups (lib/risk/rollups.ts
 * RiskRollup: every live identity but Kubernetes' own, counted per cluster, namespace and teams in scope at each
 * scoring, which follows every collection): a few thousand rows at 100,000 identities instead of a scan with two
 * ownership lookups per identity. Kinds are counted on the identities themselves.
 */
function sprawl(db: PrismaClient, cluster: string | undefined, scope: TeamScope): Promise<Sprawl> {
  // Owned: teams in scope (its own Ownership or a workload's running as it). A workload's identities: its live
  // WorkloadIdentity rows, each with the identities it is federated to.
  return one(db.$queryRaw<{ v: Sprawl }[]>`
    WITH r AS MATERIALIZED (
      SELECT r."clusterId", r.namespace, r."scopeTeams", r.identities FROM "RiskRollup" r
      WHERE TRUE ${inCluster('r', cluster)} ${rollupScope(scope, 'r')}),
    -- One pass over the roll-up for every count of it.
    g AS MATERIALIZED (
      SELECT GROUPING("clusterId") AS gc, GROUPING(namespace) AS gn, "clusterId", namespace,
             sum(identities)::int AS n, COALESCE(sum(identities) FILTER (WHERE "scopeTeams" = '{}'), 0)::int AS u
      FROM r GROUP BY GROUPING SETS ((), ("clusterId"), ("clusterId", namespace))),
    kinds AS (
      SELECT i.kind::text AS kind, count(*)::int AS n FROM "Identity" i
      WHERE i."deletedAt" IS NULL AND NOT i."builtIn" ${inCluster('i', cluster)} ${identityScope(scope, 'i.id')}
      GROUP BY 1),
    ns AS (SELECT "clusterId", namespace, n FROM g WHERE gc = 0 AND gn = 0 AND namespace <> ''),
    top AS (SELECT * FROM ns ORDER BY n DESC, namespace LIMIT ${TOP_NAMESPACES}),
    wl AS (
      SELECT count(*)::int AS n FROM "Workload" w
      WHERE w."deletedAt" IS NULL ${inCluster('w', cluster)} ${workloadScope(scope, 'w.id')}),
    lc AS (SELECT "fromId" AS id, count(*)::int AS n FROM "IdentityLink" WHERE "deletedAt" IS NULL GROUP BY 1),
    per AS (
      SELECT wi."workloadId", sum(1 + COALESCE(lc.n, 0))::int AS n
      FROM "WorkloadIdentity" wi JOIN "Workload" w ON w.id = wi."workloadId" LEFT JOIN lc ON lc.id = wi."identityId"
      WHERE wi."deletedAt" IS NULL AND w."deletedAt" IS NULL ${inCluster('w', cluster)} ${workloadScope(scope, 'w.id')}
      GROUP BY 1),
    dist AS (
      SELECT LEAST(n, 4) AS b, count(*)::int AS n FROM per GROUP BY 1
      UNION ALL
      SELECT 0, (SELECT n FROM wl) - (SELECT count(*)::int FROM per))
    SELECT json_build_object(
      'total', COALESCE((SELECT n FROM g WHERE gc = 1 AND gn = 1), 0),
      'builtIn', ${
        scope
          ? Prisma.sql`0`
          : Prisma.sql`(SELECT count(*)::int FROM "Identity" i WHERE i."deletedAt" IS NULL AND i."builtIn" ${inCluster('i', cluster)})`
      },
      'unowned', COALESCE((SELECT u FROM g WHERE gc = 1 AND gn = 1), 0),
      'byKind', COALESCE((SELECT json_agg(json_build_object('kind', kind, 'identities', n) ORDER BY n DESC, kind)
                          FROM kinds), '[]'::json),
      'byCluster', COALESCE((SELECT json_agg(json_build_object('cluster', cl.name, 'identities', c.n, 'unowned', c.u) ORDER BY c.n DESC, cl.name)
                             FROM (SELECT "clusterId", n, u FROM g WHERE gc = 0 AND gn = 1) c
                             JOIN "Cluster" cl ON cl.id = c."clusterId"), '[]'::json),
      'byNamespace', COALESCE((SELECT json_agg(json_build_object('cluster', cl.name, 'namespace', t.namespace, 'identities', t.n)
                                               ORDER BY t.n DESC, t.namespace, cl.name)
                               FROM top t JOIN "Cluster" cl ON cl.id = t."clusterId"), '[]'::json),
      'otherNamespaces', json_build_object(
        'namespaces', (SELECT count(*)::int FROM ns) - (SELECT count(*)::int FROM top),
        'identities', (SELECT COALESCE(sum(n), 0)::int FROM ns) - (SELECT COALESCE(sum(n), 0)::int FROM top)),
      'byTeam', COALESCE((SELECT json_agg(json_build_object('team', t.name, 'identities', x.n) ORDER BY x.n DESC, t.name)
                          FROM (SELECT team, sum(r.identities)::int AS n FROM r, unnest(r."scopeTeams") AS team GROUP BY 1) x
                          JOIN "Team" t ON t.id = x.team), '[]'::json),
      'perWorkload', COALESCE((SELECT json_agg(json_build_object('identities', CASE WHEN b >= 4 THEN '4+' ELSE b::text END, 'workloads', n) ORDER BY b)
                               FROM dist WHERE n > 0), '[]'::json)
    ) AS v`);
}

/**
 * The score bands from the risk roll-ups (current scores counted per score, Kubernetes' own left out: a few
 * hundred rows, not a scan of every score), and the riskiest identities walked down the score index.
 */
async function risk(db: PrismaClient, cluster: string | undefined, scope: TeamScope): Promise<RiskSummary> {
  const [counts, top] = await Promise.all([
    db.$queryRaw<{ band: RiskBand; n: number }[]>`
      SELECT CASE ${Prisma.join(
        RISK_BANDS.map((b) => Prisma.sql`WHEN r.score BETWEEN ${b.min} AND ${b.max} THEN ${b.band}::text`),
        ' ',
      )} END AS band, sum(r.identities)::int AS n
      FROM "RiskRollupTeams" r WHERE TRUE ${inCluster('r', cluster)} ${rollupScope(scope, 'r')}
      GROUP BY 1`,
    db.$queryRaw<RiskSummary['top']>`
      SELECT i.id, cl.name AS cluster, i.kind::text AS kind, i.namespace, i.name, s.score
      FROM "RiskScore" s JOIN "Identity" i ON i.id = s."identityId" JOIN "Cluster" cl ON cl.id = s."clusterId"
      WHERE s."identityId" IS NOT NULL AND NOT i."builtIn" AND i."deletedAt" IS NULL
        ${inCluster('s', cluster)} ${identityScope(scope, 'i.id')}
      ORDER BY s.score DESC, cl.name, i.namespace, i.name LIMIT ${TOP_RISKS}`,
  ]);
  const by = new Map(counts.map((c) => [c.band, c.n]));
  return {
    scored: counts.reduce((n, c) => n + c.n, 0),
    bands: RISK_BANDS.map((b) => ({ ...b, identities: by.get(b.band) ?? 0 })),
    top,
  };
}

/** The latest coverage rows of each cluster: the cluster's own, or, for a service owner, their teams'. */
const coverageScope = (scope: TeamScope) =>
  scope
    ? Prisma.sql`c."scopeKind" = 'team' AND c.scope IN (SELECT name FROM "Team" WHERE id = ANY(${[...scope]}::uuid[]))`
    : Prisma.sql`c."scopeKind" = 'cluster'`;

async function coverage(db: PrismaClient, cluster: string | undefined, scope: TeamScope): Promise<CoverageSummary> {
  const rows = await db.$queryRaw<(Omit<CoverageSummary['rows'][number], 'at'> & { at: Date })[]>`
    SELECT cl.name AS cluster, c.scope, c.at, c.workloads, c."shortLived", c."longLived", c.none
    FROM "Cluster" cl
    CROSS JOIN LATERAL (SELECT max(x.at) AS at FROM "CredentialCoverage" x WHERE x."clusterId" = cl.id) last
    JOIN "CredentialCoverage" c ON c."clusterId" = cl.id AND c.at = last.at AND ${coverageScope(scope)}
    WHERE TRUE ${cluster ? Prisma.sql`AND cl.name = ${cluster}` : Prisma.empty}
    ORDER BY cl.name, c.scope`;
  const total = { workloads: 0, shortLived: 0, longLived: 0, none: 0 };
  for (const r of rows) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
  return { rows: rows.map((r) => ({ ...r, at: r.at.toISOString() })), total };
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

async function anomalies(db: PrismaClient, cluster: string | undefined, scope: TeamScope): Promise<AnomalySummary> {
  const rows = await db.$queryRaw<{ severity: string; open: number; acknowledged: number }[]>`
    SELECT a.severity::text AS severity, (count(*) FILTER (WHERE a.status = 'open'))::int AS open,
           (count(*) FILTER (WHERE a.status = 'acknowledged'))::int AS acknowledged
    FROM "Anomaly" a
    WHERE a.status IN ('open', 'acknowledged') ${inCluster('a', cluster)}
      ${anomalyScope(scope)}
    GROUP BY 1`;
  const by = new Map(rows.map((r) => [r.severity, r]));
  const bySeverity = SEVERITIES.map((severity) => ({
    severity,
    open: by.get(severity)?.open ?? 0,
    acknowledged: by.get(severity)?.acknowledged ?? 0,
  }));
  return { bySeverity, open: bySeverity.reduce((n, s) => n + s.open, 0) };
}

/** The UTC day `n` days before `now`, as YYYY-MM-DD. */
const dayOf = (now: Date, n: number) => new Date(now.getTime() - n * 86_400_000).toISOString().slice(0, 10);

async function trends(
  db: PrismaClient,
  cluster: string | undefined,
  scope: TeamScope,
  now: Date,
  days: number,
): Promise<TrendPoint[]> {
  const first = dayOf(now, days - 1);
  const last = dayOf(now, 0);
  const rows = await db.$queryRaw<
    {
      day: string;
      identities: number;
      created: number;
      deleted: number;
      riskMean: number | null;
      riskHigh: number | null;
      coverage: number | null;
      anomalies: number;
    }[]
  >`
    WITH days AS (SELECT d::date AS day FROM generate_series(${first}::date, ${last}::date, interval '1 day') d),
    ids AS (
      SELECT i."firstSeenAt"::date AS born, i."deletedAt"::date AS died FROM "Identity" i
      WHERE NOT i."builtIn" AND (i."deletedAt" IS NULL OR i."deletedAt" >= ${first}::date)
        ${inCluster('i', cluster)} ${identityScope(scope, 'i.id')}),
    base AS (SELECT count(*)::int AS n FROM ids WHERE born < ${first}::date),
    born AS (SELECT born AS day, count(*)::int AS n FROM ids WHERE born >= ${first}::date GROUP BY 1),
    died AS (SELECT died AS day, count(*)::int AS n FROM ids WHERE died IS NOT NULL GROUP BY 1),
    -- The daily scores as the risk roll-ups count them (lib/risk/rollups.ts RiskRollupDaily: Kubernetes' own left out).
    risk AS (
      SELECT d.day, round(sum(d.total)::numeric / NULLIF(sum(d.identities), 0))::int AS mean, sum(d.high)::int AS high
      FROM "RiskRollupDaily" d
      WHERE d.day BETWEEN ${first}::date AND ${last}::date ${inCluster('d', cluster)} ${rollupScope(scope, 'd')}
      GROUP BY d.day),
    cov AS (
      SELECT day, round(100.0 * sum("shortLived") / NULLIF(sum(workloads), 0))::int AS pct FROM (
        SELECT c.at::date AS day, c."shortLived", c.workloads,
               rank() OVER (PARTITION BY c."clusterId", c.at::date ORDER BY c.at DESC) AS r
        FROM "CredentialCoverage" c
        WHERE c.at >= ${first}::date AND ${coverageScope(scope)} ${inCluster('c', cluster)}) x
      WHERE r = 1 GROUP BY day),
    anom AS (
      SELECT a."createdAt"::date AS day, count(*)::int AS n FROM "Anomaly" a
      WHERE a."createdAt" >= ${first}::date ${inCluster('a', cluster)}
        ${anomalyScope(scope)}
      GROUP BY 1)
    SELECT to_char(days.day, 'YYYY-MM-DD') AS day,
      ((SELECT n FROM base) + sum(COALESCE(born.n, 0)) OVER w - sum(COALESCE(died.n, 0)) OVER w)::int AS identities,
      COALESCE(born.n, 0) AS created, COALESCE(died.n, 0) AS deleted,
      risk.mean AS "riskMean", risk.high AS "riskHigh", cov.pct AS coverage, COALESCE(anom.n, 0) AS anomalies
    FROM days LEFT JOIN born USING (day) LEFT JOIN died USING (day) LEFT JOIN risk USING (day)
      LEFT JOIN cov USING (day) LEFT JOIN anom USING (day)
    WINDOW w AS (ORDER BY days.day)
    ORDER BY days.day`;
  return rows;
}

/** Principals of a username in the audit log: machines (ServiceAccounts, nodes, Kubernetes' own system:*) and people. */
export function principalClass(username: string): PrincipalClass {
  if (username.startsWith('system:serviceaccount:')) return 'serviceaccount';
  if (username.startsWith('system:node:')) return 'node';
  if (username.startsWith('system:')) return 'system';
  return 'human';
}
const CLASS_SQL = Prisma.sql`CASE WHEN username LIKE 'system:serviceaccount:%' THEN 'serviceaccount'
  WHEN username LIKE 'system:node:%' THEN 'node' WHEN username LIKE 'system:%' THEN 'system' ELSE 'human' END`;

async function principals(db: PrismaClient, cluster: string | undefined): Promise<PrincipalSummary> {
  // Per cluster, the newest PRINCIPAL_EVENTS audit events within a day of its last event: backward scans of the
  // primary key ("clusterId", at, key) of the newest partitions, however many millions of events are stored.
  const rows = await db.$queryRaw<
    {
      v:
        | {
            cluster: string;
            since: string | null;
            until: string | null;
            events: number;
            rows: { class: PrincipalClass; username: string; n: number }[] | null;
          }[]
        | null;
    }[]
  >`
    WITH w AS (
      SELECT cl.name AS cluster, e.username, e.at
      FROM "Cluster" cl
      CROSS JOIN LATERAL (SELECT max(x.at) AS last FROM "RuntimeEvent" x WHERE x."clusterId" = cl.id) m
      CROSS JOIN LATERAL (
        SELECT r.username, r.at FROM "RuntimeEvent" r
        WHERE r."clusterId" = cl.id AND r.at > m.last - interval '1 day' AND r.at <= m.last AND r.source = 'audit'
        ORDER BY r.at DESC LIMIT ${PRINCIPAL_EVENTS}) e
      WHERE TRUE ${cluster ? Prisma.sql`AND cl.name = ${cluster}` : Prisma.empty}),
    per AS (SELECT cluster, ${CLASS_SQL} AS class, username, count(*)::int AS n FROM w WHERE username IS NOT NULL GROUP BY 1, 2, 3)
    SELECT json_agg(json_build_object(
      'cluster', c.cluster, 'since', c.since, 'until', c.until, 'events', c.events,
      'rows', (SELECT json_agg(json_build_object('class', p.class, 'username', p.username, 'n', p.n) ORDER BY p.n DESC, p.username)
               FROM per p WHERE p.cluster = c.cluster)) ORDER BY c.cluster) AS v
    FROM (SELECT cluster, to_char(min(at), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS since, to_char(max(at), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS until,
                 count(*)::int AS events FROM w GROUP BY cluster) c`;
  const clusters = (rows[0]?.v ?? []).map((c) => {
    const list = c.rows ?? [];
    const classes = (['serviceaccount', 'node', 'system', 'human'] as const).map((k) => {
      const of = list.filter((r) => r.class === k);
      return { class: k, machine: k !== 'human', principals: of.length, events: of.reduce((n, r) => n + r.n, 0) };
    });
    return {
      cluster: c.cluster,
      since: c.since,
      until: c.until,
      events: c.events,
      classes,
      topHumans: list
        .filter((r) => r.class === 'human')
        .slice(0, 5)
        .map((r) => ({ username: r.username, events: r.n })),
    };
  });
  const sum = (machine: boolean) =>
    clusters.reduce((n, c) => n + c.classes.filter((k) => k.machine === machine).reduce((m, k) => m + k.principals, 0), 0);
  return { clusters, machine: sum(true), human: sum(false) };
}

/** Each cluster's ingestion status read on its own: one that fails shows its error beside the others'. */
async function ingestion(db: PrismaClient, cluster: string | undefined, now: Date): Promise<IngestionBlock[]> {
  const names = await db.cluster.findMany({
    where: cluster ? { name: cluster } : {},
    orderBy: { name: 'asc' },
    select: { name: true },
  });
  return Promise.all(
    names.map(async ({ name }) => ({
      cluster: name,
      status: await settle(
        `ingestion status of ${name}`,
        ingestionStatus(db, { now, cluster: name }).then((s) => {
          const c = s.clusters[0];
          if (!c) throw new Error(`no ingestion status for ${name}`);
          return c;
        }),
      ),
    })),
  );
}

/** Every block's promise, started at once (none rejects). */
export function overviewBlocks(db: PrismaClient, query: OverviewQuery & { now: Date }, scope: TeamScope = null): OverviewBlocks {
  const { cluster, days } = overviewQuerySchema.parse(query);
  const now = query.now;
  return {
    clusters: settle(
      'clusters',
      listClusters(db).then((all) => (cluster ? all.filter((c) => c.name === cluster) : all)),
    ),
    sprawl: settle('identity sprawl', sprawl(db, cluster, scope)),
    risk: settle('risk', risk(db, cluster, scope)),
    escalation: settle('escalation paths', escalationPaths(db, { cluster, limit: ESCALATION_LIMIT }, scope)),
    coverage: settle('credential coverage', coverage(db, cluster, scope)),
    anomalies: settle('anomalies', anomalies(db, cluster, scope)),
    trends: settle('trends', trends(db, cluster, scope, now, days)),
    principals: scope ? null : settle('principals', principals(db, cluster)),
    ingestion: scope ? null : settle('ingestion status', ingestion(db, cluster, now)),
  };
}

/** The whole overview, every block read in parallel. */
export async function overview(
  db: PrismaClient,
  query: OverviewQuery & { now: Date },
  scope: TeamScope = null,
): Promise<Overview> {
  const b = overviewBlocks(db, query, scope);
  const [clusters, sprawlV, riskV, escalation, coverageV, anomaliesV, trendsV, principalsV, ingestionV] = await Promise.all([
    b.clusters,
    b.sprawl,
    b.risk,
    b.escalation,
    b.coverage,
    b.anomalies,
    b.trends,
    b.principals,
    b.ingestion,
  ]);
  return {
    clusters,
    sprawl: sprawlV,
    risk: riskV,
    escalation,
    coverage: coverageV,
    anomalies: anomaliesV,
    trends: trendsV,
    principals: principalsV,
    ingestion: ingestionV,
  };
}
