/**
 * The Risk page's roll-ups, kept beside the scores so that a page view reads a few hundred rows, not every
 * score. Counts of identity scores (Kubernetes' own left out):
 *
 * - RiskRollup: the current scores (RiskScore) counted per cluster, namespace, owning teams, teams in scope and
 *   score. Owning teams are the identity's own Ownership rows (the Teams roll-up counts it once in each, `(none)`
 *   when empty); teams in scope are those whose service owners see it (lib/auth/scope.ts: its owners and the
 *   owners of workloads running as it), so a service owner's roll-ups are the rows sharing one of their teams.
 *   Since scores are whole numbers 0–100, the mean, 90th percentile, max and count at HIGH_RISK or more of any
 *   group are exact from these counts.
 * - RiskRollupDaily: the daily history (RiskScoreDaily) per cluster, day and teams in scope: how many, their
 *   sum and max, how many at HIGH_RISK or more (all add up across teams), for the trend. A day's counts are rewritten with each full scoring of that day, so a past day keeps the
 *   built-in flags and the team attribution of its last full scoring (`nhi risk rollup --rebuild` recounts
 *   them as they are now).
 * - RiskRollupTeams (RiskRollup without the namespace: the Clusters and Teams roll-ups) and RiskRollupNamespace
 *   (each namespace's roll-up as everyone but service owners sees it), derived from RiskRollup.
 *
 * updateRiskScores (lib/risk/store.ts) calls refreshRiskRollups in its transaction after writing scores: the
 * whole cluster and the day's trend after a full scoring (every collection), the identities' namespaces after
 * a partial one (a decision on a finding, an anomaly or a claim: the day's trend, which takes a read of the
 * whole day, follows at the next full scoring). The migration that created the tables filled them from the
 * scores already stored.
 */
import type pg from 'pg';
import { HIGH_RISK } from '@/lib/data/risk';
import { inTransaction } from '@/lib/db/transaction';
import { identityOfSubjectKeySql } from '@/lib/keys';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** SQL: per identity of `ids` (a CTE with an `id` column), its sorted owning teams and teams in scope. */
const teamsOf = (ids: string) => `
  owners AS (
    SELECT o."identityId" AS id, array_agg(DISTINCT o."teamId" ORDER BY o."teamId") AS teams
    FROM "Ownership" o WHERE o."identityId" IN (SELECT id FROM ${ids}) GROUP BY 1),
  scoped AS (
    SELECT x.id, array_agg(DISTINCT x.team ORDER BY x.team) AS teams FROM (
      SELECT o."identityId" AS id, o."teamId" AS team FROM "Ownership" o WHERE o."identityId" IN (SELECT id FROM ${ids})
      UNION ALL
      SELECT wi."identityId", o."teamId" FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."workloadId" = wi."workloadId"
      WHERE wi."identityId" IN (SELECT id FROM ${ids})) x
    GROUP BY 1)`;

/**
 * SQL: the roll-up of each group of a histogram `h` (name, cluster, score, n): identities, mean, 90th percentile
 * (percentile_disc(0.9)'s: the score at position ceil(0.9 × n) in ascending order), max and count at HIGH_RISK
 * or more. The same as lib/data/risk.ts riskRollups computes at read time for service owners.
 */
export const rollupOfHistogramSql = (histogram: string) => `
  WITH h AS (${histogram}),
  running AS (
    SELECT h.*, sum(n) OVER (PARTITION BY cluster, name ORDER BY score) AS upto, sum(n) OVER (PARTITION BY cluster, name) AS total
    FROM h)
  SELECT name, cluster, sum(n)::int AS identities, round(sum(score * n) / sum(n))::int AS mean,
         min(score) FILTER (WHERE upto >= ceil(0.9::float8 * total::float8))::int AS p90, max(score)::int AS max,
         COALESCE(sum(n) FILTER (WHERE score >= ${HIGH_RISK}), 0)::int AS high
  FROM running GROUP BY cluster, name`;

/**
 * The statements that count the current identity scores of the clusters `clusters` (SQL naming a column
 * "clusterId": a condition), all of them or those in the namespaces `ns` (SQL condition on `namespace`).
 */
export const rollupStatements = (clusters: string, ns: string) => [
  `DELETE FROM "RiskRollup" WHERE ${clusters} AND ${ns}`,
  `INSERT INTO "RiskRollup" ("clusterId", namespace, "ownerTeams", "scopeTeams", score, identities)
   WITH s AS (
     SELECT s."clusterId", s."identityId" AS id, s.namespace, s.score FROM "RiskScore" s
     WHERE ${clusters.replaceAll('"clusterId"', 's."clusterId"')} AND ${ns.replaceAll('namespace', 's.namespace')}
       AND s."identityId" IS NOT NULL AND s."identityId" NOT IN (SELECT id FROM "Identity" WHERE "builtIn")),
   ${teamsOf('s')}
   SELECT s."clusterId", s.namespace, COALESCE(ow.teams, '{}'), COALESCE(sc.teams, '{}'), s.score, count(*)
   FROM s LEFT JOIN owners ow ON ow.id = s.id LEFT JOIN scoped sc ON sc.id = s.id
   GROUP BY 1, 2, 3, 4, 5`,
  `DELETE FROM "RiskRollupNamespace" WHERE ${clusters} AND ${ns}`,
  `INSERT INTO "RiskRollupNamespace" ("clusterId", namespace, identities, mean, p90, max, high)
   SELECT cluster::uuid, name, identities, mean, p90, max, high FROM (${rollupOfHistogramSql(
     `SELECT namespace AS name, "clusterId"::text AS cluster, score, sum(identities) AS n FROM "RiskRollup"
      WHERE ${clusters} AND ${ns} GROUP BY 1, 2, 3`,
   )}) x`,
  `DELETE FROM "RiskRollupTeams" WHERE ${clusters}`,
  `INSERT INTO "RiskRollupTeams" ("clusterId", "ownerTeams", "scopeTeams", score, identities)
   SELECT "clusterId", "ownerTeams", "scopeTeams", score, sum(identities) FROM "RiskRollup" WHERE ${clusters} GROUP BY 1, 2, 3, 4`,
];

