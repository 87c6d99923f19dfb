/**
 * Times the Risk page's roll-ups on an existing database (DATABASE_URL, e.g. a `bench:pages --keep` one):
 * the counts kept by lib/risk/rollups.ts (riskRollups) against the former scan of every score
 * (lib/risk/rollups-reference.ts), for everyone and for one team's service owners, checks that both give
 * the same numbers, and prints the median of `--rounds` runs of each; `--rebuild` counts the kept tables
 * again first (timed); times the page's ranked list too, and `--explain` prints EXPLAIN ANALYZE of its two statements.
 *
 * Usage: DATABASE_URL=… node --import tsx scripts/bench-risk-rollups.ts [--rounds 5] [--rebuild] [--explain]
 */
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import type { TeamScope } from '@/lib/auth/roles';
import { openStore } from '@/lib/collect/store';
import { listRisk, riskFilterSchema, riskRollups } from '@/lib/data/risk';
import { createPrisma } from '@/lib/db/client';
import { rebuildRiskRollups } from '@/lib/risk/rollups';
import { scanRollups } from '@/lib/risk/rollups-reference';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    rebuild: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
  },
});
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const rounds = Number(values.rounds);
const pool = openStore(url);
const db = createPrisma(url);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; out: T }> {
  await fn(); // warm-up
  const ms: number[] = [];
  let out!: T;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    out = await fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), out };
}

try {
  const counts = await pool.query<{ identities: number; scores: number; daily: number; rollup: number; daily_rollup: number }>(
    `SELECT (SELECT count(*) FROM "Identity")::int AS identities, (SELECT count(*) FROM "RiskScore")::int AS scores,
            (SELECT count(*) FROM "RiskScoreDaily")::int AS daily, (SELECT count(*) FROM "RiskRollup")::int AS rollup,
            (SELECT count(*) FROM "RiskRollupDaily")::int AS daily_rollup`,
  );
  console.log('rows', counts.rows[0]);
  if (values.rebuild) {
    const t = performance.now();
    await rebuildRiskRollups(pool);
    console.log(`rebuild: ${(performance.now() - t).toFixed(0)} ms`);
    await pool.query('ANALYZE "RiskRollup", "RiskRollupDaily"');
  }
  const team = await pool.query<{ id: string; name: string }>(
    `SELECT t.id, t.name FROM "Team" t ORDER BY (SELECT count(*) FROM "Ownership" o WHERE o."teamId" = t.id) DESC LIMIT 1`,
  );
  const scopes: [string, TeamScope][] = [['everyone', null]];
  if (team.rows[0]) scopes.push([`team ${team.rows[0].name}`, [team.rows[0].id]]);
  for (const [label, scope] of scopes) {
    const kept = await time(() => riskRollups(db, {}, scope));
    const scanned = await time(() => scanRollups(db, {}, scope));
    console.log(
      `${label}: kept ${kept.ms.toFixed(1)} ms, scan ${scanned.ms.toFixed(1)} ms (median of ${rounds}); same numbers: ${isDeepStrictEqual(kept.out, scanned.out)}`,
    );
  }
  const list = await time(() => listRisk(db, riskFilterSchema.parse({})));
  console.log(`ranked list (first page, count ${list.out.total}): ${list.ms.toFixed(1)} ms`);
  if (values.explain) {
    // The ranked list's two statements for the page's default view, as lib/data/risk.ts listRisk writes them.
    const from = `"RiskScore" s LEFT JOIN "Cluster" cl ON cl.id = s."clusterId"
      LEFT JOIN "Identity" i ON i.id = s."identityId" LEFT JOIN "Workload" w ON w.id = s."workloadId"`;
    const where = `TRUE AND s."identityId" IS NOT NULL AND s."identityId" NOT IN (SELECT id FROM "Identity" WHERE "builtIn")`;
    for (const [label, sql] of [
      ['ranked list: count', `SELECT count(*) AS n FROM ${from} WHERE ${where}`],
      [
        'ranked list: first page',
        `SELECT cl.name AS cluster, COALESCE(i.id, w.id) AS id,
           CASE WHEN i.id IS NOT NULL THEN CASE WHEN i.namespace = '' THEN i.name ELSE i.namespace || '/' || i.name END
                ELSE w.namespace || '/' || w.kind || '/' || w.name END AS name,
           COALESCE(i.kind::text, w.kind) AS kind, s.namespace, s.score, s.factors, s.weights, s."computedAt",
           ARRAY(SELECT DISTINCT t.name FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId"
                 WHERE o."identityId" = s."identityId" OR o."workloadId" = s."workloadId" ORDER BY 1) AS teams
         FROM ${from} WHERE ${where} ORDER BY s.score DESC, 3, 1 LIMIT 50 OFFSET 0`,
      ],
    ] as const) {
      const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`);
      console.log(`\n${label}:\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    }
  }
} finally {
  await db.$disconnect();
  await pool.end();
}
