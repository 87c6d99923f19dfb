/**
 * Risk scores as people read them: one subject's score with its factors and daily history (identity and
 * workload pages), the ranked list (Risk page, /api/risk, `nhi risk`), and the roll-ups per cluster,
 * namespace and team with their daily trend.
 */
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

function riskWhere(f: RiskFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.cluster) parts.push(Prisma.sql`cl.name = ${f.cluster}`);
  if (f.namespace) parts.push(Prisma.sql`s.namespace = ${f.namespace}`);
  if (f.min !== undefined) parts.push(Prisma.sql`s.score >= ${f.min}`);
  if (f.subject === 'identity') {
    parts.push(Prisma.sql`s."identityId" IS NOT NULL`);
    if (!f.builtIn) parts.push(Prisma.sql`NOT i."builtIn"`);
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

const FROM = Prisma.sql`"RiskScore" s JOIN "Cluster" cl ON cl.id = s."clusterId"
  LEFT JOIN "Identity" i ON i.id = s."identityId" LEFT JOIN "Workload" w ON w.id = s."workloadId"`;

/** One page of scores, highest first (ties by name), with their factors. */
export async function listRisk(db: PrismaClient, f: RiskFilter): Promise<{ rows: RiskRow[]; total: number }> {
  const where = riskWhere(f);
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

/** Identity scores (Kubernetes' own left out) summed up per cluster, namespace and team, and their daily trend. */
export async function riskRollups(db: PrismaClient, filter: { cluster?: string; days?: number } = {}): Promise<RiskRollups> {
  const cluster = filter.cluster ? Prisma.sql`AND cl.name = ${filter.cluster}` : Prisma.empty;
  const stats = Prisma.sql`count(*)::int AS identities, round(avg(s.score))::int AS mean,
    percentile_disc(0.9) WITHIN GROUP (ORDER BY s.score)::int AS p90, max(s.score)::int AS max,
    count(*) FILTER (WHERE s.score >= ${HIGH_RISK})::int AS high`;
  const base = Prisma.sql`FROM "RiskScore" s JOIN "Cluster" cl ON cl.id = s."clusterId" JOIN "Identity" i ON i.id = s."identityId"
    WHERE NOT i."builtIn" ${cluster}`;
  const [clusters, namespaces, teams, trend] = await Promise.all([
    db.$queryRaw<
      RiskRollup[]
    >`SELECT cl.name AS name, NULL AS cluster, ${stats} ${base} GROUP BY cl.name ORDER BY max DESC, mean DESC, 1`,
    db.$queryRaw<RiskRollup[]>`SELECT s.namespace AS name, cl.name AS cluster, ${stats} ${base} AND s.namespace <> ''
      GROUP BY cl.name, s.namespace ORDER BY max DESC, mean DESC, 2, 1 LIMIT 200`,
    // An identity counts once in each team that owns it (claimed or inferred), and in `(none)` when none does.
    db.$queryRaw<RiskRollup[]>`SELECT s.team AS name, NULL AS cluster, ${stats}
      FROM (SELECT DISTINCT i.id, rs.score, COALESCE(t.name, '(none)') AS team
            FROM "RiskScore" rs JOIN "Cluster" cl ON cl.id = rs."clusterId" JOIN "Identity" i ON i.id = rs."identityId"
            LEFT JOIN "Ownership" o ON o."identityId" = i.id LEFT JOIN "Team" t ON t.id = o."teamId"
            WHERE NOT i."builtIn" ${cluster}) s
      GROUP BY s.team ORDER BY max DESC, mean DESC, 1 LIMIT 200`,
    db.$queryRaw<{ cluster: string; day: Date; mean: number; max: number; high: number }[]>`
      SELECT cl.name AS cluster, d.day, round(avg(d.score))::int AS mean, max(d.score)::int AS max,
             count(*) FILTER (WHERE d.score >= ${HIGH_RISK})::int AS high
      FROM "RiskScoreDaily" d JOIN "Cluster" cl ON cl.id = d."clusterId"
      WHERE d."subjectKey" LIKE 'identity:%' AND d.day >= CURRENT_DATE - ${filter.days ?? 90}::int
        AND NOT EXISTS (SELECT 1 FROM "Identity" i WHERE i."clusterId" = d."clusterId" AND i."builtIn"
                        AND 'identity:' || i.kind::text || '/' || i.namespace || '/' || i.name = d."subjectKey") ${cluster}
      GROUP BY cl.name, d.day ORDER BY 1, 2`,
  ]);
  return {
    clusters,
    namespaces,
    teams,
    trend: trend.map((t) => ({ ...t, day: t.day.toISOString().slice(0, 10) })),
  };
}
