/**
 * `nhi risk`: the risk score of every identity (or workload), highest first, with the factors that make it
 * up — their points add up to the score — and the evidence behind each; roll-ups per cluster, namespace and
 * team; and recomputation after the weights file changed.
 *
 *   nhi risk --json | jq '.[0] | {identity, score, factors}'
 *   nhi risk --workloads --namespace shop
 *   nhi risk rollup [--rebuild]
 *   NHI_RISK_WEIGHTS=my-weights.yaml nhi risk recompute
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { resolveCluster } from '@/lib/data/clusters';
import { listRisk, riskFilterSchema, riskRollups, type RiskRow } from '@/lib/data/risk';
import type { PrismaClient } from '@/lib/db/client';
import { rebuildRiskRollups } from '@/lib/risk/rollups';
import { updateRiskScores } from '@/lib/risk/store';
import { loadWeights, weightsLabel } from '@/lib/risk/weights';

interface Options {
  cluster?: string;
  workloads?: boolean;
  namespace?: string;
  team?: string;
  min?: string;
  limit?: string;
  builtIn?: boolean;
  json?: boolean;
}

/** One item of `--json`: `identity` (or `workload`), `score`, `factors` ({ name, points, evidence }) first. */
export function riskJson(r: RiskRow) {
  return {
    [r.subject]: r.name,
    score: r.score,
    factors: r.factors.map((f) => ({ name: f.name, points: f.points, evidence: f.evidence })),
    cluster: r.cluster,
    kind: r.kind,
    teams: r.teams,
    weights: r.weights,
    computedAt: r.computedAt,
  };
}

async function allRisk(db: PrismaClient, opts: Options): Promise<RiskRow[]> {
  const filter = parseOptions(riskFilterSchema, {
    cluster: opts.cluster,
    subject: opts.workloads ? 'workload' : 'identity',
    namespace: opts.namespace,
    team: opts.team,
    min: opts.min,
    builtIn: opts.builtIn ? 'true' : 'false',
    pageSize: '200',
  });
  const limit = opts.limit ? parseOptions(riskFilterSchema.pick({ page: true }), { page: opts.limit }).page : Infinity;
  const out: RiskRow[] = [];
  for (let page = 1; out.length < limit; page++) {
    const { rows, total } = await listRisk(db, { ...filter, page });
    out.push(...rows);
    if (!rows.length || out.length >= total) break;
  }
  return out.slice(0, limit);
}

export function registerRiskCommands(program: Command): void {
  const risk = program
    .command('risk')
    .description('Risk scores (0–100), highest first, with the factors that add up to each score and their evidence.')
    .option('--cluster <name>', 'only this cluster')
    .option('--workloads', 'score workloads instead of identities')
    .option('--namespace <ns>', 'only this namespace')
    .option('--team <name>', 'only what this team owns ((none): nobody)')
    .option('--min <score>', 'only scores at or above')
    .option('--limit <n>', 'at most this many')
    .option('--built-in', "include Kubernetes' own identities (controllers, system:*)")
    .option('--json', 'print JSON: a list of { identity|workload, score, factors: [{ name, points, evidence }], … }')
    .action(async (opts: Options) => {
      const rows = await withDatabase(async ({ db }) => {
        if (opts.cluster) await resolveCluster(db, opts.cluster);
        return allRisk(db, opts);
      });
      if (opts.json) return void console.log(JSON.stringify(rows.map(riskJson), null, 2));
      if (!rows.length) return void console.log('No score matches (scores are computed after each collection).');
      for (const r of rows) {
        console.log(
          `${String(r.score).padStart(3)}  ${r.cluster}  ${r.name}${r.teams.length ? `  (${r.teams.join(', ')})` : ''}`,
        );
        for (const f of r.factors) console.log(`       ${f.points >= 0 ? '+' : ''}${f.points}  ${f.name}`);
      }
    });

  risk
    .command('rollup')
    .description('Identity scores per cluster, namespace and team: count, mean, 90th percentile, max, how many at 70 or more.')
    .option('--cluster <name>', 'only this cluster')
    .option('--json', 'print JSON, with the daily trend')
    .option('--rebuild', "count the stored scores and their daily history again first (the last 400 days, with today's owners)")
    .action(async (opts: { cluster?: string; json?: boolean; rebuild?: boolean }) => {
      const r = await withDatabase(async ({ db, pool }) => {
        const cluster = opts.cluster ? await resolveCluster(db, opts.cluster) : null;
        if (opts.rebuild) await rebuildRiskRollups(pool, { clusterId: cluster?.id });
        return riskRollups(db, { cluster: opts.cluster });
      });
      if (opts.json) return void console.log(JSON.stringify(r, null, 2));
      for (const [title, rows] of [
        ['Clusters', r.clusters],
        ['Namespaces', r.namespaces],
        ['Teams', r.teams],
      ] as const) {
        console.log(`${title}:`);
        for (const x of rows)
          console.log(
            `  ${(x.cluster ? `${x.cluster}/${x.name}` : x.name).padEnd(40)} identities ${x.identities}  mean ${x.mean}  p90 ${x.p90}  max ${x.max}  ≥70: ${x.high}`,
          );
      }
    });

  risk
    .command('recompute')
    .description('Compute every score again (after changing the weights: NHI_RISK_WEIGHTS=FILE).')
    .option('--cluster <name>', 'the cluster (default: the only one)')
    .action(async (opts: { cluster?: string }) => {
      const weights = loadWeights();
      const r = await withDatabase(async ({ db, pool }) => {
        const cluster = await resolveCluster(db, opts.cluster);
        return updateRiskScores(pool, cluster.id, new Date(), { weights });
      });
      console.log(
        `${r.identities} identities and ${r.workloads} workloads scored with weights ${weightsLabel(weights)} in ${r.seconds.toFixed(1)} s`,
      );
    });
}
