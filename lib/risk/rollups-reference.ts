/**
 * The roll-ups as they were computed before lib/risk/rollups.ts kept their counts: a scan of every identity score
 * (and every daily score) of the scope at each request. Kept as the reference that the kept counts must equal
 * (lib/risk/rollups.int.test.ts) and for timing both (scripts/bench-risk-rollups.ts); not used by the app.
 */
import { identityInScopeSql } from '@/lib/auth/scope';
import type { TeamScope } from '@/lib/auth/roles';
import { HIGH_RISK, type RiskRollup, type RiskRollups } from '@/lib/data/risk';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';

export async function scanRollups(
  db: PrismaClient,
  filter: { cluster?: string; days?: number } = {},
  scope: TeamScope = null,
): Promise<RiskRollups> {
  const dailyScope = scope
    ? Prisma.sql`AND EXISTS (SELECT 1 FROM "Identity" i WHERE i."clusterId" = d."clusterId" AND ${identityInScopeSql(scope, Prisma.sql`i.id`)}
                   AND 'identity:' || i.kind::text || '/' || i.namespace || '/' || i.name = d."subjectKey")`
    : Prisma.empty;
  const dailyCluster = filter.cluster ? Prisma.sql`AND cl.name = ${filter.cluster}` : Prisma.empty;
  const scored = Prisma.sql`s."identityId" IS NOT NULL
    AND s."identityId" NOT IN (SELECT id FROM "Identity" WHERE "builtIn")
    ${filter.cluster ? Prisma.sql`AND s."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${filter.cluster})` : Prisma.empty}
    ${scope ? Prisma.sql`AND ${identityInScopeSql(scope, Prisma.sql`s."identityId"`)}` : Prisma.empty}`;
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
      Prisma.sql`SELECT cl.name AS name, NULL::text AS cluster, h.score, h.n
        FROM (SELECT s."clusterId", s.score, count(*) AS n FROM "RiskScore" s WHERE ${scored} GROUP BY 1, 2) h
        JOIN "Cluster" cl ON cl.id = h."clusterId"`,
      Prisma.empty,
    ),
    rollup(
      Prisma.sql`SELECT h.namespace AS name, cl.name AS cluster, h.score, h.n
        FROM (SELECT s."clusterId", s.namespace, s.score, count(*) AS n FROM "RiskScore" s
              WHERE ${scored} AND s.namespace <> '' GROUP BY 1, 2, 3) h
        JOIN "Cluster" cl ON cl.id = h."clusterId"`,
      Prisma.sql`LIMIT 200`,
    ),
    rollup(
      Prisma.sql`SELECT t.name, NULL::text AS cluster, s.score, count(*) AS n
        FROM "RiskScore" s
        JOIN (SELECT DISTINCT "identityId", "teamId" FROM "Ownership" WHERE "identityId" IS NOT NULL) o ON o."identityId" = s."identityId"
        JOIN "Team" t ON t.id = o."teamId"
        WHERE ${scored} GROUP BY t.name, s.score
        UNION ALL
        SELECT '(none)', NULL, s.score, count(*) FROM "RiskScore" s
        WHERE ${scored} AND NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = s."identityId") GROUP BY s.score`,
      Prisma.sql`LIMIT 200`,
    ),
    db.$queryRaw<{ cluster: string; day: Date; mean: number; max: number; high: number }[]>`
      SELECT cl.name AS cluster, d.day, round(avg(d.score))::int AS mean, max(d.score)::int AS max,
             count(*) FILTER (WHERE d.score >= ${HIGH_RISK})::int AS high
      FROM "RiskScoreDaily" d JOIN "Cluster" cl ON cl.id = d."clusterId"
      WHERE d."subjectKey" LIKE 'identity:%' AND d.day >= CURRENT_DATE - ${filter.days ?? 90}::int
        AND NOT EXISTS (SELECT 1 FROM "Identity" i WHERE i."clusterId" = d."clusterId" AND i."builtIn"
                        AND 'identity:' || i.kind::text || '/' || i.namespace || '/' || i.name = d."subjectKey") ${dailyCluster} ${dailyScope}
      GROUP BY cl.name, d.day ORDER BY 1, 2`,
  ]);
  return { clusters, namespaces, teams, trend: trend.map((t) => ({ ...t, day: t.day.toISOString().slice(0, 10) })) };
}
