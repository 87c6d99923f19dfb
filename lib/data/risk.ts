/**
 * Risk scores as people read them: one subject's score with its factors and daily history (identity and
 * workload pages), the ranked list (Risk page, /api/risk, `nhi risk`), and the roll-ups per cluster,
 * namespace and team with their daily trend.
 */
import type { TeamScope } from '@/lib/auth/roles';
import { identityInScopeSql, workloadInScopeSql } from '@/lib/auth/scope';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { parseFilter } from '@/lib/http/query';
import type { Factor } from '@/lib/risk/score';
import { parseStored } from './json';

const factorSchema = z.object({
  name: z.string(),
  points: z.number(),
  evidence: z.array(z.object({ label: z.string(), href: z.string().optional() })),
});
const factorsSchema = z.array(factorSchema);

export interface RiskView {
  score: number;
  factors: Factor[];
  weights: string;
  computedAt: string;
  /** Daily scores, oldest first (the day's last computation). */
  history: { day: string; score: number }[];
}

const HISTORY_DAYS = 90;

/** The score of an identity or a workload with its factors and its last 90 days; null before the first scoring. */
export async function riskOf(
  db: PrismaClient,
  subject: { identityId: string } | { workloadId: string },
): Promise<RiskView | null> {
  const row = await db.riskScore.findFirst({ where: subject });
  if (!row) return null;
  const history = await db.riskScoreDaily.findMany({
    where: { clusterId: row.clusterId, subjectKey: row.subjectKey },
    orderBy: { day: 'desc' },
    take: HISTORY_DAYS,
    select: { day: true, score: true },
  });
  return {
    score: row.score,
    factors: parseStored(factorsSchema, row.factors, `RiskScore.factors of ${row.subjectKey}`),
    weights: row.weights,
    computedAt: row.computedAt.toISOString(),
    history: history.reverse().map((h) => ({ day: h.day.toISOString().slice(0, 10), score: h.score })),
  };
}

// ---- the ranked list ---------------------------------------------------------------------------

export const riskFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  subject: z.enum(['identity', 'workload']).default('identity'),
  namespace: z.string().max(253).optional(),
  /** Owning team's name, or `(none)`. */
  team: z.string().max(253).optional(),
  /** Only scores at or above. */
  min: z.coerce.number().int().min(0).max(100).optional(),
  /** Kubernetes' own identities (kube-system controllers, system:* subjects) are left out unless asked for. */
  builtIn: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type RiskFilter = z.infer<typeof riskFilterSchema>;
export const parseRiskFilter = (params: Record<string, string | string[] | undefined>) => parseFilter(riskFilterSchema, params);

export interface RiskRow {
  cluster: string;
  subject: 'identity' | 'workload';
  id: string;
  /** `namespace/name` (identity) or `namespace/Kind/name` (workload). */
  name: string;
  kind: string;
  namespace: string;
  teams: string[];
  score: number;
  factors: Factor[];
  weights: string;
  computedAt: string;
}

