/**
 * RBAC reach benchmark: a seeded random cluster of 10,000 ServiceAccounts, 5,000 roles and
 * 20,000 bindings; computes the reach summary (rules per scope, sensitive capabilities with their
 * grants) of every ServiceAccount, then the escalation graph and every identity's distance to
 * cluster-admin. Prints timings and peak RSS; the last line is
 * `reach: <seconds> s for <N> service accounts` (index build + all reach summaries).
 *
 * Usage: node --import tsx scripts/bench-rbac.ts [--seed N] [--sas N] [--roles N] [--bindings N] [--namespaces N] [--no-escalation]
 */
import { buildEscalationGraph, distancesTo } from '../lib/rbac/escalation';
import { generateCluster, generatedSnapshot } from './rbac-verify/generate';
import { buildIndex } from '../lib/rbac/rbac-index';
import { reachOf } from '../lib/rbac/reach';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}

const seed = arg('seed', 20240605);
const sas = arg('sas', 10_000);
const roles = arg('roles', 5_000);
const bindings = arg('bindings', 20_000);
const namespaces = arg('namespaces', 250);
const withEscalation = !process.argv.includes('--no-escalation');

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const secs = (ms: number) => (ms / 1000).toFixed(2);

const t0 = performance.now();
const gen = generateCluster({ seed, namespaces, serviceAccounts: sas, roles, bindings, users: 200, groups: 50 });
const snapshot = generatedSnapshot(gen);
const tGen = performance.now();
console.log(
  `generated (seed ${seed}): ${gen.serviceAccounts.length} service accounts, ${gen.roles.length} Roles + ${gen.clusterRoles.length} ClusterRoles, ` +
    `${gen.roleBindings.length} RoleBindings + ${gen.clusterRoleBindings.length} ClusterRoleBindings in ${gen.namespaces.length} namespaces (${secs(tGen - t0)} s)`,
);

const tIndex0 = performance.now();
const index = buildIndex(snapshot);
const tIndex = performance.now();
let capabilities = 0;
let effective = 0;
let withAny = 0;
let rules = 0;
for (const sa of gen.serviceAccounts) {
  const r = reachOf(index, { kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name });
  capabilities += r.capabilities.length;
  effective += r.capabilities.filter((c) => c.effective).length;
  rules += r.clusterRules.length + r.namespaceRules.reduce((n, x) => n + x.rules.length, 0);
  if (r.bindings.length) withAny++;
}
const tReach = performance.now();
console.log(`index: ${secs(tIndex - tIndex0)} s; reach summaries: ${secs(tReach - tIndex)} s`);
console.log(
  `  ${withAny} service accounts with bindings, ${rules} granted rules, ${capabilities} sensitive capabilities held (${effective} effective)`,
);

if (withEscalation) {
  const tg0 = performance.now();
  const graph = buildEscalationGraph(index);
  const tg1 = performance.now();
  const dist = distancesTo(graph);
  const tg2 = performance.now();
  let toAdmin = 0;
  for (const sa of gen.serviceAccounts) if (dist.distance.has(`sa:${sa.namespace}/${sa.name}`)) toAdmin++;
  console.log(
    `escalation graph: ${graph.nodes.size} nodes, ${graph.edges.length} edges in ${secs(tg1 - tg0)} s; ` +
      `shortest paths to cluster-admin in ${secs(tg2 - tg1)} s; ${toAdmin} service accounts can reach cluster-admin`,
  );
}

const peak = process.resourceUsage().maxRSS * 1024;
console.log(`peak RSS: ${mb(peak)}; heap used now: ${mb(process.memoryUsage().heapUsed)}`);
console.log(`reach: ${secs(tReach - tIndex0)} s for ${gen.serviceAccounts.length} service accounts`);
