/**
 * A seeded, deterministic "large cluster" for the collector benchmark: namespaces of several teams,
 * ServiceAccounts (some with cloud workload identities), Secrets of the common types (including legacy
 * ServiceAccount token Secrets), Roles/ClusterRoles and their bindings, and Pods owned by ReplicaSets
 * owned by Deployments, plus a few bare Pods. Same seed and counts → the same objects, byte for byte.
 *
 * Every object is valid for a real API server and carries the label `nhi.dev/bench=load`; every name of
 * a cluster-scoped object starts with `bench-`, every namespace with `bench-`, so the load can be found
 * and deleted again (see load-cluster.ts). Nothing here talks to a cluster.
 *
 * Pod ownership, exactly controlled: Pods are created by the loader itself with a controller
 * ownerReference to "their" ReplicaSet, whose `replicas` equals the number of Pods made for it and
 * whose selector matches them — so the ReplicaSet controller finds nothing to add or remove. The
 * Deployments are `paused` (their controller never creates a ReplicaSet of its own) and their template
 * equals the ReplicaSet's (ignoring pod-template-hash), so the Deployment controller treats our
 * ReplicaSet as its current one. To close the window between creating a ReplicaSet and creating its Pods
 * (in which the ReplicaSet controller would make Pods of its own), a ValidatingAdmissionPolicy admits, in
 * the bench namespaces only, just the Pods that carry the loader's annotation (`benchAdmissionPolicy`).
 * Pods stay Pending: the test cluster has no scheduler and no nodes.
 *
 * Values in the generated Secrets are random filler, never real credentials.
 */
import { createRng, type Rng } from '@/lib/rng';

export const BENCH_LABEL = 'nhi.dev/bench';
export const BENCH_LABEL_VALUE = 'load';
/** Annotation the admission policy requires on Pods in bench namespaces. */
export const BENCH_POD_ANNOTATION = 'nhi.dev/bench-created-by';
export const BENCH_POD_ANNOTATION_VALUE = 'bench-loader';
export const BENCH_POLICY_NAME = 'bench-loader-pods-only';
/** Namespace annotation naming the plan (seed and counts) a bench namespace was made for. */
export const BENCH_PLAN_ANNOTATION = 'nhi.dev/bench-plan';

export interface BenchScale {
  seed: number;
  namespaces: number;
  serviceAccounts: number;
  secrets: number;
  roles: number;
  clusterRoles: number;
  roleBindings: number;
  clusterRoleBindings: number;
  pods: number;
  /** Share of Pods that are bare (no owner); the rest belong to Deployment → ReplicaSet chains. */
  barePodShare: number;
  /** Largest number of Pods per ReplicaSet (1..maxReplicas, uniformly). */
  maxReplicas: number;
}

/** The "large generated cluster": ≥10,000 SAs, 50,000 Secrets, 20,000 bindings, 30,000 Pods. */
export const FULL_SCALE: BenchScale = {
  seed: 20240605,
  namespaces: 200,
  serviceAccounts: 10_000,
  secrets: 50_000,
  roles: 2_000,
  clusterRoles: 200,
  roleBindings: 18_000,
  clusterRoleBindings: 2_000,
  pods: 30_000,
  barePodShare: 0.05,
  maxReplicas: 5,
};

/** FULL_SCALE divided by `divisor` (at least 1 of everything, at least 2 namespaces). */
export function scaledDown(divisor: number, base: BenchScale = FULL_SCALE): BenchScale {
  if (!(divisor >= 1)) throw new Error(`scale divisor must be ≥ 1, got ${divisor}`);
  const d = (n: number, min = 1) => Math.max(min, Math.round(n / divisor));
  return {
    ...base,
    namespaces: d(base.namespaces, 2),
    serviceAccounts: d(base.serviceAccounts),
    secrets: d(base.secrets),
    roles: d(base.roles),
    clusterRoles: d(base.clusterRoles),
    roleBindings: d(base.roleBindings),
    clusterRoleBindings: d(base.clusterRoleBindings),
    pods: d(base.pods),
  };
}

/** A readable identity of a plan: two loads with different ids must not share a cluster. */
export function benchPlanId(s: BenchScale): string {
  return (
    `seed ${s.seed}: ${s.namespaces} ns, ${s.serviceAccounts} sa, ${s.secrets} secrets, ${s.roles}+${s.clusterRoles} roles, ` +
    `${s.roleBindings}+${s.clusterRoleBindings} bindings, ${s.pods} pods (bare ${s.barePodShare}, max ${s.maxReplicas})`
  );
}