/**
 * The statements that count the daily identity scores of the clusters `clusters` (SQL condition on "clusterId")
 * of the days `days` (SQL condition on `day`) again.
 */
export const trendStatements = (clusters: string, days: string) => [
  `DELETE FROM "RiskRollupDaily" WHERE ${clusters} AND ${days}`,
  // A day's score counts unless it is of a built-in identity; a service owner sees it when its identity is theirs.
  `INSERT INTO "RiskRollupDaily" ("clusterId", day, "scopeTeams", identities, total, max, high)
   WITH d AS (
     SELECT d."clusterId", d.day, d.score, i.id FROM "RiskScoreDaily" d
     LEFT JOIN "Identity" i ON i."clusterId" = d."clusterId" AND ${identityOfSubjectKeySql('i', 'd."subjectKey"')}
     WHERE ${clusters.replaceAll('"clusterId"', 'd."clusterId"')} AND ${days.replaceAll('day', 'd.day')}
       AND d."subjectKey" LIKE 'identity:%' AND i."builtIn" IS NOT TRUE),
   ids AS (SELECT DISTINCT id FROM d WHERE id IS NOT NULL),
   ${teamsOf('ids')}
   SELECT d."clusterId", d.day, COALESCE(sc.teams, '{}'), count(*), sum(d.score), max(d.score),
          count(*) FILTER (WHERE d.score >= ${HIGH_RISK})
   FROM d LEFT JOIN scoped sc ON sc.id = d.id
   GROUP BY 1, 2, 3`,
];

/**
 * Counts a cluster's current identity scores again, all of them or those in `namespaces`; and its daily
 * history of `day` (YYYY-MM-DD) when given.
 */
export async function refreshRiskRollups(
  db: Queryable,
  clusterId: string,
  options: { namespaces?: readonly string[]; day?: string } = {},
): Promise<void> {
  const ns = options.namespaces ? [...new Set(options.namespaces)] : null;
  if (!ns || ns.length)
    for (const sql of rollupStatements(`"clusterId" = $1::uuid`, ns ? `namespace = ANY($2::text[])` : `$2::text[] IS NULL`))
      await db.query(sql, sql.includes('$2') ? [clusterId, ns] : [clusterId]);
  if (options.day) await refreshRiskTrend(db, clusterId, options.day, options.day);
}

/** Counts a cluster's daily identity scores from `from` to `to` (YYYY-MM-DD, inclusive) again. */
export async function refreshRiskTrend(db: Queryable, clusterId: string, from: string, to: string): Promise<void> {
  for (const sql of trendStatements(`"clusterId" = $1::uuid`, `day BETWEEN $2::date AND $3::date`))
    await db.query(sql, [clusterId, from, to]);
}

/** Recounts everything of one cluster (or all): the current scores and the daily history of the last `days` days. */
export async function rebuildRiskRollups(
  pool: pg.Pool,
  options: { clusterId?: string; days?: number; today?: Date } = {},
): Promise<{ clusters: number }> {
  const clusters = await pool.query<{ id: string }>(
    `SELECT id FROM "Cluster" ${options.clusterId ? 'WHERE id = $1' : ''} ORDER BY id`,
    options.clusterId ? [options.clusterId] : [],
  );
  const today = options.today ?? new Date();
  const to = today.toISOString().slice(0, 10);
  const from = new Date(today.getTime() - (options.days ?? 400) * 86_400_000).toISOString().slice(0, 10);
  for (const c of clusters.rows)
    await inTransaction(
      pool,
      async (db) => {
        await refreshRiskRollups(db, c.id);
        await refreshRiskTrend(db, c.id, from, to);
      },
      { lock: `${c.id}:risk` },
    );
  return { clusters: clusters.rowCount ?? 0 };
}

/** The namespaces of a cluster's identities and of those the workloads run as (their roll-up rows to count again). */
export async function namespacesOf(
  db: Queryable,
  subjects: { identityIds?: readonly string[]; workloadIds?: readonly string[] },
): Promise<string[]> {
  const res = await db.query<{ namespace: string }>(
    `SELECT DISTINCT i.namespace FROM "Identity" i
     WHERE i.id = ANY($1::uuid[])
        OR i.id IN (SELECT wi."identityId" FROM "WorkloadIdentity" wi WHERE wi."workloadId" = ANY($2::uuid[]))`,
    [[...(subjects.identityIds ?? [])], [...(subjects.workloadIds ?? [])]],
  );
  return res.rows.map((r) => r.namespace);
}

/**
 * After an ownership change without a new scoring (a workload's claimed owner): counts the roll-up rows of the
 * identities concerned again, under the scoring's own lock (the day's trend follows at the next full scoring).
 */
export async function refreshRiskRollupsOf(
  pool: pg.Pool,
  clusterId: string,
  subjects: { identityIds?: readonly string[]; workloadIds?: readonly string[] },
): Promise<void> {
  await inTransaction(pool, async (db) => refreshRiskRollups(db, clusterId, { namespaces: await namespacesOf(db, subjects) }), {
    lock: `${clusterId}:risk`,
  });
}