function riskWhere(f: RiskFilter, scope: TeamScope): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (scope)
    parts.push(
      f.subject === 'identity'
        ? identityInScopeSql(scope, Prisma.sql`s."identityId"`)
        : workloadInScopeSql(scope, Prisma.sql`s."workloadId"`),
    );
  if (f.cluster) parts.push(Prisma.sql`cl.name = ${f.cluster}`);
  if (f.namespace) parts.push(Prisma.sql`s.namespace = ${f.namespace}`);
  if (f.min !== undefined) parts.push(Prisma.sql`s.score >= ${f.min}`);
  if (f.subject === 'identity') {
    parts.push(Prisma.sql`s."identityId" IS NOT NULL`);
    // Not `NOT i."builtIn"`: a hashed list of the few built-in identities lets the count skip the identity join.
    if (!f.builtIn) parts.push(Prisma.sql`s."identityId" NOT IN (SELECT id FROM "Identity" WHERE "builtIn")`);
  } else parts.push(Prisma.sql`s."workloadId" IS NOT NULL`);
  const owner =
    f.subject === 'identity' ? Prisma.sql`o."identityId" = s."identityId"` : Prisma.sql`o."workloadId" = s."workloadId"`;
  if (f.team === '(none)') parts.push(Prisma.sql`NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE ${owner})`);
  else if (f.team)
    parts.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE ${owner} AND t.name = ${f.team})`,
    );
  return Prisma.join(parts, ' AND ');
}

// LEFT JOINs (every score has its cluster): a count that names no cluster's column reads the scores alone.
const FROM = Prisma.sql`"RiskScore" s LEFT JOIN "Cluster" cl ON cl.id = s."clusterId"
  LEFT JOIN "Identity" i ON i.id = s."identityId" LEFT JOIN "Workload" w ON w.id = s."workloadId"`;

/** One page of scores, highest first (ties by name), with their factors. */
export async function listRisk(
  db: PrismaClient,
  f: RiskFilter,
  scope: TeamScope = null,
): Promise<{ rows: RiskRow[]; total: number }> {
  const where = riskWhere(f, scope);
  const [count] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM ${FROM} WHERE ${where}`;
  const rows = await db.$queryRaw<
    {
      cluster: string;
      id: string;
      name: string;
      kind: string;
      namespace: string;
      score: number;
      factors: unknown;
      weights: string;
      computedAt: Date;
      teams: string[];
    }[]
  >`SELECT cl.name AS cluster, COALESCE(i.id, w.id) AS id,
           CASE WHEN i.id IS NOT NULL THEN CASE WHEN i.namespace = '' THEN i.name ELSE i.namespace || '/' || i.name END
                ELSE w.namespace || '/' || w.kind || '/' || w.name END AS name,
           COALESCE(i.kind::text, w.kind) AS kind, s.namespace, s.score, s.factors, s.weights, s."computedAt",
           ARRAY(SELECT DISTINCT t.name FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId"
                 WHERE o."identityId" = s."identityId" OR o."workloadId" = s."workloadId" ORDER BY 1) AS teams
    FROM ${FROM} WHERE ${where}
    ORDER BY s.score DESC, 3, 1 LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`;
  return {
    total: Number(count?.n ?? 0),
    rows: rows.map((r) => ({
      cluster: r.cluster,
      subject: f.subject,
      id: r.id,
      name: r.name,
      kind: r.kind,
      namespace: r.namespace,
      teams: r.teams,
      score: r.score,
      factors: parseStored(factorsSchema, r.factors, `RiskScore.factors of ${r.name}`),
      weights: r.weights,
      computedAt: r.computedAt.toISOString(),
    })),
  };
}

// ---- roll-ups ----------------------------------------------------------------------------------

/** Scores at or above this count as "high risk" in the roll-ups. */
export const HIGH_RISK = 70;

export interface RiskRollup {
  /** The cluster, namespace or team name (`(none)` for identities nobody owns). */
  name: string;
  cluster: string | null;
  identities: number;
  mean: number;
  p90: number;
  max: number;
  high: number;
}

export interface RiskRollups {
  clusters: RiskRollup[];
  namespaces: RiskRollup[];
  teams: RiskRollup[];
  /** Per cluster and day: mean and max identity score, and how many scored HIGH_RISK or more. */
  trend: { cluster: string; day: string; mean: number; max: number; high: number }[];
}

/**
 * Identity scores (Kubernetes' own left out) summed up per cluster, namespace and team, and their daily trend,
 * from the counts kept beside the scores (lib/risk/rollups.ts): a few hundred rows where the scores are
 * 100,000. A service owner's are the counts of identities in their teams.
 */