/** A manifest as sent to the API server (wire field names). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    uid?: string;
  };
  [field: string]: unknown;
}

/** One Deployment → ReplicaSet → Pods chain; the loader fills in the owners' uids as it creates them. */
export interface Workload {
  deployment: Manifest;
  replicaSet: Manifest;
  pods: Manifest[];
}

export interface BenchCluster {
  scale: BenchScale;
  /** Cluster-scoped, created first: the admission policy and its binding. */
  admission: Manifest[];
  namespaces: Manifest[];
  clusterRoles: Manifest[];
  roles: Manifest[];
  serviceAccounts: Manifest[];
  secrets: Manifest[];
  roleBindings: Manifest[];
  clusterRoleBindings: Manifest[];
  workloads: Workload[];
  barePods: Manifest[];
}

export type BenchKindCounts = Record<string, number>;

/** Objects per kind that the loader creates (the API server and controllers add a few of their own). */
export function benchCounts(c: BenchCluster): BenchKindCounts {
  return {
    ValidatingAdmissionPolicy: 1,
    ValidatingAdmissionPolicyBinding: 1,
    Namespace: c.namespaces.length,
    ClusterRole: c.clusterRoles.length,
    Role: c.roles.length,
    ServiceAccount: c.serviceAccounts.length,
    Secret: c.secrets.length,
    RoleBinding: c.roleBindings.length,
    ClusterRoleBinding: c.clusterRoleBindings.length,
    Deployment: c.workloads.length,
    ReplicaSet: c.workloads.length,
    Pod: c.workloads.reduce((n, w) => n + w.pods.length, 0) + c.barePods.length,
  };
}

export function benchObjectCount(c: BenchCluster): number {
  return Object.values(benchCounts(c)).reduce((a, b) => a + b, 0);
}

/** Splits `total` over weights (largest remainder), deterministic; every share ≥ `min` when possible. */
export function allocate(total: number, weights: readonly number[], min = 0): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const base = Math.min(min, Math.floor(total / n));
  const rest = total - base * n;
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (rest * w) / sum);
  const shares = exact.map((x) => Math.floor(x));
  let left = rest - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((p, q) => q.frac - p.frac || p.i - q.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) shares[order[k]!.i]!++;
  return shares.map((s) => s + base);
}

// ---- vocabulary ---------------------------------------------------------------------------------

const TEAMS = ['payments', 'checkout', 'search', 'identity', 'platform', 'data', 'ml', 'growth', 'billing', 'ops'];
const APPS = [
  'api',
  'worker',
  'web',
  'cron',
  'indexer',
  'gateway',
  'sync',
  'exporter',
  'ingest',
  'notifier',
  'scheduler',
  'cache',
  'auth',
  'reports',
];
const IMAGES = [
  'registry.example.com/{team}/{app}:1.{n}.0',
  'ghcr.io/example/{app}:v2.{n}',
  'docker.io/library/nginx:1.27',
  'quay.io/example/{app}@sha256:{digest}',
];
const BUILTIN_CLUSTER_ROLES = ['view', 'edit', 'admin'];
const AUDIENCES = ['vault', 'sts.amazonaws.com', 'api://AzureADTokenExchange', 'https://example.com/bench'];

