/**
 * Agreement of the RBAC evaluator with the real Kubernetes authorizer, at scale.
 *
 * Applies a seeded random RBAC cluster (names under a fresh `nhi-gen-<random>` prefix) to the API
 * server of the kubeconfig, waits for the ClusterRole aggregation controller, reads back every Role,
 * ClusterRole and binding the server holds (bootstrap roles, the corpus, the generated objects),
 * samples tuples about generated and corpus identities, and compares `can()` with a
 * SubjectAccessReview for each; then checks `whoCan()` lists against SubjectAccessReview. Deletes the
 * generated objects at the end (unless --keep). Progress goes to stderr; the summary to stdout, whose
 * last line is `agreement: <A>/<N> tuples`. Exit code 1 when any tuple disagrees.
 *
 * Usage: node --import tsx scripts/bench-rbac-agreement.ts --kubeconfig FILE [--tuples 20000] [--seed N]
 *          [--concurrency 16] [--corpus-share 0.35] [--who-can 20] [--keep] [--json FILE]
 * Without --kubeconfig: $KUBECONFIG, else the test cluster's admin kubeconfig (.cache/cluster/admin.kubeconfig).
 * The kubeconfig needs the rights to create RBAC objects and namespaces and SubjectAccessReviews.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { formatMismatch, formatWhoCanMismatch, runAgreement } from './rbac-verify/agreement';
import { formatRequest, formatUser } from '../lib/rbac/explain';

function fail(message: string): never {
  console.error(`bench-rbac-agreement: ${message}`);
  process.exit(2);
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) fail(`--${name} needs a value`);
  return v;
}

function numberOption(name: string, fallback: number, { integer = true, min = 0, max = Infinity } = {}): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max)
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${raw}"`);
  return v;
}

const known = new Set([
  '--kubeconfig',
  '--tuples',
  '--seed',
  '--concurrency',
  '--corpus-share',
  '--who-can',
  '--keep',
  '--json',
  '--help',
]);
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i] as string;
  if (a.startsWith('--') && !known.has(a)) fail(`unknown option ${a}`);
}
if (process.argv.includes('--help')) {
  console.log(
    'usage: bench-rbac-agreement --kubeconfig FILE [--tuples 20000] [--seed N] [--concurrency 16] [--corpus-share 0.35] [--who-can 20] [--keep] [--json FILE]',
  );
  process.exit(0);
}

const kubeconfig =
  option('kubeconfig') ??
  process.env.KUBECONFIG?.split(':')[0] ??
  path.resolve(process.env.NHI_ROOT ?? process.cwd(), '.cache/cluster/admin.kubeconfig');
if (!existsSync(kubeconfig))
  fail(`kubeconfig ${kubeconfig} not found (start the test cluster with \`npm run cluster:up\`; its last line is the path)`);
const tuples = numberOption('tuples', 20_000, { min: 2 });
const seed = numberOption('seed', 1, { min: 0, max: 2 ** 32 - 1 });
const concurrency = numberOption('concurrency', 16, { min: 1, max: 256 });
const corpusShare = numberOption('corpus-share', 0.35, { integer: false, min: 0, max: 1 });
const whoCanQueries = numberOption('who-can', 20, { min: 0 });
const jsonFile = option('json');

const kc = new KubeConfig();
try {
  kc.loadFromFile(kubeconfig);
} catch (e) {
  fail(`cannot read ${kubeconfig}: ${e instanceof Error ? e.message : String(e)}`);
}

const err = (line: string) => process.stderr.write(`${line}\n`);
let lastShown = 0;
const t0 = Date.now();
const report = await runAgreement({
  kc,
  seed,
  tuples,
  corpusShare,
  concurrency,
  whoCanQueries,
  // A larger generated cluster than the integration test's (about 700 objects).
  generate: { namespaces: 12, serviceAccounts: 120, roles: 160, bindings: 400, aggregatedShare: 0.05 },
  keep: process.argv.includes('--keep'),
  log: (l) => err(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${l}`),
  onProgress: (done, total) => {
    const now = Date.now();
    if (done === total || now - lastShown > 2000) {
      lastShown = now;
      err(`[${((now - t0) / 1000).toFixed(1)} s] SubjectAccessReviews ${done}/${total}`);
    }
  },
}).catch((e: unknown) => {
  // One line, not a stack (the generated objects were already cleaned up by runAgreement).
  console.error(`bench-rbac-agreement: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

const s = (ms: number) => (ms / 1000).toFixed(1);
console.log(
  `cluster: ${kc.getCurrentCluster()?.server ?? '?'} (${report.live.clusterRoles} ClusterRoles, ${report.live.roles} Roles, ${report.live.clusterRoleBindings} ClusterRoleBindings, ${report.live.roleBindings} RoleBindings incl. generated)`,
);
console.log(
  `generated: ${report.generated.objects} objects under ${report.prefix} (seed ${report.seed}): ${report.generated.clusterRoles} ClusterRoles, ${report.generated.roles} Roles, ${report.generated.clusterRoleBindings} ClusterRoleBindings, ${report.generated.roleBindings} RoleBindings, ${report.generated.serviceAccounts} ServiceAccounts in ${report.generated.namespaces} namespaces`,
);
console.log(
  `aggregation: ${report.aggregation.settled ? 'settled' : `NOT settled (differs: ${report.aggregation.pending.join(', ')})`} (${report.aggregation.aggregatedRoles} aggregated ClusterRoles; stored rules = computed aggregation${report.aggregation.orderDiffers.length ? `, order differs for ${report.aggregation.orderDiffers.join(', ')}` : ''})`,
);
for (const [source, v] of Object.entries(report.bySource))
  console.log(`${source}: ${v.agreed}/${v.tuples} agree (${v.allowed} allowed)`);
console.log(
  `reasons: the API server's granting binding is among ours for ${report.reasons.agreed}/${report.reasons.bothAllowed} allowed tuples`,
);
for (const m of report.reasons.mismatches.slice(0, 10))
  console.log(
    `  #${m.index} ${formatUser(m.tuple.user)}: ${formatRequest(m.tuple.attrs)}: server "${m.sarReason}"; ours ${m.reasons.join(' | ')}`,
  );
console.log(
  `coverage: ${Object.entries(report.coverage)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join('; ')}`,
);
if (report.firstPassMismatches)
  console.log(`first pass: ${report.firstPassMismatches} disagreement(s); re-checked against a fresh listing and review`);
if (report.recheck.resolved)
  console.log(
    `re-checked after a concurrent change: ${report.recheck.resolved} (RBAC objects changed: ${report.recheck.snapshotChanged})`,
  );
for (const m of report.mismatches.slice(0, 50)) console.log(formatMismatch(m));
if (report.mismatches.length > 50) console.log(`… ${report.mismatches.length - 50} more disagreements`);
const w = report.whoCan;
console.log(
  `whoCan: ${w.queries} requests; listed subjects allowed by SubjectAccessReview ${w.listedAgreed}/${w.listedChecked} (${w.listedSkipped} system:masters entries not checked); unlisted identities denied ${w.unlistedAgreed}/${w.unlistedChecked}`,
);
for (const m of w.mismatches.slice(0, 20)) console.log(formatWhoCanMismatch(m));
console.log(
  `time: apply ${s(report.timings.applyMs)} s, settle ${s(report.timings.settleMs)} s, list ${s(report.timings.listMs)} s, sample ${s(report.timings.sampleMs)} s, ` +
    `SubjectAccessReviews ${s(report.timings.sarMs)} s (${Math.round(report.tuples / Math.max(0.001, report.timings.sarMs / 1000))}/s), whoCan ${s(report.timings.whoCanMs)} s, cleanup ${s(report.timings.cleanupMs)} s, total ${s(report.timings.totalMs)} s`,
);
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`agreement: ${report.agreed}/${report.tuples} tuples`);
process.exitCode = report.agreed === report.tuples && w.mismatches.length === 0 && report.reasons.mismatches.length === 0 ? 0 : 1;
