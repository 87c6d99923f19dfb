/**
 * The noise benchmark (issue 11): how many anomalies the behaviour detectors (lib/behaviour) raise on
 * normal traffic, per 10,000 events judged. A benchmark, not a test: it prints figures, what was raised per
 * class and detector (with the identities, so a person can tune the class defaults), and ends with the line
 *
 *   noise: <N> anomalies per 10000 events over <M> events
 *
 * over all the NORMAL traffic measured (the corpus folders labelled normal, and the cluster run).
 *
 * 1. The runtime corpus (`runtime/audit/*` and `runtime/falco` of ../shared/corpus, or NHI_CORPUS_DIR):
 *    each folder is ingested (`ingestFiles`) into a cluster row of its own and judged (`detectDays`) under
 *    the shipped profiles (public/behaviour-profiles.yaml). Many folders are attack traces on purpose:
 *    each folder is labelled attack (findings expected) or normal (CORPUS_FOLDERS says why), and only the
 *    normal ones count toward the noise line. Without the corpus this part is skipped with one line.
 * 2. A run of the real test cluster (e2e/cluster/harness.ts: ensureCluster + seedCluster) for --minutes
 *    (default 9). kube-controller-manager runs with per-controller credentials, so its controllers act as
 *    `system:serviceaccount:kube-system:<name>`. This script also acts as the operators the seed installs
 *    from the corpus charts (OPERATORS), each with a TokenRequest token bound to a Pod of its workload and
 *    a fixed user agent (from its image), doing what its RBAC allows and such an operator does all day:
 *    discovery, list then watch of every served resource its roles let it list and watch (re-watched from
 *    the last resourceVersion, relisted on 410), leader election (get + update of its Lease every 2 s),
 *    events, and the writes a few of them make on their own (ingress-nginx sets the status of the tenants'
 *    Ingresses; cluster-autoscaler updates its status ConfigMap). They reach the API server as pods do behind
 *    its load balancer: after it went away (the shared cluster's API server restarts when someone changes
 *    its audit webhook), calls wait until /readyz answers. A tenant (the admin, not judged) keeps the
 *    controllers busy as any cluster does: every sixth of the run a namespace with two Deployments and
 *    their Services, an Ingress, a ConfigMap, a Secret and a Job; a third of its life on, one Deployment is
 *    scaled up and the other retired with its Service; after two thirds the namespace is deleted. The audit
 *    log from the offset taken at the start (auditLogOffset), kept to kube-system's ServiceAccounts and the
 *    operators' (request and response bodies removed), goes to a temporary file, is ingested into a
 *    collected inventory of the cluster (so workloads give the operators their class) and judged under the
 *    shipped profiles with every class's learningWindow set to a third of the run: time is compressed by
 *    configuration, never by changing a timestamp.
 *
 * Events judged: final-stage (ResponseComplete or Panic) audit events of ServiceAccounts with a verb (what
 * the engine runs the detectors on), plus Falco alerts. Anomalies: rows of "Anomaly" (one per fingerprint;
 * its events are its evidence).
 *
 * The database is made on DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432/postgres),
 * migrated, and dropped at the end. The cluster is shared: it is reused, never stopped or purged; the
 * tenant's namespaces (`noise-<run>-<n>`) are deleted; the operators' Leases, the autoscaler's status
 * ConfigMap and their Events (gone after an hour) stay, as they would after a restart of those operators.
 *
 * Usage: node --import tsx scripts/bench-noise.ts [--minutes N] [--skip-corpus] [--skip-cluster]
 *          [--save-audit FILE] [--replay-audit FILE]
 *   --minutes N          length of the cluster run, 1 to 1440 (default 9; learning windows are a third)
 *   --save-audit FILE    keep the filtered audit log of the run
 *   --replay-audit FILE  judge a saved run again (under the profiles as they are now) instead of making
 *                        traffic; the cluster is still needed for the inventory; windows: a third of its span
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import {
  ApisApi,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1APIResourceList,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { parseDocument } from 'yaml';
import { Agent, request } from 'undici';
import {
  adminKubeConfig,
  auditLogOffset,
  ensureCluster,
  seedCluster,
  serviceAccountToken,
  type TestCluster,
} from '@/e2e/cluster/harness';
import { status as controlPlaneStatus } from '@/e2e/cluster/control-plane';
import { createTestDatabase } from '@/e2e/setup/test-database';
import { detectDays } from '@/lib/behaviour/engine';
import { loadProfiles, parseProfiles, profilesLabel, type BehaviourProfiles } from '@/lib/behaviour/profiles';
import { imageName, WORKLOAD_CLASSES } from '@/lib/behaviour/workload-class';
import { collectOnce } from '@/lib/collect/collect';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import { corpusLocation, corpusMissing } from '@/lib/corpus';
import { repoRoot } from '@/lib/paths';
import { createRng } from '@/lib/rng';
import { ingestFiles } from '@/lib/runtime/ingest';
import type pg from 'pg';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '9' },
    'skip-corpus': { type: 'boolean', default: false },
    'skip-cluster': { type: 'boolean', default: false },
    'save-audit': { type: 'string' },
    'replay-audit': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes < 1 || minutes > 24 * 60)
  throw new Error(`--minutes must be a number from 1 to 1440, got ${values.minutes}`);

const DEFAULT_SERVER = 'postgresql://postgres@127.0.0.1:5432/postgres';
const SHIPPED_PROFILES = path.join(repoRoot, 'public', 'behaviour-profiles.yaml');
const out = (line = '') => process.stdout.write(`${line}\n`);
const log = (line: string) => process.stderr.write(`[noise] ${line}\n`);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
const per10k = (anomalies: number, events: number) => (events ? (anomalies / events) * 10_000 : 0).toFixed(1);
const rng = createRng(Number.parseInt(randomBytes(4).toString('hex'), 16));

// ---------------------------------------------------------------------------------------------------------
// Counting what was judged and what was raised, per cluster row.

interface AnomalyRow {
  saNamespace: string;
  saName: string;
  detector: string;
  severity: string;
  summary: string;
  eventCount: number;
  class: string | null;
}

interface Judged {
  /** Final-stage audit events of ServiceAccounts with a verb, per `ns/name`. */
  calls: Map<string, number>;
  callTotal: number;
  falcoAlerts: number;
  anomalies: AnomalyRow[];
  classes: Map<string, { class: string; reason: string; learned: boolean }>;
  /** Refused calls (403) per `ns/name`: by the authorizer, and by admission (the authorizer had allowed them). */
  denied: Map<string, { authorizer: number; admission: number }>;
}