const RULE_PALETTE: { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'update'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
  { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['*'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list', 'patch', 'update'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['create', 'delete', 'get', 'list'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create', 'update'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
];

const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const pad = (n: number, width: number) => String(n).padStart(width, '0');

// ---- the generator ------------------------------------------------------------------------------

export function generateBenchCluster(scale: BenchScale = FULL_SCALE): BenchCluster {
  const rng = createRng(scale.seed, { discard: 0 });
  const common = { [BENCH_LABEL]: BENCH_LABEL_VALUE };
  const nsWidth = Math.max(3, String(scale.namespaces).length);

  const nsInfo = Array.from({ length: scale.namespaces }, (_, i) => {
    const team = TEAMS[i % TEAMS.length]!;
    return { name: `bench-${team}-${pad(i, nsWidth)}`, team, weight: 0.5 + rng.next() * 1.5 };
  });
  const weights = nsInfo.map((n) => n.weight);
  const saPerNs = allocate(scale.serviceAccounts, weights, 1);
  const secretsPerNs = allocate(scale.secrets, weights);
  const rolesPerNs = allocate(scale.roles, weights);
  const rbPerNs = allocate(scale.roleBindings, weights);
  const podsPerNs = allocate(scale.pods, weights);

  const namespaces: Manifest[] = nsInfo.map((ns) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns.name,
      labels: { ...common, team: ns.team, 'app.kubernetes.io/part-of': `${ns.team}-platform` },
      annotations: { owner: `${ns.team}-oncall@example.com`, [BENCH_PLAN_ANNOTATION]: benchPlanId(scale) },
    },
  }));

  const clusterRoles: Manifest[] = [];
  for (let i = 0; i < scale.clusterRoles; i++) {
    const name = `bench-cr-${pad(i, 4)}`;
    const aggregated = i > 0 && i % 25 === 0;
    const cr: Manifest = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: { ...common, [`bench.nhi.dev/aggregate-to-${Math.floor(i / 25)}`]: 'true' } },
    };
    if (aggregated) {
      // rules are filled in by the clusterrole-aggregation controller from the previous block
      cr.aggregationRule = {
        clusterRoleSelectors: [{ matchLabels: { [`bench.nhi.dev/aggregate-to-${Math.floor(i / 25) - 1}`]: 'true' } }],
      };
      cr.metadata.labels = { ...common };
    } else {
      cr.rules = pickRules(rng, 1 + rng.int(3), i % 97 === 13);
    }
    clusterRoles.push(cr);
  }
  const benchClusterRoleNames = clusterRoles.map((c) => c.metadata.name);

  const roles: Manifest[] = [];
  const serviceAccounts: Manifest[] = [];
  const secrets: Manifest[] = [];
  const roleBindings: Manifest[] = [];
  const workloads: Workload[] = [];
  const barePods: Manifest[] = [];
  const saByNs: string[][] = [];

  nsInfo.forEach((ns, nsIndex) => {
    const team = ns.team;
    const labels = { ...common, team };

    // ServiceAccounts
    const saNames: string[] = [];
    for (let i = 0; i < saPerNs[nsIndex]!; i++) {
      const app = rng.pick(APPS);
      const name = `${app}-${pad(i, 3)}`;
      saNames.push(name);
      const sa: Manifest = {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: ns.name, labels: { ...labels, 'app.kubernetes.io/name': app } },
      };
      const r = rng.next();
      if (r < 0.05) sa.metadata.annotations = { 'eks.amazonaws.com/role-arn': `arn:aws:iam::111122223333:role/${team}-${name}` };
      else if (r < 0.08)
        sa.metadata.annotations = { 'iam.gke.io/gcp-service-account': `${name}@${team}-proj.iam.gserviceaccount.com` };
      else if (r < 0.1) {
        sa.metadata.annotations = {
          'azure.workload.identity/client-id': `${rng.chars(8, '0123456789abcdef')}-0000-4000-8000-${rng.chars(12, '0123456789abcdef')}`,
        };
        sa.metadata.labels = { ...sa.metadata.labels, 'azure.workload.identity/use': 'true' };
      }
      if (rng.chance(0.3)) sa.automountServiceAccountToken = false;
      serviceAccounts.push(sa);
    }
    saByNs.push(saNames);

    // Secrets
    const opaque: string[] = [];
    const tls: string[] = [];
    const pull: string[] = [];
    for (let i = 0; i < secretsPerNs[nsIndex]!; i++) {
      const r = rng.next();
      const meta: Omit<Manifest['metadata'], 'name'> = { namespace: ns.name, labels: { ...labels } };
      let secret: Manifest;
      if (r < 0.1 && saNames.length > 0) {
        const owner = rng.pick(saNames);
        secret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            ...meta,
            name: `${owner}-token-${pad(i, 5)}`,
            annotations: { 'kubernetes.io/service-account.name': owner },
          },
          type: 'kubernetes.io/service-account-token',
        };
      } else if (r < 0.35) {
        const name = `tls-${pad(i, 5)}`;
        tls.push(name);
        secret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            ...meta,
            name,
            annotations: rng.chance(0.5)
              ? {
                  'cert-manager.io/certificate-name': name,
                  'cert-manager.io/issuer-name': `${team}-issuer`,
                  'cert-manager.io/issuer-kind': 'ClusterIssuer',
                }
              : {},
          },
          type: 'kubernetes.io/tls',
          data: {
            'tls.crt': base64(`-----BEGIN CERTIFICATE-----\nbench-filler-${rng.chars(48)}\n-----END CERTIFICATE-----\n`),
            'tls.key': base64(`-----BEGIN PRIVATE KEY-----\nbench-filler-${rng.chars(48)}\n-----END PRIVATE KEY-----\n`),
          },
        };
      } else if (r < 0.5) {
        const name = `pull-${pad(i, 5)}`;
        pull.push(name);
        const auth = base64(`bench:${rng.chars(24)}`);
        secret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { ...meta, name },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': base64(JSON.stringify({ auths: { 'registry.example.com': { auth } } })) },
        };
      } else {
        const name = `${rng.pick(APPS)}-config-${pad(i, 5)}`;
        opaque.push(name);
        secret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { ...meta, name, annotations: rng.chance(0.2) ? { owner: `${team}-oncall@example.com` } : {} },
          type: 'Opaque',
          data: { password: base64(rng.chars(24)), username: base64(`svc-${rng.chars(6)}`) },
        };
      }
      if (secret.metadata.annotations && Object.keys(secret.metadata.annotations).length === 0)
        delete secret.metadata.annotations;
      secrets.push(secret);
    }

    // Roles
    const roleNames: string[] = [];
    for (let i = 0; i < rolesPerNs[nsIndex]!; i++) {
      const name = `${rng.pick(APPS)}-role-${pad(i, 3)}`;
      roleNames.push(name);
      roles.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name, namespace: ns.name, labels },
        rules: pickRules(rng, 1 + rng.int(3), false),
      });
    }

    // RoleBindings
    for (let i = 0; i < rbPerNs[nsIndex]!; i++) {
      const useRole = roleNames.length > 0 && rng.chance(0.7);
      const roleRef = useRole
        ? { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rng.pick(roleNames) }
        : {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name:
              rng.chance(0.5) || benchClusterRoleNames.length === 0
                ? rng.pick(BUILTIN_CLUSTER_ROLES)
                : rng.pick(benchClusterRoleNames),
          };
      roleBindings.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `${roleRef.name}-binding-${pad(i, 4)}`, namespace: ns.name, labels },
        roleRef,
        subjects: pickSubjects(rng, ns.name, saNames, nsInfo, saByNs, team),
      });
    }

    // Pods: Deployment → ReplicaSet → Pods chains, then bare Pods
    const podTotal = podsPerNs[nsIndex]!;
    const bare = Math.round(podTotal * scale.barePodShare);
    let owned = podTotal - bare;
    let w = 0;
    while (owned > 0) {
      const replicas = Math.min(owned, 1 + rng.int(scale.maxReplicas));
      owned -= replicas;
      const app = rng.pick(APPS);
      const name = `${app}-${pad(w++, 4)}`;
      const spec = podSpec(rng, team, app, saNames, opaque, tls, pull);
      const hash = rng.chars(10, 'bcdfghjklmnpqrstvwxz2456789');
      const rsName = `${name}-${hash}`;
      const podLabels = { ...labels, app: name, 'pod-template-hash': hash };
      const deployment: Manifest = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns.name, labels: { ...labels, app: name } },
        spec: {
          replicas,
          paused: true,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { ...labels, app: name } }, spec },
        },
      };
      const replicaSet: Manifest = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: ns.name,
          labels: podLabels,
          annotations: {
            'deployment.kubernetes.io/revision': '1',
            'deployment.kubernetes.io/desired-replicas': String(replicas),
          },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: '', controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: {
          replicas,
          selector: { matchLabels: { app: name, 'pod-template-hash': hash } },
          template: { metadata: { labels: podLabels }, spec },
        },
      };
      const pods: Manifest[] = [];
      const podNames = new Set<string>();
      for (let p = 0; p < replicas; p++) {
        let podName: string;
        do podName = `${rsName}-${rng.chars(5, 'bcdfghjklmnpqrstvwxz2456789')}`;
        while (podNames.has(podName));
        podNames.add(podName);
        pods.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: podName,
            namespace: ns.name,
            labels: podLabels,
            annotations: { [BENCH_POD_ANNOTATION]: BENCH_POD_ANNOTATION_VALUE },
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: '', controller: true, blockOwnerDeletion: true },
            ],
          },
          spec,
        });
      }
      workloads.push({ deployment, replicaSet, pods });
    }
    for (let p = 0; p < bare; p++) {
      const app = rng.pick(APPS);
      barePods.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${app}-debug-${pad(p, 3)}`,
          namespace: ns.name,
          labels: { ...labels, app: `${app}-debug` },
          annotations: { [BENCH_POD_ANNOTATION]: BENCH_POD_ANNOTATION_VALUE },
        },
        spec: podSpec(rng, team, app, saNames, opaque, tls, pull),
      });
    }
  });

  // ClusterRoleBindings: SAs from all over the cluster, some users and groups
  const clusterRoleBindings: Manifest[] = [];
  for (let i = 0; i < scale.clusterRoleBindings; i++) {
    const r = rng.next();
    const roleName =
      r < 0.005
        ? 'cluster-admin'
        : r < 0.4 || benchClusterRoleNames.length === 0
          ? rng.pick(BUILTIN_CLUSTER_ROLES)
          : rng.pick(benchClusterRoleNames);
    const subjects: Record<string, string>[] = [];
    const count = 1 + rng.int(3);
    for (let k = 0; k < count; k++) {
      const nsIndex = rng.int(nsInfo.length);
      const sas = saByNs[nsIndex]!;
      if (rng.chance(0.8) && sas.length > 0)
        subjects.push({ kind: 'ServiceAccount', name: rng.pick(sas), namespace: nsInfo[nsIndex]!.name });
      else if (rng.chance(0.5))
        subjects.push({
          kind: 'User',
          apiGroup: 'rbac.authorization.k8s.io',
          name: `${rng.pick(TEAMS)}-engineer-${rng.int(50)}@example.com`,
        });
      else subjects.push({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `bench:${rng.pick(TEAMS)}-admins` });
    }
    clusterRoleBindings.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `bench-crb-${pad(i, 5)}`, labels: common },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects,
    });
  }

  return {
    scale,
    admission: benchAdmissionPolicy(),
    namespaces,
    clusterRoles,
    roles,
    serviceAccounts,
    secrets,
    roleBindings,
    clusterRoleBindings,
    workloads,
    barePods,
  };
}

function pickRules(rng: Rng, n: number, allowWildcard: boolean) {
  const palette = allowWildcard ? RULE_PALETTE : RULE_PALETTE.slice(0, -1);
  const out = new Map<number, (typeof RULE_PALETTE)[number]>();
  while (out.size < n) {
    const i = rng.int(palette.length);
    out.set(i, palette[i]!);
  }
  return [...out.keys()].sort((a, b) => a - b).map((i) => structuredClone(out.get(i)!));
}

function pickSubjects(
  rng: Rng,
  namespace: string,
  saNames: string[],
  nsInfo: { name: string }[],
  saByNs: string[][],
  team: string,
) {
  const subjects: Record<string, string>[] = [];
  const count = 1 + rng.int(3);
  for (let k = 0; k < count; k++) {
    const r = rng.next();
    if (r < 0.75 && saNames.length > 0) subjects.push({ kind: 'ServiceAccount', name: rng.pick(saNames), namespace });
    else if (r < 0.85 && saByNs.length > 0) {
      // a ServiceAccount of another namespace (cross-namespace grant); namespaces before this one are known
      const other = rng.int(saByNs.length);
      const sas = saByNs[other]!;
      if (sas.length > 0) subjects.push({ kind: 'ServiceAccount', name: rng.pick(sas), namespace: nsInfo[other]!.name });
      else subjects.push({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `system:serviceaccounts:${namespace}` });
    } else if (r < 0.95)
      subjects.push({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `${team}-engineer-${rng.int(50)}@example.com` });
    else subjects.push({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `bench:${team}-developers` });
  }
  return subjects;
}

function podSpec(
  rng: Rng,
  team: string,
  app: string,
  saNames: string[],
  opaque: string[],
  tls: string[],
  pull: string[],
): Record<string, unknown> {
  const image = rng
    .pick(IMAGES)
    .replace('{team}', team)
    .replace('{app}', app)
    .replace('{n}', String(rng.int(20)))
    .replace('{digest}', rng.chars(64, '0123456789abcdef'));
  const container: Record<string, unknown> = {
    name: app,
    image,
    resources: { requests: { cpu: '10m', memory: '16Mi' } },
  };
  const spec: Record<string, unknown> = { containers: [container] };
  if (saNames.length > 0 && rng.chance(0.9)) spec.serviceAccountName = rng.pick(saNames);
  if (rng.chance(0.2)) spec.automountServiceAccountToken = rng.chance(0.5);
  if (opaque.length > 0 && rng.chance(0.3)) {
    container.env = [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: rng.pick(opaque), key: 'password' } } }];
  }
  const volumes: Record<string, unknown>[] = [];
  const mounts: Record<string, unknown>[] = [];
  if (tls.length > 0 && rng.chance(0.2)) {
    volumes.push({ name: 'tls', secret: { secretName: rng.pick(tls) } });
    mounts.push({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
  }
  if (rng.chance(0.1)) {
    volumes.push({
      name: 'bound-token',
      projected: {
        sources: [{ serviceAccountToken: { audience: rng.pick(AUDIENCES), expirationSeconds: 3600, path: 'token' } }],
      },
    });
    mounts.push({ name: 'bound-token', mountPath: '/var/run/secrets/tokens', readOnly: true });
  }
  if (volumes.length) {
    spec.volumes = volumes;
    container.volumeMounts = mounts;
  }
  if (pull.length > 0 && rng.chance(0.15)) spec.imagePullSecrets = [{ name: rng.pick(pull) }];
  return spec;
}

/** The admission policy that keeps controllers from adding Pods to bench namespaces (see the top comment). */
export function benchAdmissionPolicy(): Manifest[] {
  const namespaceSelector = { matchLabels: { [BENCH_LABEL]: BENCH_LABEL_VALUE } };
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: BENCH_POLICY_NAME, labels: { [BENCH_LABEL]: BENCH_LABEL_VALUE } },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          namespaceSelector,
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        },
        validations: [
          {
            expression: `has(object.metadata.annotations) && '${BENCH_POD_ANNOTATION}' in object.metadata.annotations && object.metadata.annotations['${BENCH_POD_ANNOTATION}'] == '${BENCH_POD_ANNOTATION_VALUE}'`,
            message: 'bench namespaces only take the loader’s own Pods (controllers must not add any)',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: BENCH_POLICY_NAME, labels: { [BENCH_LABEL]: BENCH_LABEL_VALUE } },
      spec: { policyName: BENCH_POLICY_NAME, validationActions: ['Deny'], matchResources: { namespaceSelector } },
    },
  ];
}

/**
 * The generated cluster as one kubectl-style `List` (what `kubectl get … -o json` of it would roughly
 * show), with deterministic uids filled into metadata and ownerReferences. For import benchmarks
 * without a cluster.
 */
export function benchClusterAsList(c: BenchCluster): { apiVersion: 'v1'; kind: 'List'; items: Manifest[] } {
  const rng = createRng(c.scale.seed ^ 0x5eed, { discard: 0 });
  const uid = () =>
    `${rng.chars(8, '0123456789abcdef')}-${rng.chars(4, '0123456789abcdef')}-4${rng.chars(3, '0123456789abcdef')}-8${rng.chars(3, '0123456789abcdef')}-${rng.chars(12, '0123456789abcdef')}`;
  const withUid = (m: Manifest): Manifest => ({ ...m, metadata: { ...m.metadata, uid: uid() } });
  const items: Manifest[] = [];
  for (const m of [
    ...c.admission,
    ...c.namespaces,
    ...c.clusterRoles,
    ...c.roles,
    ...c.serviceAccounts,
    ...c.secrets,
    ...c.roleBindings,
    ...c.clusterRoleBindings,
  ]) {
    items.push(withUid(m));
  }
  for (const w of c.workloads) {
    const d = withUid(w.deployment);
    const rs = withUid(w.replicaSet);
    rs.metadata.ownerReferences = rs.metadata.ownerReferences!.map((o) => ({ ...o, uid: d.metadata.uid! }));
    items.push(d, rs);
    for (const p of w.pods) {
      const pod = withUid(p);
      pod.metadata.ownerReferences = pod.metadata.ownerReferences!.map((o) => ({ ...o, uid: rs.metadata.uid! }));
      items.push(pod);
    }
  }
  for (const p of c.barePods) items.push(withUid(p));
  return { apiVersion: 'v1', kind: 'List', items };
}