export async function riskRollups(
  db: PrismaClient,
  filter: { cluster?: string; days?: number } = {},
  scope: TeamScope = null,
): Promise<RiskRollups> {
  const counted = Prisma.sql`${filter.cluster ? Prisma.sql`AND r."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${filter.cluster})` : Prisma.empty}
    ${scope ? Prisma.sql`AND r."scopeTeams" && ${[...scope]}::uuid[]` : Prisma.empty}`;
  // `histogram` gives (name, cluster, score, n); the p90 is percentile_disc(0.9)'s: the score at position
  // ceil(0.9 × n) in ascending order (as lib/risk/rollups.ts counts the namespaces' for everyone).
  const rollup = (histogram: Prisma.Sql, limit: Prisma.Sql) => db.$queryRaw<RiskRollup[]>`
    WITH h AS (${histogram}),
    running AS (
      SELECT h.*, sum(n) OVER (PARTITION BY cluster, name ORDER BY score) AS upto, sum(n) OVER (PARTITION BY cluster, name) AS total
      FROM h)
    SELECT name, cluster, sum(n)::int AS identities, round(sum(score * n) / sum(n))::int AS mean,
           min(score) FILTER (WHERE upto >= ceil(0.9::float8 * total::float8))::int AS p90, max(score)::int AS max,
           COALESCE(sum(n) FILTER (WHERE score >= ${HIGH_RISK}), 0)::int AS high
    FROM running GROUP BY cluster, name ORDER BY max DESC, mean DESC, cluster, name ${limit}`;
  const [clusters, namespaces, teams, trend] = await Promise.all([
    rollup(
      Prisma.sql`SELECT cl.name AS name, NULL::text AS cluster, r.score, sum(r.identities) AS n
        FROM "RiskRollupTeams" r JOIN "Cluster" cl ON cl.id = r."clusterId" WHERE TRUE ${counted} GROUP BY cl.name, r.score`,
      Prisma.empty,
    ),
    // Everyone's are counted per namespace already; a service owner's from the counts of their teams' identities.
    scope
      ? rollup(
          Prisma.sql`SELECT r.namespace AS name, cl.name AS cluster, r.score, sum(r.identities) AS n
            FROM "RiskRollup" r JOIN "Cluster" cl ON cl.id = r."clusterId"
            WHERE r.namespace <> '' ${counted} GROUP BY r.namespace, cl.name, r.score`,
          Prisma.sql`LIMIT 200`,
        )
      : db.$queryRaw<RiskRollup[]>`
          SELECT r.namespace AS name, cl.name AS cluster, r.identities, r.mean, r.p90, r.max, r.high
          FROM "RiskRollupNamespace" r JOIN "Cluster" cl ON cl.id = r."clusterId"
          WHERE r.namespace <> '' ${counted} ORDER BY r.max DESC, r.mean DESC, cl.name, r.namespace LIMIT 200`,
    // An identity counts once in each team that owns it (claimed or inferred), and in `(none)` when none does.
    rollup(
      Prisma.sql`SELECT t.name, NULL::text AS cluster, r.score, sum(r.identities) AS n
        FROM "RiskRollupTeams" r CROSS JOIN LATERAL unnest(r."ownerTeams") AS ot(id) JOIN "Team" t ON t.id = ot.id
        WHERE TRUE ${counted} GROUP BY t.name, r.score
        UNION ALL
        SELECT '(none)', NULL, r.score, sum(r.identities) FROM "RiskRollupTeams" r
        WHERE NOT EXISTS (SELECT 1 FROM "Team" t WHERE t.id = ANY(r."ownerTeams")) ${counted} GROUP BY r.score`,
      Prisma.sql`LIMIT 200`,
    ),
    db.$queryRaw<{ cluster: string; day: Date; mean: number; max: number; high: number }[]>`
      SELECT cl.name AS cluster, r.day, round(sum(r.total)::numeric / sum(r.identities))::int AS mean,
             max(r.max)::int AS max, sum(r.high)::int AS high
      FROM "RiskRollupDaily" r JOIN "Cluster" cl ON cl.id = r."clusterId"
      WHERE r.day >= CURRENT_DATE - ${filter.days ?? 90}::int ${counted}
      GROUP BY cl.name, r.day ORDER BY 1, 2`,
  ]);
  return {
    clusters,
    namespaces,
    teams,
    trend: trend.map((t) => ({ ...t, day: t.day.toISOString().slice(0, 10) })),
  };
}