async function judged(pool: pg.Pool, clusterId: string): Promise<Judged> {
  const calls = new Map(
    (
      await pool.query<{ id: string; n: number }>(
        `SELECT e."saNamespace" || '/' || e."saName" AS id, count(*)::int AS n FROM "RuntimeEvent" e
         WHERE e."clusterId" = $1 AND e.source = 'audit' AND e."saName" IS NOT NULL AND e.verb IS NOT NULL
           AND (e.key LIKE '%:ResponseComplete' OR e.key LIKE '%:Panic') GROUP BY 1`,
        [clusterId],
      )
    ).rows.map((r) => [r.id, r.n]),
  );
  const falcoAlerts = (
    await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "RuntimeEvent" WHERE "clusterId" = $1 AND source = 'falco'`, [
      clusterId,
    ])
  ).rows[0]!.n;
  const anomalies = (
    await pool.query<AnomalyRow>(
      `SELECT "saNamespace", "saName", detector, severity::text AS severity, summary, "eventCount", context->>'class' AS class
       FROM "Anomaly" WHERE "clusterId" = $1 ORDER BY context->>'class', detector, "saNamespace", "saName", summary`,
      [clusterId],
    )
  ).rows;
  const classes = new Map(
    (
      await pool.query<{ id: string; class: string; classReason: string; learnedAt: Date | null }>(
        `SELECT "saNamespace" || '/' || "saName" AS id, class, "classReason", "learnedAt" FROM "Baseline" WHERE "clusterId" = $1`,
        [clusterId],
      )
    ).rows.map((r) => [r.id, { class: r.class, reason: r.classReason, learned: r.learnedAt !== null }]),
  );
  const denied = new Map<string, { authorizer: number; admission: number }>();
  for (const r of (
    await pool.query<{ id: string; decision: string | null; n: number }>(
      `SELECT e."saNamespace" || '/' || e."saName" AS id, e.event->>'decision' AS decision, count(*)::int AS n FROM "RuntimeEvent" e
       WHERE e."clusterId" = $1 AND e."saName" IS NOT NULL AND e."responseCode" = 403
         AND (e.key LIKE '%:ResponseComplete' OR e.key LIKE '%:Panic') GROUP BY 1, 2`,
      [clusterId],
    )
  ).rows) {
    const d = denied.get(r.id) ?? { authorizer: 0, admission: 0 };
    if (r.decision === 'allow') d.admission += r.n;
    else d.authorizer += r.n;
    denied.set(r.id, d);
  }
  return { calls, callTotal: [...calls.values()].reduce((a, b) => a + b, 0), falcoAlerts, anomalies, classes, denied };
}

/** What was raised, per class and detector, with the identities and what each anomaly says. */
function printAnomalies(anomalies: readonly AnomalyRow[], indent = '  '): void {
  if (!anomalies.length) return void out(`${indent}nothing raised`);
  const groups = new Map<string, AnomalyRow[]>();
  for (const a of anomalies) {
    const k = `${a.class ?? '?'}  ${a.detector}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  for (const [k, list] of groups) {
    const ids = [...new Set(list.map((a) => `${a.saNamespace}/${a.saName}`))];
    out(`${indent}${k}: ${list.length} anomalies, ${ids.length} identities`);
    for (const a of list)
      out(`${indent}    ${a.severity.padEnd(6)} ${a.saNamespace}/${a.saName}: ${a.summary} (${a.eventCount} events)`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1. The runtime corpus.

type Label = 'normal' | 'attack' | 'unlabelled';
/** Each folder of the runtime corpus: attack traces (findings expected) or normal traffic, and why. */
const CORPUS_FOLDERS: Record<string, { label: Label; why: string }> = {
  'audit/audit2rbac': {
    label: 'normal',
    why: "audit2rbac's demo log: an admin acting as bob, alice and ns1/sa1 by impersonation to record what RBAC must allow; nothing to find (the calls are the admin's, so no ServiceAccount is judged)",
  },
  'audit/crowdsec': { label: 'attack', why: 'CrowdSec scenarios that must trigger: exec into a pod, a privileged pod' },
  'audit/falco-k8s-audit-traces': {
    label: 'attack',
    why: "Falco's k8s_audit regression traces: most expect a detection (EXPECTED.md); people, anonymous and replicaset-controller creating privileged, host-network and sensitive-mount pods",
  },
  'audit/falco-psp-traces': {
    label: 'normal',
    why: 'kube-system/replicaset-controller creating the Pods of ReplicaSets, its everyday work; the findings Falco expects there are about the pod specs (PSP emulation), which the identity-behaviour detectors do not judge',
  },
  'audit/kube-audit-rest': {
    label: 'normal',
    why: 'a capture of admission requests of a normal cluster: AdmissionReviews, not audit events, so the parser rejects every line',
  },
  'audit/panther-rule-tests': {
    label: 'attack',
    why: 'Panther rule specs, half expected to alert: YAML, which ingestFiles does not read (nothing measured)',
  },
  falco: {
    label: 'attack',
    why: 'Falco alerts: each one is a detection; no inventory holds their pods, so none reaches an identity',
  },
};

interface Part {
  name: string;
  label: Label;
  events: number;
  anomalies: number;
}

async function measureCorpus(pool: pg.Pool, profiles: BehaviourProfiles): Promise<Part[]> {
  const missing = corpusMissing();
  if (missing) {
    out(`corpus: skipped: ${missing}`);
    return [];
  }
  const root = path.join(corpusLocation(), 'runtime');
  const auditDir = path.join(root, 'audit');
  const folders = [
    ...readdirSync(auditDir)
      .filter((n) => statSync(path.join(auditDir, n)).isDirectory())
      .sort()
      .map((n) => `audit/${n}`),
    'falco',
  ].filter((f) => existsSync(path.join(root, f)));
  out(`corpus: ${root} under the shipped profiles (${profilesLabel(profiles)}, ${SHIPPED_PROFILES})`);
  out(
    `  ${'folder'.padEnd(30)} ${'label'.padEnd(10)} ${'files'.padStart(5)} ${'read'.padStart(5)} ${'rej'.padStart(4)} ${'calls'.padStart(6)} ${'falco'.padStart(6)} ${'anom'.padStart(5)} ${'per 10k'.padStart(8)}`,
  );
  const parts: Part[] = [];
  const details: { folder: string; j: Judged }[] = [];
  for (const folder of folders) {
    const { label, why } = CORPUS_FOLDERS[folder] ?? {
      label: 'unlabelled' as const,
      why: 'not labelled in CORPUS_FOLDERS: left out of the noise line',
    };
    const clusterId = await ensureClusterRow(pool, `corpus-${folder.replace(/[^a-z0-9]+/gi, '-')}`, 'import', null, null);
    const r = await ingestFiles(pool, clusterId, [path.join(root, folder)], { parseIn: 'main' });
    await detectDays(pool, clusterId, r.days, profiles);
    const j = await judged(pool, clusterId);
    const events = j.callTotal + j.falcoAlerts;
    out(
      `  ${folder.padEnd(30)} ${label.padEnd(10)} ${String(r.files).padStart(5)} ${String(r.events).padStart(5)} ${String(r.rejectedCount).padStart(4)} ${String(j.callTotal).padStart(6)} ${String(j.falcoAlerts).padStart(6)} ${String(j.anomalies.length).padStart(5)} ${per10k(j.anomalies.length, events).padStart(8)}`,
    );
    out(`      ${why}`);
    parts.push({ name: folder, label, events, anomalies: j.anomalies.length });
    details.push({ folder, j });
  }
  out(
    '  (files: event files read; read: events parsed; rej: items rejected; calls: final-stage ServiceAccount calls judged; falco: alerts)',
  );
  for (const { folder, j } of details) {
    if (!j.anomalies.length) continue;
    const label = CORPUS_FOLDERS[folder]?.label ?? 'unlabelled';
    out(`  raised in ${folder} (${label === 'attack' ? 'attack traces: findings expected' : `${label}: noise`}):`);
    printAnomalies(j.anomalies, '    ');
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------------------
// 2. The test cluster: RBAC, discovery, operators, tenant churn, audit log.

interface Served {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

/** Every served resource (no subresource) at its group's preferred version. */
async function discover(kc: KubeConfig): Promise<Served[]> {
  const served: Served[] = [];
  const add = (group: string, version: string, list: V1APIResourceList) => {
    for (const r of list.resources)
      if (!r.name.includes('/')) served.push({ group, version, resource: r.name, namespaced: r.namespaced, verbs: r.verbs });
  };
  add('', 'v1', await kc.makeApiClient(CoreV1Api).getAPIResources());
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const g of (await kc.makeApiClient(ApisApi).getAPIVersions()).groups) {
    const v = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (v) add(g.name, v, await custom.getAPIResources({ group: g.name, version: v }));
  }
  return served;
}

interface Grant {
  /** null: cluster-wide (a ClusterRoleBinding). */
  namespace: string | null;
  rule: V1PolicyRule;
}

interface Rbac {
  grantsOf(namespace: string, name: string): Grant[];
}

async function readRbac(kc: KubeConfig): Promise<Rbac> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const [clusterRoles, roles, crbs, rbs] = await Promise.all([
    rbac.listClusterRole(),
    rbac.listRoleForAllNamespaces(),
    rbac.listClusterRoleBinding(),
    rbac.listRoleBindingForAllNamespaces(),
  ]);
  const clusterRules = new Map(clusterRoles.items.map((r) => [r.metadata!.name!, r.rules ?? []]));
  const roleRules = new Map(roles.items.map((r) => [`${r.metadata!.namespace}/${r.metadata!.name}`, r.rules ?? []]));
  const isSubject = (
    subjects: { kind: string; name: string; namespace?: string }[] | undefined,
    bindingNs: string | null,
    ns: string,
    name: string,
  ) => (subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === name && (s.namespace ?? bindingNs) === ns);
  return {
    grantsOf(ns, name) {
      const grants: Grant[] = [];
      for (const b of crbs.items)
        if (isSubject(b.subjects, null, ns, name) && b.roleRef.kind === 'ClusterRole')
          for (const rule of clusterRules.get(b.roleRef.name) ?? []) grants.push({ namespace: null, rule });
      for (const b of rbs.items) {
        const bns = b.metadata!.namespace!;
        if (!isSubject(b.subjects, bns, ns, name)) continue;
        const rules =
          b.roleRef.kind === 'ClusterRole' ? clusterRules.get(b.roleRef.name) : roleRules.get(`${bns}/${b.roleRef.name}`);
        for (const rule of rules ?? []) grants.push({ namespace: bns, rule });
      }
      return grants;
    },
  };
}

/** Whether a grant's rule covers the request; `explicit` when it names the resource (no wildcard). */
function covers(
  rule: V1PolicyRule,
  verb: string,
  group: string,
  resource: string,
  name?: string,
): 'explicit' | 'wildcard' | false {
  if (!rule.verbs.includes(verb) && !rule.verbs.includes('*')) return false;
  const groups = rule.apiGroups ?? [];
  if (!groups.includes(group) && !groups.includes('*')) return false;
  const resources = rule.resources ?? [];
  const sub = resource.split('/')[1];
  const explicit = resources.includes(resource);
  const wild = resources.includes('*') || (sub !== undefined && resources.includes(`*/${sub}`));
  if (!explicit && !wild) return false;
  if (rule.resourceNames?.length && (!name || !rule.resourceNames.includes(name))) return false;
  return explicit ? 'explicit' : 'wildcard';
}

/** How a request is allowed: `explicit`, `wildcard`, or false. A cluster-scoped request (namespace null) needs a cluster-wide grant. */
function allows(
  grants: readonly Grant[],
  verb: string,
  group: string,
  resource: string,
  namespace: string | null,
  name?: string,
): 'explicit' | 'wildcard' | false {
  let best: 'explicit' | 'wildcard' | false = false;
  for (const g of grants) {
    if (g.namespace !== null && g.namespace !== namespace) continue;
    const c = covers(g.rule, verb, group, resource, name);
    if (c === 'explicit') return c;
    if (c) best = c;
  }
  return best;
}

const apiBase = (group: string, version: string) => (group ? `/apis/${group}/${version}` : `/api/${version}`);
const collectionPath = (r: Served, namespace: string | null) =>
  `${apiBase(r.group, r.version)}${namespace ? `/namespaces/${namespace}` : ''}/${r.resource}`;

/** An operator the seed installs from the corpus charts, as it runs: its ServiceAccount, workload and own habits. */
interface OperatorSpec {
  namespace: string;
  serviceAccount: string;
  workload: { kind: 'Deployment' | 'StatefulSet'; name: string };
  /** Writes this operator makes on its own, beside leases and events. */
  habit?: 'ingress-status' | 'autoscaler-status';
}

const OPERATORS: OperatorSpec[] = [
  { namespace: 'cert-manager', serviceAccount: 'cert-manager', workload: { kind: 'Deployment', name: 'cert-manager' } },
  {
    namespace: 'cert-manager',
    serviceAccount: 'cert-manager-cainjector',
    workload: { kind: 'Deployment', name: 'cert-manager-cainjector' },
  },
  {
    namespace: 'argocd',
    serviceAccount: 'argocd-application-controller',
    workload: { kind: 'StatefulSet', name: 'argocd-application-controller' },
  },
  {
    namespace: 'argocd',
    serviceAccount: 'argocd-applicationset-controller',
    workload: { kind: 'Deployment', name: 'argocd-applicationset-controller' },
  },
  {
    namespace: 'argocd',
    serviceAccount: 'argocd-notifications-controller',
    workload: { kind: 'Deployment', name: 'argocd-notifications-controller' },
  },
  {
    namespace: 'ingress-nginx',
    serviceAccount: 'ingress-nginx',
    workload: { kind: 'Deployment', name: 'ingress-nginx-controller' },
    habit: 'ingress-status',
  },
  { namespace: 'external-dns', serviceAccount: 'external-dns', workload: { kind: 'Deployment', name: 'external-dns' } },
  {
    namespace: 'external-secrets',
    serviceAccount: 'nhi-external-secrets',
    workload: { kind: 'Deployment', name: 'nhi-external-secrets' },
  },
  {
    namespace: 'gatekeeper-system',
    serviceAccount: 'gatekeeper-admin',
    workload: { kind: 'Deployment', name: 'gatekeeper-controller-manager' },
  },
  { namespace: 'tigera-operator', serviceAccount: 'tigera-operator', workload: { kind: 'Deployment', name: 'tigera-operator' } },
  {
    namespace: 'local-path-storage',
    serviceAccount: 'local-path-provisioner-service-account',
    workload: { kind: 'Deployment', name: 'local-path-provisioner' },
  },
  { namespace: 'knative-serving', serviceAccount: 'controller', workload: { kind: 'Deployment', name: 'controller' } },
  { namespace: 'default', serviceAccount: 'prometheus-operator', workload: { kind: 'Deployment', name: 'prometheus-operator' } },
  {
    namespace: 'kube-system',
    serviceAccount: 'kube-state-metrics',
    workload: { kind: 'Deployment', name: 'kube-state-metrics' },
  },
  {
    namespace: 'kube-system',
    serviceAccount: 'cluster-autoscaler',
    workload: { kind: 'Deployment', name: 'cluster-autoscaler' },
    habit: 'autoscaler-status',
  },
  {
    namespace: 'kube-system',
    serviceAccount: 'calico-kube-controllers',
    workload: { kind: 'Deployment', name: 'calico-kube-controllers' },
  },
  { namespace: 'istio-system', serviceAccount: 'istiod', workload: { kind: 'Deployment', name: 'istiod' } },
];

/** Resources an operator allowed everything (a wildcard) still does not watch: Argo CD's default exclusions. */
const WILDCARD_UNWATCHED = new Set([
  '/events',
  'events.k8s.io/events',
  'coordination.k8s.io/leases',
  'discovery.k8s.io/endpointslices',
  '/endpoints',
]);

interface Operator {
  spec: OperatorSpec;
  username: string;
  userAgent: string;
  pod: { name: string; uid: string } | null;
  token: string;
  tokenAt: number;
  watches: string[];
  lease: { namespace: string; name: string; create: boolean } | null;
  eventsPath: string | null;
  habit: OperatorSpec['habit'] | null;
  calls: number;
  failures: number;
  statuses: Map<number, number>;
  /** A few refused requests (method, path, status), to show. */
  refusals: Set<string>;
}

const TOKEN_SECONDS = 3607;

async function planOperator(
  cluster: TestCluster,
  kc: KubeConfig,
  rbac: Rbac,
  served: Served[],
  spec: OperatorSpec,
): Promise<Operator | string> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const { namespace, serviceAccount } = spec;
  try {
    await core.readNamespacedServiceAccount({ namespace, name: serviceAccount });
  } catch {
    return `no ServiceAccount ${namespace}/${serviceAccount}`;
  }
  let workload;
  try {
    workload =
      spec.workload.kind === 'Deployment'
        ? await apps.readNamespacedDeployment({ namespace, name: spec.workload.name })
        : await apps.readNamespacedStatefulSet({ namespace, name: spec.workload.name });
  } catch {
    return `no ${spec.workload.kind} ${namespace}/${spec.workload.name}`;
  }
  const image = workload.spec?.template.spec?.containers[0]?.image ?? spec.workload.name;
  const product = imageName(image).split('/').pop()!;
  const noDigest = image.split('@')[0]!;
  const tag = noDigest.lastIndexOf(':') > noDigest.lastIndexOf('/') ? noDigest.slice(noDigest.lastIndexOf(':') + 1) : '';
  const version = /^v?\d/.test(tag) ? (tag.startsWith('v') ? tag : `v${tag}`) : 'v0.0.0';
  const commit = createHash('sha256').update(image).digest('hex').slice(0, 7);
  const userAgent = `${product}/${version} (linux/amd64) kubernetes/${commit}`;

  const selector = Object.entries(workload.spec?.selector.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = selector
    ? (await core.listNamespacedPod({ namespace, labelSelector: selector })).items
        .filter((p) => !p.metadata?.deletionTimestamp)
        .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!))
    : [];
  const pod = pods[0] ? { name: pods[0].metadata!.name!, uid: pods[0].metadata!.uid! } : null;

  const grants = rbac.grantsOf(namespace, serviceAccount);
  const watches: string[] = [];
  for (const r of served) {
    if (!r.verbs.includes('list') || !r.verbs.includes('watch')) continue;
    const key = `${r.group}/${r.resource}`;
    const clusterWide = [allows(grants, 'list', r.group, r.resource, null), allows(grants, 'watch', r.group, r.resource, null)];
    if (clusterWide[0] && clusterWide[1]) {
      if (!(clusterWide.includes('wildcard') && WILDCARD_UNWATCHED.has(key))) watches.push(collectionPath(r, null));
      continue;
    }
    if (!r.namespaced) continue;
    const namespaces = [...new Set(grants.map((g) => g.namespace).filter((n): n is string => n !== null))].sort();
    for (const ns of namespaces) {
      const how = [allows(grants, 'list', r.group, r.resource, ns), allows(grants, 'watch', r.group, r.resource, ns)];
      if (how[0] && how[1] && !(how.includes('wildcard') && WILDCARD_UNWATCHED.has(key))) watches.push(collectionPath(r, ns));
    }
  }

  // Leader election: the Lease its roles let it get and update, in its own namespace first.
  let lease: Operator['lease'] = null;
  const leaseNamespaces = [
    namespace,
    ...[...new Set(grants.map((g) => g.namespace).filter((n): n is string => n !== null && n !== namespace))].sort(),
  ];
  for (const ns of leaseNamespaces) {
    const named = grants.find(
      (g) =>
        (g.namespace === null || g.namespace === ns) &&
        g.rule.resourceNames?.length &&
        covers({ ...g.rule, resourceNames: [] }, 'update', 'coordination.k8s.io', 'leases'),
    )?.rule.resourceNames?.[0];
    const name = named ?? `${serviceAccount}-leader-election`;
    if (
      allows(grants, 'get', 'coordination.k8s.io', 'leases', ns, name) &&
      allows(grants, 'update', 'coordination.k8s.io', 'leases', ns, name)
    ) {
      lease = { namespace: ns, name, create: Boolean(allows(grants, 'create', 'coordination.k8s.io', 'leases', ns)) };
      break;
    }
  }
  const eventsPath = allows(grants, 'create', '', 'events', namespace)
    ? `/api/v1/namespaces/${namespace}/events`
    : allows(grants, 'create', 'events.k8s.io', 'events', namespace)
      ? `/apis/events.k8s.io/v1/namespaces/${namespace}/events`
      : null;
  let habit: Operator['habit'] = null;
  if (
    spec.habit === 'ingress-status' &&
    allows(grants, 'list', 'networking.k8s.io', 'ingresses', null) &&
    allows(grants, 'update', 'networking.k8s.io', 'ingresses/status', null)
  )
    habit = spec.habit;
  if (
    spec.habit === 'autoscaler-status' &&
    allows(grants, 'get', '', 'configmaps', namespace, 'cluster-autoscaler-status') &&
    allows(grants, 'update', '', 'configmaps', namespace, 'cluster-autoscaler-status')
  )
    habit = spec.habit;

  const { token } = await serviceAccountToken(cluster, namespace, serviceAccount, {
    expirationSeconds: TOKEN_SECONDS,
    ...(pod ? { boundObject: { kind: 'Pod' as const, name: pod.name, uid: pod.uid } } : {}),
  });
  return {
    spec,
    username: `system:serviceaccount:${namespace}:${serviceAccount}`,
    userAgent,
    pod,
    token,
    tokenAt: Date.now(),
    watches,
    lease,
    eventsPath,
    habit,
    calls: 0,
    failures: 0,
    statuses: new Map(),
    refusals: new Set(),
  };
}

interface Answer {
  status: number;
  text: string;
}

/**
 * The operators reach the API server as pods do behind the API servers' load balancer, which health-checks
 * `/readyz`: when a call fails at the connection (the API server went away: the shared cluster's API server
 * is restarted when someone changes its audit webhook), calls wait until `/readyz` answers again. Without
 * this they would reach a restarted API server before its authorizer has read RBAC, and be refused.
 */
class OperatorClient {
  private waiting: Promise<void> | null = null;
  /** Times the API server went away, and the seconds it was not ready. */
  outages: { at: Date; seconds: number }[] = [];

  constructor(
    private readonly cluster: TestCluster,
    private readonly dispatcher: Agent,
    private readonly stop: AbortSignal,
  ) {}

  private trip(): void {
    if (this.waiting || this.stop.aborted) return;
    const at = new Date();
    this.waiting = (async () => {
      while (!this.stop.aborted) {
        try {
          const res = await request(`${this.cluster.server}/readyz`, { dispatcher: this.dispatcher, signal: this.stop });
          await res.body.text();
          if (res.statusCode === 200) break;
        } catch {
          // not listening yet
        }
        await sleep(500, this.stop);
      }
      this.outages.push({ at, seconds: (Date.now() - at.getTime()) / 1000 });
      this.waiting = null;
    })();
  }

  async call(op: Operator, method: string, uri: string, body?: unknown, signal?: AbortSignal): Promise<Answer> {
    while (this.waiting && !signal?.aborted) await this.waiting;
    op.calls++;
    try {
      const res = await request(`${this.cluster.server}${uri}`, {
        method: method as 'GET',
        dispatcher: this.dispatcher,
        signal,
        headersTimeout: 0,
        bodyTimeout: 0,
        headers: {
          authorization: `Bearer ${op.token}`,
          'user-agent': op.userAgent,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      op.statuses.set(res.statusCode, (op.statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 400 && op.refusals.size < 5) op.refusals.add(`${method} ${uri.split('?')[0]} → ${res.statusCode}`);
      return { status: res.statusCode, text };
    } catch (e) {
      // A request cut by the end of the run is not a failure.
      if (!signal?.aborted) {
        op.failures++;
        this.trip();
      }
      throw e;
    }
  }
}

const jsonOf = (text: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
};
const metadataOf = (o: Record<string, unknown> | null) => (o?.metadata ?? {}) as { resourceVersion?: string; continue?: string };
const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');

/** The resourceVersion to watch from after a watch ended, or `gone` (410: relist). */
function lastResourceVersion(stream: string): string | 'gone' | null {
  const lines = stream.split('\n').filter((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const e = jsonOf(lines[i]!) as { type?: string; object?: { code?: number; metadata?: { resourceVersion?: string } } } | null;
    if (!e) continue;
    if (e.type === 'ERROR') return e.object?.code === 410 ? 'gone' : null;
    const rv = e.object?.metadata?.resourceVersion;
    if (rv) return rv;
  }
  return null;
}

/** One operator at work until `stop`: its informers, its leader election, its events and habits. */
async function runOperator(
  op: Operator,
  client: OperatorClient,
  cluster: TestCluster,
  stop: AbortSignal,
  watchSeconds: number,
): Promise<void> {
  const { namespace } = op.spec;
  const tasks: Promise<void>[] = [];
  // Start-up: the version and discovery, as client-go's discovery client does.
  const swallow = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch {
      // counted as a failure; the loop goes on as a controller's would
    }
  };
  await swallow(() => client.call(op, 'GET', '/version', undefined, stop));
  await swallow(() => client.call(op, 'GET', '/api', undefined, stop));
  const apis = await client.call(op, 'GET', '/apis', undefined, stop).catch(() => null);
  const groups = ((jsonOf(apis?.text ?? '')?.groups ?? []) as { preferredVersion?: { groupVersion?: string } }[])
    .map((g) => g.preferredVersion?.groupVersion)
    .filter((g): g is string => Boolean(g));
  await swallow(() => client.call(op, 'GET', '/api/v1', undefined, stop));
  for (const gv of groups) await swallow(() => client.call(op, 'GET', `/apis/${gv}`, undefined, stop));

  // Token rotation, as the kubelet does at 80% of the lifetime.
  tasks.push(
    (async () => {
      while (!stop.aborted) {
        await sleep(30_000, stop);
        if (stop.aborted || Date.now() - op.tokenAt < TOKEN_SECONDS * 800) continue;
        await swallow(async () => {
          op.token = (
            await serviceAccountToken(cluster, namespace, op.spec.serviceAccount, {
              expirationSeconds: TOKEN_SECONDS,
              ...(op.pod ? { boundObject: { kind: 'Pod' as const, name: op.pod.name, uid: op.pod.uid } } : {}),
            })
          ).token;
          op.tokenAt = Date.now();
        });
      }
    })(),
  );

  // Informers: list (paged), then watch from the last resourceVersion; relist on 410 or an error.
  for (const collection of op.watches)
    tasks.push(
      (async () => {
        let rv: string | null = null;
        while (!stop.aborted) {
          try {
            if (!rv) {
              let cont = '';
              do {
                const page = await client.call(
                  op,
                  'GET',
                  `${collection}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
                  undefined,
                  stop,
                );
                if (page.status !== 200) throw new Error(`list ${collection}: ${page.status}`);
                const meta = metadataOf(jsonOf(page.text));
                cont = meta.continue ?? '';
                rv = meta.resourceVersion ?? null;
              } while (cont && !stop.aborted);
            }
            const timeout = watchSeconds + rng.int(watchSeconds);
            const w = await client.call(
              op,
              'GET',
              `${collection}?allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=${timeout}&watch=true`,
              undefined,
              stop,
            );
            const next = w.status === 200 ? lastResourceVersion(w.text) : 'gone';
            if (next === 'gone') rv = null;
            else if (next) rv = next;
          } catch {
            if (stop.aborted) break;
            rv = null;
            await sleep(1000 + rng.int(2000), stop);
          }
        }
      })(),
    );

  // Leader election: client-go's retry period is 2 s (get, then update with a new renewTime).
  if (op.lease) {
    const { namespace: lns, name, create } = op.lease;
    const uri = `/apis/coordination.k8s.io/v1/namespaces/${lns}/leases/${name}`;
    const holder = `${op.pod?.name ?? op.spec.workload.name}_${randomBytes(16).toString('hex')}`;
    tasks.push(
      (async () => {
        while (!stop.aborted) {
          await swallow(async () => {
            const current = await client.call(op, 'GET', uri, undefined, stop);
            const lease = jsonOf(current.text);
            if (current.status === 404 && create)
              await client.call(
                op,
                'POST',
                `/apis/coordination.k8s.io/v1/namespaces/${lns}/leases`,
                {
                  apiVersion: 'coordination.k8s.io/v1',
                  kind: 'Lease',
                  metadata: { name, namespace: lns },
                  spec: {
                    holderIdentity: holder,
                    leaseDurationSeconds: 15,
                    acquireTime: microTime(),
                    renewTime: microTime(),
                    leaseTransitions: 0,
                  },
                },
                stop,
              );
            else if (current.status === 200 && lease?.kind === 'Lease') {
              const spec = (lease.spec ?? {}) as Record<string, unknown>;
              const mine = spec.holderIdentity === holder;
              await client.call(
                op,
                'PUT',
                uri,
                {
                  ...lease,
                  spec: {
                    ...spec,
                    holderIdentity: holder,
                    renewTime: microTime(),
                    ...(mine ? {} : { acquireTime: microTime(), leaseTransitions: Number(spec.leaseTransitions ?? 0) + 1 }),
                  },
                },
                stop,
              );
            }
          });
          await sleep(2000, stop);
        }
      })(),
    );
  }

  // Events about its own workload (reconciled, synced), every 30 to 90 s.
  const event = (
    ns: string,
    reason: string,
    message: string,
    about: { apiVersion: string; kind: string; namespace: string; name: string },
  ) =>
    op.eventsPath &&
    client.call(
      op,
      'POST',
      op.eventsPath.startsWith('/api/v1') ? `/api/v1/namespaces/${ns}/events` : `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      op.eventsPath.startsWith('/api/v1')
        ? {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: `${about.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
            involvedObject: about,
            reason,
            message,
            type: 'Normal',
            source: { component: op.spec.workload.name },
            firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            count: 1,
          }
        : {
            apiVersion: 'events.k8s.io/v1',
            kind: 'Event',
            metadata: { name: `${about.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
            regarding: about,
            reason,
            note: message,
            type: 'Normal',
            action: 'Reconcile',
            eventTime: microTime(),
            reportingController: `nhi.dev/${op.spec.workload.name}`,
            reportingInstance: op.pod?.name ?? op.spec.workload.name,
          },
      stop,
    );
  if (op.eventsPath)
    tasks.push(
      (async () => {
        await sleep(rng.int(10_000), stop);
        while (!stop.aborted) {
          await swallow(async () =>
            event(namespace, 'Synced', 'reconciled successfully', {
              apiVersion: 'apps/v1',
              kind: op.spec.workload.kind,
              namespace,
              name: op.spec.workload.name,
            }),
          );
          await sleep(30_000 + rng.int(60_000), stop);
        }
      })(),
    );

  // ingress-nginx: gives the Ingresses of its class their address, with a Sync event in their namespace.
  if (op.habit === 'ingress-status')
    tasks.push(
      (async () => {
        while (!stop.aborted) {
          await swallow(async () => {
            const list = jsonOf(
              (await client.call(op, 'GET', '/apis/networking.k8s.io/v1/ingresses?limit=500', undefined, stop)).text,
            );
            const items = (list?.items ?? []) as {
              metadata: { namespace: string; name: string };
              spec?: { ingressClassName?: string };
              status?: { loadBalancer?: { ingress?: unknown[] } };
            }[];
            for (const ing of items) {
              if (ing.spec?.ingressClassName !== 'nginx' || ing.status?.loadBalancer?.ingress?.length) continue;
              const { namespace: ins, name } = ing.metadata;
              const r = await client.call(
                op,
                'PUT',
                `/apis/networking.k8s.io/v1/namespaces/${ins}/ingresses/${name}/status`,
                {
                  ...ing,
                  apiVersion: 'networking.k8s.io/v1',
                  kind: 'Ingress',
                  status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } },
                },
                stop,
              );
              if (r.status === 200)
                await event(ins, 'Sync', 'Scheduled for sync', {
                  apiVersion: 'networking.k8s.io/v1',
                  kind: 'Ingress',
                  namespace: ins,
                  name,
                });
            }
          });
          await sleep(10_000, stop);
        }
      })(),
    );

  // cluster-autoscaler: writes its status ConfigMap every scan (10 s).
  if (op.habit === 'autoscaler-status') {
    const uri = `/api/v1/namespaces/${namespace}/configmaps/cluster-autoscaler-status`;
    tasks.push(
      (async () => {
        while (!stop.aborted) {
          await swallow(async () => {
            const status = `Cluster-autoscaler status at ${new Date().toISOString()}:\nCluster-wide: Health: Healthy (ready=0 registered=0)\n`;
            const current = await client.call(op, 'GET', uri, undefined, stop);
            if (current.status === 404)
              await client.call(
                op,
                'POST',
                `/api/v1/namespaces/${namespace}/configmaps`,
                {
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  metadata: { name: 'cluster-autoscaler-status', namespace },
                  data: { status },
                },
                stop,
              );
            else if (current.status === 200) {
              const cm = jsonOf(current.text)!;
              await client.call(op, 'PUT', uri, { ...cm, data: { status } }, stop);
            }
          });
          await sleep(10_000, stop);
        }
      })(),
    );
  }
  await Promise.allSettled(tasks);
}

/**
 * A tenant (the admin): a namespace every `every` ms from the start with Deployments web and worker and
 * their Services, an Ingress, a ConfigMap, a Secret and a Job; a third of the way through its life web is
 * scaled up and worker retired (with its Service); after two thirds the namespace is deleted.
 */
async function runTenant(
  kc: KubeConfig,
  runId: string,
  every: number,
  until: number,
  stop: AbortSignal,
  made: string[],
): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const started = Date.now();
  const lives: Promise<void>[] = [];
  let failures = 0;
  const step = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      failures++;
      log(`tenant: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  };
  for (let i = 0; started + 5000 + i * every + (2 * every) / 3 < until && !stop.aborted; i++) {
    await sleep(started + 5000 + i * every - Date.now(), stop);
    if (stop.aborted) break;
    const ns = `noise-${runId}-${i}`;
    made.push(ns);
    await step(() => core.createNamespace({ body: { metadata: { name: ns, labels: { 'nhi.dev/bench': 'noise' } } } }));
    await step(() => core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'web' } } }));
    await step(() =>
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'web-config' }, data: { LOG_LEVEL: 'info' } } }),
    );
    await step(() =>
      core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'web-settings' }, stringData: { mode: 'bench' } } }),
    );
    const deployment = (name: string, replicas: number) => ({
      metadata: { name, labels: { app: name } },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            serviceAccountName: 'web',
            containers: [{ name, image: 'docker.io/library/nginx:1.29', ports: [{ containerPort: 80 }] }],
          },
        },
      },
    });
    for (const name of ['web', 'worker']) {
      await step(() => apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, 2) }));
      await step(() =>
        core.createNamespacedService({
          namespace: ns,
          body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } },
        }),
      );
    }
    await step(() =>
      net.createNamespacedIngress({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: {
            ingressClassName: 'nginx',
            rules: [
              {
                host: `${ns}.example.com`,
                http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
              },
            ],
          },
        },
      }),
    );
    await step(() =>
      batch.createNamespacedJob({
        namespace: ns,
        body: {
          metadata: { name: 'migrate' },
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: 'Never',
                serviceAccountName: 'web',
                containers: [{ name: 'migrate', image: 'docker.io/library/busybox:1.37', command: ['true'] }],
              },
            },
          },
        },
      }),
    );
    lives.push(
      (async () => {
        await sleep(every / 3, stop);
        if (!stop.aborted)
          await step(async () => {
            const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
            d.spec!.replicas = 3;
            await apps.replaceNamespacedDeployment({ namespace: ns, name: 'web', body: d });
          });
        // The worker is retired: the garbage collector removes its ReplicaSet, Pods and EndpointSlices.
        if (!stop.aborted) await step(() => apps.deleteNamespacedDeployment({ namespace: ns, name: 'worker' }));
        if (!stop.aborted) await step(() => core.deleteNamespacedService({ namespace: ns, name: 'worker' }));
        await sleep(every / 3, stop);
        if (!stop.aborted) await step(() => core.deleteNamespace({ name: ns }));
      })(),
    );
  }
  await Promise.allSettled(lives);
  return failures;
}

/**
 * The audit log since `offset` (and any backup rotated since `since`), kept to the users `keep` accepts,
 * bodies removed, written to `file`. Returns lines read and kept, and the other ServiceAccounts seen.
 */
async function writeAuditSince(
  cluster: TestCluster,
  offset: number,
  since: number,
  keep: (user: string) => boolean,
  file: string,
) {
  const dir = path.dirname(cluster.auditLogPath);
  const base = path.basename(cluster.auditLogPath, '.log');
  const sources: { file: string; start: number }[] = [];
  if (statSync(cluster.auditLogPath).size < offset) {
    const backups = readdirSync(dir)
      .filter((n) => n.startsWith(`${base}-`) && n.endsWith('.log'))
      .map((n) => path.join(dir, n))
      .filter((f) => statSync(f).mtimeMs >= since)
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
    backups.forEach((f, i) => sources.push({ file: f, start: i === 0 ? offset : 0 }));
    sources.push({ file: cluster.auditLogPath, start: 0 });
  } else sources.push({ file: cluster.auditLogPath, start: offset });
  const w = createWriteStream(file, { mode: 0o600 });
  let read = 0;
  let kept = 0;
  const others = new Map<string, number>();
  for (const s of sources) {
    const lines = readline.createInterface({ input: createReadStream(s.file, { start: s.start }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      read++;
      let e: Record<string, unknown> & { user?: { username?: string } };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      const user = e.user?.username ?? '';
      if (!keep(user)) {
        if (user.startsWith('system:serviceaccount:')) others.set(user, (others.get(user) ?? 0) + 1);
        continue;
      }
      delete e.requestObject;
      delete e.responseObject;
      kept++;
      if (!w.write(`${JSON.stringify(e)}\n`)) await new Promise<void>((r) => w.once('drain', () => r()));
    }
  }
  await new Promise<void>((r) => w.end(() => r()));
  return { read, kept, others };
}

/** The shipped profiles with every class's learningWindow (and the defaults') set to `window`; nothing else changed. */
function compressedProfiles(window: string, file: string): BehaviourProfiles {
  const doc = parseDocument(readFileSync(SHIPPED_PROFILES, 'utf8'));
  doc.setIn(['spec', 'defaults', 'learningWindow'], window);
  for (const cls of WORKLOAD_CLASSES) doc.setIn(['spec', 'classes', cls, 'learningWindow'], window);
  writeFileSync(file, doc.toString());
  return loadProfiles(file);
}

interface ClusterFigures {
  controllers: { events: number; anomalies: number };
  operators: { events: number; anomalies: number };
}

async function measureCluster(pool: pg.Pool, tmp: string, stopAll: AbortSignal): Promise<ClusterFigures | null> {
  const replay = values['replay-audit'];
  const cluster = await ensureCluster();
  const seeded = await seedCluster(cluster);
  log(`cluster ${cluster.server}: seed ${seeded.reused ? 'reused' : `applied ${seeded.applied}`}`);
  const kc = adminKubeConfig(cluster);

  // The inventory first: workloads give the operators their class.
  const target = {
    name: 'nhi-test-cluster',
    source: 'kubeconfig' as const,
    context: kc.getCurrentContext(),
    server: cluster.server,
    kc,
  };
  const collected = await collectOnce(pool, target);
  const clusterId = collected.clusterId;
  log(`inventory collected (${collected.phase}, ${Object.values(collected.counts).reduce((a, b) => a + b, 0)} objects)`);

  const served = await discover(kc);
  const rbac = await readRbac(kc);
  const operators: Operator[] = [];
  const skippedOperators: string[] = [];
  if (!replay)
    for (const spec of OPERATORS) {
      const op = await planOperator(cluster, kc, rbac, served, spec);
      if (typeof op === 'string') skippedOperators.push(`${spec.namespace}/${spec.serviceAccount}: ${op}`);
      else operators.push(op);
    }
  const operatorUsers = new Set(
    replay ? OPERATORS.map((s) => `system:serviceaccount:${s.namespace}:${s.serviceAccount}`) : operators.map((o) => o.username),
  );

  const auditFile = path.join(tmp, 'cluster-audit.jsonl');
  let runSeconds: number;
  let tenantFailures = 0;
  const made: string[] = [];
  let filtered = { read: 0, kept: 0, others: new Map<string, number>() };
  if (replay) {
    copyFileSync(replay, auditFile);
    const times: number[] = [];
    for await (const line of readline.createInterface({ input: createReadStream(auditFile), crlfDelay: Infinity })) {
      const t = Date.parse((jsonOf(line)?.stageTimestamp as string | undefined) ?? '');
      if (Number.isFinite(t)) times.push(t);
    }
    runSeconds = times.length ? Math.max(3, Math.round((Math.max(...times) - Math.min(...times)) / 1000)) : minutes * 60;
    out(`cluster: replaying ${replay} (${times.length} events over ${runSeconds} s)`);
  } else {
    runSeconds = Math.round(minutes * 60);
    const runId = randomBytes(3).toString('hex');
    const offset = auditLogOffset(cluster);
    const startedAt = Date.now();
    const until = startedAt + runSeconds * 1000;
    out(
      `cluster: ${cluster.server}, run ${runId} for ${runSeconds} s from ${new Date(startedAt).toISOString()} (audit log ${cluster.auditLogPath} from byte ${offset})`,
    );
    for (const s of skippedOperators) out(`  operator skipped: ${s}`);
    const dispatcher = new Agent({ connect: { ca: readFileSync(cluster.caFile, 'utf8') }, keepAliveTimeout: 30_000 });
    const stop = new AbortController();
    // Every request of every operator listens to it.
    setMaxListeners(0, stop.signal);
    const client = new OperatorClient(cluster, dispatcher, stop.signal);
    const onStopAll = () => stop.abort();
    stopAll.addEventListener('abort', onStopAll, { once: true });
    // Watches last between watchSeconds and twice that: client-go's 5 to 10 minutes, compressed with the run.
    const watchSeconds = Math.max(5, Math.min(300, Math.round(runSeconds / 18)));
    const running = operators.map((op) => runOperator(op, client, cluster, stop.signal, watchSeconds));
    const churnEvery = Math.max(60_000, Math.round((runSeconds * 1000) / 6));
    const tenant = runTenant(kc, runId, churnEvery, until, stop.signal, made);
    // Restarts of the shared control plane during the run (someone else changing the audit webhook).
    const restarts: string[] = [];
    const pids = new Map<string, number | null>();
    const watchPids = async () => {
      for (const c of (await controlPlaneStatus().catch(() => null))?.components ?? []) {
        if (c.pid === null) continue;
        const before = pids.get(c.name);
        if (before !== undefined && before !== c.pid) restarts.push(`${c.name} at ${new Date().toISOString().slice(11, 19)}`);
        pids.set(c.name, c.pid);
      }
    };
    await watchPids();
    const pidTimer = setInterval(() => void watchPids(), 5000);
    const progress = setInterval(() => {
      const calls = operators.reduce((a, o) => a + o.calls, 0);
      log(
        `${Math.round((Date.now() - startedAt) / 1000)} s of ${runSeconds}: operators made ${calls} calls; tenant namespaces ${made.length}`,
      );
    }, 60_000);
    await sleep(until - Date.now(), stopAll);
    clearInterval(progress);
    clearInterval(pidTimer);
    stop.abort();
    await Promise.allSettled(running);
    tenantFailures = await tenant;
    await dispatcher.close().catch(() => {});
    stopAll.removeEventListener('abort', onStopAll);
    // The API server writes a request's last stage when it ends: give the aborted watches a moment.
    await sleep(3000);
    filtered = await writeAuditSince(
      cluster,
      offset,
      startedAt,
      (u) => u.startsWith('system:serviceaccount:kube-system:') || operatorUsers.has(u),
      auditFile,
    );
    // Namespaces still there (an interrupted run) are deleted; the others went during the run.
    const core = kc.makeApiClient(CoreV1Api);
    for (const ns of made) await core.deleteNamespace({ name: ns }).catch(() => {});
    out(`  operators acted as (${operators.length}), each with a TokenRequest token bound to a Pod of its workload:`);
    for (const op of operators) {
      const statuses = [...op.statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
      out(
        `    ${`${op.spec.namespace}/${op.spec.serviceAccount}`.padEnd(58)} ${String(op.calls).padStart(6)} calls (${statuses}${op.failures ? `, ${op.failures} failed` : ''}); ${op.watches.length} watches${op.lease ? `, lease ${op.lease.namespace}/${op.lease.name}` : ''}${op.eventsPath ? ', events' : ''}${op.habit ? `, ${op.habit}` : ''}; pod ${op.pod?.name ?? '(none: token not pod-bound)'}; agent ${op.userAgent}`,
      );
      if (!op.watches.length)
        out('      its roles grant it no list and watch here (a binding naming another namespace?): it only did discovery');
      if (op.refusals.size) out(`      refused: ${[...op.refusals].join('; ')}`);
    }
    out(`  tenant: ${made.length} namespaces made and deleted (${tenantFailures} failed steps)`);
    out(
      `  control plane: ${restarts.length ? `restarted during the run (by another user of the shared cluster): ${restarts.join(', ')}` : 'no restart during the run'}; the operators waited for /readyz ${client.outages.length} times (${client.outages.reduce((a, o) => a + o.seconds, 0).toFixed(0)} s)`,
    );
    out(
      `  audit log: ${filtered.read} lines since the start, ${filtered.kept} kept (kube-system's ServiceAccounts and the operators')`,
    );
    if (filtered.others.size)
      out(
        `  left out, not this run's traffic: ${[...filtered.others].map(([u, n]) => `${u.slice('system:serviceaccount:'.length)} (${n})`).join(', ')}`,
      );
  }

  const save = values['save-audit'];
  if (save) {
    copyFileSync(auditFile, save);
    out(`  audit log saved to ${save}`);
  }
  const window = `${Math.max(1, Math.round(runSeconds / 3))}s`;
  const profilesFile = path.join(tmp, 'behaviour-profiles.yaml');
  const profiles = compressedProfiles(window, profilesFile);
  const r = await ingestFiles(pool, clusterId, [auditFile]);
  await detectDays(pool, clusterId, r.days, profiles);
  out(
    `  ingested ${r.events} events (${r.inserted} stored, ${r.rejectedCount} rejected); judged under the shipped profiles with every learningWindow ${window} (a third of the run)`,
  );

  const j = await judged(pool, clusterId);
  const isOperator = (id: string) => operatorUsers.has(`system:serviceaccount:${id.replace('/', ':')}`);
  const figures: ClusterFigures = { controllers: { events: 0, anomalies: 0 }, operators: { events: 0, anomalies: 0 } };
  const anomaliesOf = new Map<string, number>();
  for (const a of j.anomalies)
    anomaliesOf.set(`${a.saNamespace}/${a.saName}`, (anomaliesOf.get(`${a.saNamespace}/${a.saName}`) ?? 0) + 1);
  out(`  identities judged (${j.calls.size}): events judged, anomalies, class (learned or still learning at the end)`);
  for (const [id, n] of [...j.calls].sort(
    (a, b) => Number(isOperator(a[0])) - Number(isOperator(b[0])) || a[0].localeCompare(b[0]),
  )) {
    const who = isOperator(id) ? figures.operators : figures.controllers;
    who.events += n;
    who.anomalies += anomaliesOf.get(id) ?? 0;
    const c = j.classes.get(id);
    const d = j.denied.get(id);
    out(
      `    ${(isOperator(id) ? 'operator  ' : 'kube-ctrl ') + id.padEnd(58)} ${String(n).padStart(6)} ${String(anomaliesOf.get(id) ?? 0).padStart(4)}  ${c ? `${c.class} (${c.learned ? 'learned' : 'learning'}): ${c.reason}` : '?'}${d ? `; 403s: ${d.authorizer} by the authorizer, ${d.admission} by admission` : ''}`,
    );
  }
  for (const [id, n] of anomaliesOf)
    if (!j.calls.has(id)) (isOperator(id) ? figures.operators : figures.controllers).anomalies += n;
  out('  raised, per class and detector:');
  printAnomalies(j.anomalies, '    ');
  return figures;
}

// ---------------------------------------------------------------------------------------------------------

const stopAll = new AbortController();
process.once('SIGINT', () => {
  log('interrupted: stopping, cleaning up');
  stopAll.abort();
});
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nhi-bench-noise-'));
const serverUrl = process.env.DATABASE_URL ?? DEFAULT_SERVER;
const db = await createTestDatabase(serverUrl, 'benchnoise');
const pool = openStore(db.url);
try {
  const shipped = parseProfiles(readFileSync(SHIPPED_PROFILES, 'utf8'), SHIPPED_PROFILES);
  const corpus = values['skip-corpus'] ? [] : await measureCorpus(pool, shipped);
  if (values['skip-corpus']) out('corpus: skipped (--skip-corpus)');
  out();
  const cluster = values['skip-cluster'] ? null : await measureCluster(pool, tmp, stopAll.signal);
  if (values['skip-cluster']) out('cluster: skipped (--skip-cluster)');
  out();

  const sum = (parts: { events: number; anomalies: number }[]) =>
    parts.reduce((a, p) => ({ events: a.events + p.events, anomalies: a.anomalies + p.anomalies }), { events: 0, anomalies: 0 });
  const line = (name: string, f: { events: number; anomalies: number }) =>
    out(
      `  ${name.padEnd(44)} ${String(f.anomalies).padStart(5)} anomalies over ${String(f.events).padStart(7)} events = ${per10k(f.anomalies, f.events).padStart(7)} per 10k`,
    );
  const normalCorpus = sum(corpus.filter((p) => p.label === 'normal'));
  const attackCorpus = sum(corpus.filter((p) => p.label === 'attack'));
  out('figures:');
  line('corpus, attack traces (findings expected)', attackCorpus);
  line('corpus, normal traffic', normalCorpus);
  if (cluster) {
    line('cluster, kube-controller-manager controllers', cluster.controllers);
    line('cluster, operators', cluster.operators);
    line('cluster, all', sum([cluster.controllers, cluster.operators]));
  }
  const all = sum([normalCorpus, ...(cluster ? [cluster.controllers, cluster.operators] : [])]);
  line('all normal traffic (corpus normal + cluster)', all);
  out(`noise: ${per10k(all.anomalies, all.events)} anomalies per 10000 events over ${all.events} events`);
} finally {
  await pool.end();
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
}
