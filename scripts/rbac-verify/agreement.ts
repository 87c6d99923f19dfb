/**
 * Agreement with Kubernetes itself: load a seeded random RBAC cluster into a real API server next to
 * what it already holds (bootstrap roles, the corpus), read back everything the server stores, build
 * the index from exactly that, and compare `can()` with SubjectAccessReview tuple by tuple; then
 * compare `whoCan()` lists with SubjectAccessReview for listed and non-listed identities.
 *
 *   const report = await runAgreement({ kc, seed: 1, tuples: 20_000, log: console.error });
 *   report.agreed === report.tuples
 *
 * The steps are exported one by one for the integration test (apply → settle → list → sample →
 * compare → whoCan → cleanup).
 *
 * Shared-cluster safety: every generated object's name starts with a per-run prefix
 * (`nhi-gen-<random>`), cleanup deletes exactly those names (and the generated namespaces), and the
 * generator never binds cluster-wide groups cluster-wide (see generate.ts).
 *
 * What is compared: SubjectAccessReview goes through the whole authorizer chain of the server
 * (`--authorization-mode=Node,RBAC` on the test cluster, after the built-in privileged-group
 * authorizer). Tuples whose identity another authorizer may decide (members of system:masters, node
 * identities `system:node:<n>` in `system:nodes`, the loopback `system:apiserver`) are never sampled,
 * so every compared answer is RBAC's alone. Group subjects `system:nodes` are exercised with a member
 * whose name is not a node's (the Node authorizer only looks at `system:node:*` users).
 *
 * Concurrent changes: other tests may change RBAC objects while a run is in flight. A disagreement
 * is re-checked once against a fresh listing (and a fresh review after a short pause); the report
 * counts such re-checks and whether the stored objects had changed. Nothing else is retried.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { effectiveClusterRoleRules, ruleKey } from '@/lib/rbac/aggregation';
import { can, whoCan, whoCanAdmits, type WhoCanEntry } from '@/lib/rbac/evaluator';
import { explainReason, bindingOf, formatRequest, formatUser } from '@/lib/rbac/explain';
import {
  API_GROUPS,
  generateCluster,
  balancedTuples,
  generatedObjects,
  NON_RESOURCE_URLS,
  NON_RESOURCE_VERBS,
  RESOURCES,
  sampleTuples,
  VERBS,
  type AccessTuple,
  type GenerateOptions,
  type GeneratedCluster,
} from './generate';
import { createRng, type Rng } from '@/lib/rng';
import { snapshotFromObjects, type LoadIssue } from '@/lib/rbac/load';
import { buildIndex, type RbacIndex } from '@/lib/rbac/rbac-index';
import { createSarClient, mapPool, pooledConfiguration, sarErrorMessage, type SarAnswer, type SarClient } from './sar';
import {
  ALL_SERVICE_ACCOUNTS_GROUP,
  ANONYMOUS_USER,
  AUTHENTICATED_GROUP,
  MASTERS_GROUP,
  NODES_GROUP,
  nonRbacAuthorizerFor,
  SA_NAMESPACE_GROUP_PREFIX,
  serviceAccountUser,
  splitServiceAccountUsername,
  UNAUTHENTICATED_GROUP,
} from '@/lib/rbac/subjects';
import type {
  ClusterRole,
  Decision,
  PolicyRule,
  RbacObjectCounts,
  RbacSnapshot,
  RequestAttributes,
  ResourceAttributes,
  Subject,
  UserInfo,
} from '@/lib/rbac/types';
import { isNonResource } from '@/lib/rbac/types';

/** Every generated name starts with this; per-run prefixes add a random suffix. */
export const GENERATED_PREFIX = 'nhi-gen';
export const FIELD_MANAGER = 'nhi-rbac-agreement';

export type TupleSource = 'generated' | 'corpus';

/**
 * Names of the made-up users and group members the sampler asks about (never bound by anything;
 * not a run prefix, so never mistaken for another run's identities).
 */
export const PROBE_PREFIX = 'nhi-gen.probe';

/**
 * A predicate for identities made by another generator run than `ownPrefix` (their objects may be
 * deleted while this run is comparing, so they are left out of its tuples). Without `ownPrefix`,
 * every generated identity is foreign.
 */
export function foreignGenerated(ownPrefix?: string): (user: UserInfo) => boolean {
  const marker = `${GENERATED_PREFIX}-`;
  return (user) => [user.name, ...user.groups].some((s) => s.includes(marker) && !(ownPrefix && s.includes(ownPrefix)));
}

/** A fresh per-run prefix such as `nhi-gen-k3x9z` (lower-case, DNS-label safe). */
export function newRunPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += alphabet[b % alphabet.length];
  return `${GENERATED_PREFIX}-${suffix}`;
}

/** Whether a name was made by a generator run with this prefix (`<prefix>-…` or `<prefix>:…`). */
export function hasPrefix(name: string, prefix: string): boolean {
  return name.startsWith(`${prefix}-`) || name.startsWith(`${prefix}:`);
}

// ---- Kubernetes clients ---------------------------------------------------------------------------

export interface KubeClients {
  kc: KubeConfig;
  rbac: RbacAuthorizationV1Api;
  core: CoreV1Api;
  objects: KubernetesObjectApi;
  close(): Promise<void>;
}

/** Clients on the kubeconfig's current cluster sharing one keep-alive connection pool. */
export function kubeClients(kc: KubeConfig): KubeClients {
  const { configuration, close } = pooledConfiguration(kc);
  return {
    kc,
    rbac: new RbacAuthorizationV1Api(configuration),
    core: new CoreV1Api(configuration),
    objects: new KubernetesObjectApi(configuration),
    close,
  };
}

async function withRetry<T>(what: string, fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient =
        (err instanceof ApiException && (err.code === 429 || err.code >= 500)) ||
        /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|fetch failed|other side closed/i.test(
          `${String(err)} ${String((err as { cause?: unknown })?.cause ?? '')}`,
        );
      if (!transient || attempt >= attempts) throw new Error(`${what}: ${sarErrorMessage(err)}`, { cause: err });
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** (attempt - 1))));
    }
  }
}

// ---- apply and clean up ---------------------------------------------------------------------------

export interface ApplyResult {
  applied: number;
  ms: number;
}

function applyStage(obj: Record<string, unknown>): number {
  switch (obj.kind) {
    case 'Namespace':
      return 0;
    case 'ServiceAccount':
      return 1;
    case 'ClusterRole':
    case 'Role':
      return 2;
    default:
      return 3;
  }
}

/**
 * Server-side applies the objects (field manager `nhi-rbac-agreement`, forced) stage by stage —
 * namespaces, ServiceAccounts, roles, bindings — with at most `concurrency` requests in flight.
 * Refuses any object whose name does not carry the generated prefix.
 */
export async function applyObjects(
  clients: KubeClients,
  objects: readonly Record<string, unknown>[],
  options: { prefix: string; concurrency?: number },
): Promise<ApplyResult> {
  const t0 = Date.now();
  for (const o of objects) {
    const name = String((o.metadata as { name?: unknown } | undefined)?.name ?? '');
    if (!hasPrefix(name, options.prefix))
      throw new Error(`refusing to apply ${String(o.kind)} ${name}: not under prefix ${options.prefix}`);
  }
  let applied = 0;
  for (const stage of [0, 1, 2, 3]) {
    const batch = objects.filter((o) => applyStage(o) === stage);
    await mapPool(batch, options.concurrency ?? 16, async (o) => {
      const meta = o.metadata as { name: string; namespace?: string };
      await withRetry(`apply ${String(o.kind)} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}`, () =>
        clients.objects.patch(o as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
      );
      applied += 1;
    });
  }
  return { applied, ms: Date.now() - t0 };
}

export interface CleanupResult {
  clusterRoleBindings: number;
  clusterRoles: number;
  roleBindings: number;
  roles: number;
  namespaces: number;
  ms: number;
}

/**
 * Deletes every ClusterRole, ClusterRoleBinding, Role, RoleBinding and Namespace whose name carries
 * the prefix (namespace deletion removes their ServiceAccounts, Roles and RoleBindings). Does not wait
 * for the namespaces to finish terminating. The prefix must start with `nhi-gen`.
 */
export async function cleanupGenerated(
  clients: KubeClients,
  prefix: string,
  options: { concurrency?: number } = {},
): Promise<CleanupResult> {
  if (!prefix.startsWith(GENERATED_PREFIX))
    throw new Error(`refusing to clean up prefix "${prefix}": it must start with ${GENERATED_PREFIX}`);
  const t0 = Date.now();
  const concurrency = options.concurrency ?? 16;
  const ignoreMissing = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return;
      throw err;
    }
  };
  const { rbac, core } = clients;
  const crbs = (await withRetry('list ClusterRoleBindings', () => rbac.listClusterRoleBinding())).items.filter((b) =>
    hasPrefix(b.metadata?.name ?? '', prefix),
  );
  await mapPool(crbs, concurrency, (b) => ignoreMissing(() => rbac.deleteClusterRoleBinding({ name: b.metadata!.name! })));
  const crs = (await withRetry('list ClusterRoles', () => rbac.listClusterRole())).items.filter((r) =>
    hasPrefix(r.metadata?.name ?? '', prefix),
  );
  await mapPool(crs, concurrency, (r) => ignoreMissing(() => rbac.deleteClusterRole({ name: r.metadata!.name! })));
  const namespaces = (await withRetry('list Namespaces', () => core.listNamespace())).items
    .map((n) => n.metadata?.name ?? '')
    .filter((n) => hasPrefix(n, prefix));
  const inOwnNs = (ns: string | undefined) => !!ns && hasPrefix(ns, prefix);
  // Roles and bindings carrying the prefix outside generated namespaces (none by construction; belt and braces).
  const rbs = (await withRetry('list RoleBindings', () => rbac.listRoleBindingForAllNamespaces())).items.filter(
    (b) => hasPrefix(b.metadata?.name ?? '', prefix) && !inOwnNs(b.metadata?.namespace),
  );
  await mapPool(rbs, concurrency, (b) =>
    ignoreMissing(() => rbac.deleteNamespacedRoleBinding({ name: b.metadata!.name!, namespace: b.metadata!.namespace! })),
  );
  const roles = (await withRetry('list Roles', () => rbac.listRoleForAllNamespaces())).items.filter(
    (r) => hasPrefix(r.metadata?.name ?? '', prefix) && !inOwnNs(r.metadata?.namespace),
  );
  await mapPool(roles, concurrency, (r) =>
    ignoreMissing(() => rbac.deleteNamespacedRole({ name: r.metadata!.name!, namespace: r.metadata!.namespace! })),
  );
  await mapPool(namespaces, concurrency, (name) => ignoreMissing(() => core.deleteNamespace({ name })));
  return {
    clusterRoleBindings: crbs.length,
    clusterRoles: crs.length,
    roleBindings: rbs.length,
    roles: roles.length,
    namespaces: namespaces.length,
    ms: Date.now() - t0,
  };
}

// ---- read back what the server holds ----------------------------------------------------------------

export interface LiveRbac {
  snapshot: RbacSnapshot;
  issues: LoadIssue[];
  /** Hash of every RBAC object's kind, namespace, name and resourceVersion: changes with any RBAC write. */
  fingerprint: string;
  counts: RbacObjectCounts;
}

async function listAll<T extends { metadata?: { resourceVersion?: string; name?: string; namespace?: string } }>(
  what: string,
  list: (p: { limit: number; _continue?: string }) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = await withRetry(`list ${what}`, () => list({ limit: 500, ...(cont ? { _continue: cont } : {}) }));
    out.push(...page.items);
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return out;
}

/**
 * Every Role, ClusterRole, RoleBinding and ClusterRoleBinding the API server stores (plus
 * ServiceAccounts and Namespaces, for sampling), validated through `snapshotFromObjects`.
 */
export async function listLiveRbac(clients: KubeClients): Promise<LiveRbac> {
  const { rbac, core } = clients;
  const [clusterRoles, clusterRoleBindings, roles, roleBindings, serviceAccounts, namespaces] = await Promise.all([
    listAll('ClusterRoles', (p) => rbac.listClusterRole(p)),
    listAll('ClusterRoleBindings', (p) => rbac.listClusterRoleBinding(p)),
    listAll('Roles', (p) => rbac.listRoleForAllNamespaces(p)),
    listAll('RoleBindings', (p) => rbac.listRoleBindingForAllNamespaces(p)),
    listAll('ServiceAccounts', (p) => core.listServiceAccountForAllNamespaces(p)),
    listAll('Namespaces', (p) => core.listNamespace(p)),
  ]);
  const rbacVersion = 'rbac.authorization.k8s.io/v1';
  const objects: unknown[] = [
    ...clusterRoles.map((o) => ({ ...o, apiVersion: rbacVersion, kind: 'ClusterRole' })),
    ...roles.map((o) => ({ ...o, apiVersion: rbacVersion, kind: 'Role' })),
    ...clusterRoleBindings.map((o) => ({ ...o, apiVersion: rbacVersion, kind: 'ClusterRoleBinding' })),
    ...roleBindings.map((o) => ({ ...o, apiVersion: rbacVersion, kind: 'RoleBinding' })),
    ...serviceAccounts.map((o) => ({ ...o, apiVersion: 'v1', kind: 'ServiceAccount' })),
  ];
  const { snapshot, issues } = snapshotFromObjects(objects);
  snapshot.namespaces = namespaces.map((n) => n.metadata?.name ?? '').filter(Boolean);
  const h = createHash('sha256');
  const keys: string[] = [];
  const add = (kind: string, list: { metadata?: { resourceVersion?: string; name?: string; namespace?: string } }[]) => {
    for (const o of list)
      keys.push(`${kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`);
  };
  add('ClusterRole', clusterRoles);
  add('ClusterRoleBinding', clusterRoleBindings);
  add('Role', roles);
  add('RoleBinding', roleBindings);
  for (const k of keys.sort()) h.update(k).update('\n');
  return {
    snapshot,
    issues,
    fingerprint: h.digest('hex'),
    counts: {
      roles: roles.length,
      clusterRoles: clusterRoles.length,
      roleBindings: roleBindings.length,
      clusterRoleBindings: clusterRoleBindings.length,
      serviceAccounts: serviceAccounts.length,
      namespaces: namespaces.length,
    },
  };
}

// ---- aggregation controller -------------------------------------------------------------------------

export interface SettleResult {
  settled: boolean;
  ms: number;
  polls: number;
  /** Aggregated ClusterRoles in the server. */
  aggregatedRoles: number;
  /** Aggregated roles whose stored rules still differ from the computed aggregation (when not settled). */
  pending: string[];
  /** Aggregated roles whose stored rules are the computed ones in another order (informational). */
  orderDiffers: string[];
}

function aggregationState(clusterRoles: ClusterRole[]): { pending: string[]; orderDiffers: string[]; aggregated: number } {
  const computed = effectiveClusterRoleRules(clusterRoles, 'computed');
  const pending: string[] = [];
  const orderDiffers: string[] = [];
  let aggregated = 0;
  for (const cr of clusterRoles) {
    if (!cr.aggregationRule) continue;
    aggregated += 1;
    const stored = (cr.rules ?? []).map(ruleKey);
    const want = (computed.get(cr.metadata.name) ?? []).map(ruleKey);
    const a = new Set(stored);
    const b = new Set(want);
    if (a.size !== b.size || [...a].some((k) => !b.has(k)) || stored.length !== want.length) pending.push(cr.metadata.name);
    else if (stored.some((k, i) => k !== want[i])) orderDiffers.push(cr.metadata.name);
  }
  return { pending, orderDiffers, aggregated };
}

/**
 * Waits until the clusterrole-aggregation controller has settled: every aggregated ClusterRole's
 * stored rules equal the aggregation `effectiveClusterRoleRules(…, 'computed')` derives from the
 * selected roles' labels and rules (which also checks aggregation.ts against the controller), and
 * the aggregated roles did not change between two consecutive polls.
 */
export async function waitForAggregation(
  clients: KubeClients,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<SettleResult> {
  const t0 = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 500;
  let previous = '';
  let polls = 0;
  for (;;) {
    polls += 1;
    const items = await listAll('ClusterRoles', (p) => clients.rbac.listClusterRole(p));
    const { snapshot } = snapshotFromObjects(
      items.map((o) => ({ ...o, apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' })),
    );
    const state = aggregationState(snapshot.clusterRoles);
    const versions = items
      .filter((o) => o.aggregationRule)
      .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
      .sort()
      .join(',');
    const stable = versions === previous;
    previous = versions;
    if (state.pending.length === 0 && stable) {
      return {
        settled: true,
        ms: Date.now() - t0,
        polls,
        aggregatedRoles: state.aggregated,
        pending: [],
        orderDiffers: state.orderDiffers,
      };
    }
    if (Date.now() - t0 > timeoutMs) {
      return {
        settled: false,
        ms: Date.now() - t0,
        polls,
        aggregatedRoles: state.aggregated,
        pending: state.pending,
        orderDiffers: state.orderDiffers,
      };
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- sampling tuples for the corpus (everything not generated) ------------------------------------

interface Vocabulary {
  verbs: string[];
  groups: string[];
  /** [group, resource, subresources] */
  resources: [string, string, string[]][];
  urls: string[];
}

/** Verbs, groups, resources and URLs named anywhere in the index, plus the generator's. */
function vocabulary(index: RbacIndex): Vocabulary {
  const verbs = new Set(VERBS);
  const groups = new Set(API_GROUPS);
  const resources = new Map<string, { group: string; resource: string; subs: Set<string> }>();
  const addRes = (group: string, resource: string, sub?: string) => {
    const key = `${group}/${resource}`;
    let r = resources.get(key);
    if (!r) resources.set(key, (r = { group, resource, subs: new Set() }));
    if (sub) r.subs.add(sub);
  };
  for (const [g, r, subs] of RESOURCES) {
    addRes(g, r);
    for (const s of subs) addRes(g, r, s);
  }
  const urls = new Set(NON_RESOURCE_URLS.filter((u) => !u.includes('*')));
  for (const role of index.roleList) {
    for (const rule of role.rules) {
      for (const v of rule.verbs) if (v !== '*') verbs.add(v);
      for (const u of rule.nonResourceURLs ?? []) if (!u.includes('*')) urls.add(u);
      for (const g of rule.apiGroups ?? []) {
        if (g === '*') continue;
        groups.add(g);
        for (const res of rule.resources ?? []) {
          const [base, sub] = res.split('/', 2) as [string, string | undefined];
          if (base === '*' || !base) continue;
          addRes(g, base, sub && sub !== '*' ? sub : undefined);
        }
      }
    }
  }
  return {
    verbs: [...verbs].sort(),
    groups: [...groups].sort(),
    resources: [...resources.values()]
      .map((r) => [r.group, r.resource, [...r.subs].sort()] as [string, string, string[]])
      .sort((a, b) => (`${a[0]}/${a[1]}` < `${b[0]}/${b[1]}` ? -1 : 1)),
    urls: [...urls].sort(),
  };
}

function concrete(rng: Rng, values: readonly string[] | undefined, fallback: readonly string[]): string {
  const v = values && values.length ? rng.pick(values) : rng.pick(fallback);
  return v === '*' ? rng.pick(fallback) : v;
}

const NAMES = ['alpha', 'beta', 'default', 'kube-root-ca.crt', 'kubernetes.io/kube-apiserver-client', 'zeta'];

function requestFromRule(rng: Rng, rule: PolicyRule, namespace: string, vocab: Vocabulary): RequestAttributes {
  if ((rule.nonResourceURLs ?? []).length) {
    let url = rng.pick(rule.nonResourceURLs as string[]);
    if (url === '*') url = rng.pick(vocab.urls);
    else if (url.endsWith('*')) url = url.slice(0, -1) + rng.pick(['', 'x', 'ping', 'v1/things', 'etcd']);
    return { verb: concrete(rng, rule.verbs, NON_RESOURCE_VERBS), nonResourceURL: url };
  }
  const verb = concrete(rng, rule.verbs, vocab.verbs);
  const g = rng.pick(rule.apiGroups?.length ? rule.apiGroups : ['']);
  const apiGroup = g === '*' ? rng.pick(vocab.groups) : g;
  const res = rng.pick(rule.resources?.length ? rule.resources : ['pods']);
  const inGroup = vocab.resources.filter(([vg]) => vg === apiGroup);
  const anyResource = () => rng.pick(inGroup.length && rng.chance(0.8) ? inGroup : vocab.resources);
  let resource: string;
  let subresource: string | undefined;
  if (res === '*') {
    const [, r, subs] = anyResource();
    resource = r;
    if (subs.length && rng.chance(0.3)) subresource = rng.pick(subs);
  } else if (res.startsWith('*/')) {
    resource = anyResource()[1];
    subresource = res.slice(2);
  } else if (res.includes('/')) {
    const [r, s] = res.split('/', 2) as [string, string];
    resource = r;
    subresource = s === '*' ? (rng.chance(0.5) ? '*' : rng.pick(['exec', 'status', 'log', 'token'])) : s;
  } else resource = res;
  const attrs: ResourceAttributes = { verb, apiGroup, resource };
  if (subresource) attrs.subresource = subresource;
  if (namespace) attrs.namespace = namespace;
  const names = rule.resourceNames ?? [];
  if (names.length) attrs.name = rng.chance(0.85) ? rng.pick(names) : 'zeta';
  else if (rng.chance(0.4)) attrs.name = rng.pick(NAMES);
  return attrs;
}

/** Known identities of the cluster, as the authorizer would see them, for sampling. */
interface Principals {
  list: UserInfo[];
  saByNamespace: Map<string, string[]>;
}

/**
 * A user the binding subject designates: ServiceAccounts with their implicit groups; users with
 * `system:authenticated` (`system:anonymous` with `system:unauthenticated`); a member of a group
 * (a ServiceAccount for the ServiceAccount groups). Undefined for subjects no compared identity can
 * be (system:masters, malformed subjects).
 */
function userForSubject(rng: Rng, s: Subject, bindingNs: string, principals: Principals): UserInfo | undefined {
  if (!s.name) return undefined;
  switch (s.kind) {
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNs;
      return ns ? serviceAccountUser(ns, s.name) : undefined;
    }
    case 'User': {
      const sa = splitServiceAccountUsername(s.name);
      if (sa) return serviceAccountUser(sa.namespace, sa.name);
      if (s.name === ANONYMOUS_USER) return { name: s.name, groups: [UNAUTHENTICATED_GROUP] };
      // Node user names are sent without system:nodes: RBAC alone then decides.
      return { name: s.name, groups: [AUTHENTICATED_GROUP] };
    }
    case 'Group': {
      if (s.name === MASTERS_GROUP) return undefined;
      if (s.name.startsWith(SA_NAMESPACE_GROUP_PREFIX)) {
        const ns = s.name.slice(SA_NAMESPACE_GROUP_PREFIX.length);
        const names = principals.saByNamespace.get(ns) ?? ['default'];
        return serviceAccountUser(ns, rng.pick(names));
      }
      if (s.name === ALL_SERVICE_ACCOUNTS_GROUP) {
        const sas = principals.list.filter((u) => u.groups.includes(ALL_SERVICE_ACCOUNTS_GROUP));
        return sas.length ? rng.pick(sas) : serviceAccountUser('default', 'default');
      }
      if (s.name === AUTHENTICATED_GROUP)
        return rng.chance(0.5)
          ? rng.pick(principals.list)
          : { name: `${PROBE_PREFIX}-user-${rng.int(3)}`, groups: [AUTHENTICATED_GROUP] };
      if (s.name === UNAUTHENTICATED_GROUP) return { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };
      if (s.name === NODES_GROUP) return { name: `${PROBE_PREFIX}-kubelet`, groups: [NODES_GROUP, AUTHENTICATED_GROUP] };
      return { name: `${PROBE_PREFIX}-member-${rng.int(3)}`, groups: [s.name, AUTHENTICATED_GROUP] };
    }
    default:
      return undefined;
  }
}

function userKey(u: UserInfo): string {
  return `${u.name}|${[...u.groups].sort().join(',')}`;
}

/** Every identity the bindings (and ServiceAccounts) of the index designate, plus a few probes. */
function collectPrincipals(
  index: RbacIndex,
  include: (bindingName: string) => boolean,
  ignore: (user: UserInfo) => boolean = () => false,
): Principals {
  const saByNamespace = new Map<string, string[]>();
  for (const sa of index.snapshot.serviceAccounts ?? [])
    saByNamespace.set(sa.namespace, [...(saByNamespace.get(sa.namespace) ?? []), sa.name]);
  const seen = new Map<string, UserInfo>();
  const add = (u: UserInfo | undefined) => {
    if (u && !nonRbacAuthorizerFor(u) && !ignore(u)) seen.set(userKey(u), u);
  };
  const rng = createRng(7);
  const base: Principals = { list: [], saByNamespace };
  for (const b of index.bindings) {
    if (!include(b.name)) continue;
    for (const s of b.subjects) if (s.kind !== 'Group') add(userForSubject(rng, s, b.namespace, base));
  }
  for (const sa of index.snapshot.serviceAccounts ?? []) if (rng.chance(0.3)) add(serviceAccountUser(sa.namespace, sa.name));
  base.list = [...seen.values()];
  for (const b of index.bindings) {
    if (!include(b.name)) continue;
    for (const s of b.subjects) if (s.kind === 'Group') add(userForSubject(rng, s, b.namespace, base));
  }
  add({ name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] });
  add({ name: `${PROBE_PREFIX}-user-0`, groups: [AUTHENTICATED_GROUP] });
  add({ name: `${PROBE_PREFIX}-kubelet`, groups: [NODES_GROUP, AUTHENTICATED_GROUP] });
  return { list: [...seen.values()].sort((a, b) => (userKey(a) < userKey(b) ? -1 : 1)), saByNamespace };
}

export interface CorpusSampleOptions {
  /** Bindings (by name) whose subjects and rules seed tuples. Default: names not starting with `nhi-gen`. */
  includeBinding?: (name: string) => boolean;
  /** Namespaces requests may target besides the bindings' own. Default: the index's namespaces not starting with `nhi-gen`. */
  namespaces?: string[];
  /** Identities never to ask about. Default: every generated identity (`foreignGenerated()`). */
  ignoreUser?: (user: UserInfo) => boolean;
}

/**
 * `count` tuples about the identities and rules of the cluster's own (non-generated) bindings —
 * bootstrap roles, operators' charts, insecure scenarios — half allowed, half denied (classified with
 * `can()` on the index): requests derived from a bound rule (a quarter mutated into near misses:
 * other verb, namespace, subresource, name, group, or another identity) and random requests.
 * Identities another authorizer may decide are never produced.
 */
export function sampleCorpusTuples(
  index: RbacIndex,
  count: number,
  seed: number,
  options: CorpusSampleOptions = {},
): AccessTuple[] {
  const rng = createRng(seed);
  const include = options.includeBinding ?? ((name: string) => !name.startsWith(GENERATED_PREFIX));
  const namespaces = options.namespaces ?? index.namespaces.filter((n) => !n.startsWith(GENERATED_PREFIX));
  const vocab = vocabulary(index);
  const ignore = options.ignoreUser ?? foreignGenerated();
  const principals = collectPrincipals(index, include, ignore);
  const bindings = index.bindings.filter((b) => include(b.name) && b.role && b.role.rules.length > 0 && b.subjects.length > 0);

  const derived = (): AccessTuple | undefined => {
    const b = rng.pick(bindings);
    const user = userForSubject(rng, rng.pick(b.subjects), b.namespace, principals);
    if (!user) return undefined;
    const rule = rng.pick(b.role!.rules);
    const ns = b.kind === 'RoleBinding' ? b.namespace : rng.chance(0.3) ? '' : rng.pick(namespaces);
    return { user, attrs: requestFromRule(rng, rule, ns, vocab) };
  };
  const randomRequest = (): RequestAttributes => {
    if (rng.chance(0.1))
      return {
        verb: rng.pick(NON_RESOURCE_VERBS),
        nonResourceURL: rng.pick([...vocab.urls, '/other', '/healthz/x', '/metrics/slis']),
      };
    const [g, r, subs] = rng.pick(vocab.resources);
    const attrs: ResourceAttributes = {
      verb: rng.pick(vocab.verbs),
      apiGroup: rng.chance(0.9) ? g : rng.pick(vocab.groups),
      resource: r,
    };
    if (subs.length && rng.chance(0.3)) attrs.subresource = rng.pick(subs);
    if (rng.chance(0.8)) attrs.namespace = rng.pick(namespaces);
    if (rng.chance(0.3)) attrs.name = rng.pick(NAMES);
    return attrs;
  };
  const mutate = (t: AccessTuple): AccessTuple => {
    const attrs = { ...t.attrs } as RequestAttributes;
    const roll = rng.next();
    if (roll < 0.15) return { user: rng.pick(principals.list), attrs };
    if (isNonResource(attrs)) {
      if (roll < 0.55) attrs.verb = rng.pick(NON_RESOURCE_VERBS);
      else attrs.nonResourceURL = rng.pick([...vocab.urls, '/healthz/ready', '/metricsx', '/api/v1']);
      return { user: t.user, attrs };
    }
    if (roll < 0.35) attrs.namespace = rng.chance(0.25) ? '' : rng.pick(namespaces);
    else if (roll < 0.5) attrs.verb = rng.pick(vocab.verbs);
    else if (roll < 0.65)
      attrs.subresource = rng.chance(0.5) ? undefined : rng.pick(['exec', 'status', 'token', 'proxy', 'log', '*']);
    else if (roll < 0.8) attrs.name = rng.pick([...NAMES, '']);
    else if (roll < 0.9) attrs.apiGroup = rng.pick(vocab.groups);
    else attrs.resource = rng.pick(vocab.resources)[1];
    if (attrs.subresource === undefined) delete attrs.subresource;
    if (!attrs.namespace) delete attrs.namespace;
    if (!attrs.name) delete attrs.name;
    return { user: t.user, attrs };
  };
  const next = (preferAllowed: boolean): AccessTuple | undefined => {
    if (bindings.length && (preferAllowed || rng.chance(0.6))) {
      const t = derived();
      return t && !preferAllowed && rng.chance(0.35) ? mutate(t) : t;
    }
    return { user: rng.pick(principals.list), attrs: randomRequest() };
  };

  // Identities the server judges without RBAC, and other runs' identities, are not sampled.
  const draw = (onlyAllowedWanted: boolean) => {
    const t = next(onlyAllowedWanted);
    return t && !nonRbacAuthorizerFor(t.user) && !ignore(t.user) ? t : undefined;
  };
  return balancedTuples(count, rng, 50, draw, (t) => can(index, t.user, t.attrs).allowed);
}

// ---- comparing ------------------------------------------------------------------------------------

export interface Mismatch {
  index: number;
  source: TupleSource;
  tuple: AccessTuple;
  ours: boolean;
  theirs: SarAnswer;
  /** Our reasons (granting bindings and rules), explained. */
  reasons: string[];
}

export function formatMismatch(m: Mismatch): string {
  const lines = [
    `#${m.index} [${m.source}] ${formatUser(m.tuple.user)}: ${formatRequest(m.tuple.attrs)}`,
    `  can(): ${m.ours ? 'allowed' : 'denied'}   SubjectAccessReview: ${m.theirs.allowed ? 'allowed' : 'denied'}${m.theirs.reason ? ` (${m.theirs.reason})` : ''}${m.theirs.evaluationError ? ` [evaluationError: ${m.theirs.evaluationError}]` : ''}`,
    ...(m.reasons.length ? m.reasons.map((r) => `  ours: ${r}`) : ['  ours: no rule allows it']),
  ];
  return lines.join('\n');
}

/** What a set of tuples exercised (counts of tuples per category). */
export type Coverage = Record<string, number>;

const IMPLICIT_GROUPS = new Set([AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP, ALL_SERVICE_ACCOUNTS_GROUP]);

/** Counts tuples per category: allowed/denied, kinds of request, and what allowed them. */
export function coverageOf(index: RbacIndex, tuples: readonly AccessTuple[], decisions: readonly Decision[]): Coverage {
  const c: Coverage = {};
  const inc = (k: string) => (c[k] = (c[k] ?? 0) + 1);
  tuples.forEach((t, i) => {
    const d = decisions[i] as Decision;
    inc(d.allowed ? 'allowed' : 'denied');
    const a = t.attrs;
    if (isNonResource(a)) inc('nonResourceURL');
    else {
      inc(a.namespace ? 'namespaced request' : 'cluster-wide request');
      if (a.subresource) inc('subresource');
      if (a.name) inc('resourceName in request');
      if (a.apiGroup === '') inc('core group');
    }
    if (t.user.name.startsWith('system:serviceaccount:')) inc('ServiceAccount identity');
    if (!d.allowed) return;
    const kinds = new Set<string>();
    for (const r of d.reasons) {
      const b = bindingOf(index, r);
      const s = b?.subjects[r.subjectIndex];
      const e = explainReason(index, r);
      kinds.add(`via ${r.binding.kind} → ${r.role.kind}`);
      if (s?.kind === 'Group' && (IMPLICIT_GROUPS.has(s.name) || s.name.startsWith(SA_NAMESPACE_GROUP_PREFIX)))
        kinds.add('via implicit group');
      else if (s?.kind === 'Group') kinds.add('via other group');
      if (s?.kind === 'User' && splitServiceAccountUsername(s.name)) kinds.add('via User subject naming a ServiceAccount');
      if (s?.kind === 'ServiceAccount' && !s.namespace) kinds.add('via ServiceAccount subject without namespace');
      if (e.aggregated) kinds.add('via aggregated ClusterRole');
      const rule = e.rule;
      if (rule) {
        if (rule.verbs.includes('*') || (rule.resources ?? []).includes('*') || (rule.apiGroups ?? []).includes('*'))
          kinds.add('via wildcard rule');
        if ((rule.resources ?? []).some((x) => x.startsWith('*/'))) kinds.add('via */subresource rule');
        if ((rule.resourceNames ?? []).length) kinds.add('via resourceNames rule');
        if ((rule.nonResourceURLs ?? []).some((u) => u.endsWith('*'))) kinds.add('via nonResourceURL prefix rule');
      }
    }
    for (const k of kinds) inc(k);
  });
  return c;
}

/**
 * The binding an RBAC allow names in a SubjectAccessReview reason, e.g.
 * `RBAC: allowed by RoleBinding "name/namespace" of Role "r" to User "u"`; undefined otherwise.
 */
export function sarGrantingBinding(
  reason: string,
): { kind: 'RoleBinding' | 'ClusterRoleBinding'; namespace: string; name: string } | undefined {
  const m = /allowed by (ClusterRoleBinding|RoleBinding) "([^"]*)"/.exec(reason);
  if (!m) return undefined;
  if (m[1] === 'ClusterRoleBinding') return { kind: 'ClusterRoleBinding', namespace: '', name: m[2] as string };
  const slash = (m[2] as string).lastIndexOf('/');
  return { kind: 'RoleBinding', name: (m[2] as string).slice(0, slash), namespace: (m[2] as string).slice(slash + 1) };
}

export interface ReasonMismatch {
  index: number;
  tuple: AccessTuple;
  sarReason: string;
  reasons: string[];
}

export interface CompareResult {
  decisions: Decision[];
  answers: SarAnswer[];
  mismatches: Mismatch[];
  /** Tuples both allow and whose SubjectAccessReview reason names a binding among our reasons. */
  reasonsAgreed: number;
  /** Tuples both allow. */
  bothAllowed: number;
  /** Tuples both allow where the API server's granting binding is not among our reasons. */
  reasonMismatches: ReasonMismatch[];
  ms: number;
}

/** `can()` on the index vs SubjectAccessReview for every tuple. */
export async function compareTuples(
  index: RbacIndex,
  tuples: readonly AccessTuple[],
  sources: readonly TupleSource[],
  sar: SarClient,
  onProgress?: (done: number, total: number) => void,
): Promise<CompareResult> {
  const t0 = Date.now();
  const decisions = tuples.map((t) => can(index, t.user, t.attrs));
  const answers = await sar.reviewAll(tuples, onProgress);
  const mismatches: Mismatch[] = [];
  const reasonMismatches: ReasonMismatch[] = [];
  let bothAllowed = 0;
  let reasonsAgreed = 0;
  tuples.forEach((t, i) => {
    const d = decisions[i] as Decision;
    const a = answers[i] as SarAnswer;
    if (d.allowed !== a.allowed) {
      mismatches.push({
        index: i,
        source: sources[i] ?? 'generated',
        tuple: t,
        ours: d.allowed,
        theirs: a,
        reasons: d.reasons.map((r) => explainReason(index, r).text),
      });
    } else if (d.allowed) {
      bothAllowed += 1;
      const granting = sarGrantingBinding(a.reason);
      const ok =
        granting !== undefined &&
        d.reasons.some(
          (r) =>
            r.binding.kind === granting.kind &&
            r.binding.name === granting.name &&
            (r.binding.namespace ?? '') === granting.namespace,
        );
      if (ok) reasonsAgreed += 1;
      else
        reasonMismatches.push({
          index: i,
          tuple: t,
          sarReason: a.reason,
          reasons: d.reasons.map((r) => explainReason(index, r).text),
        });
    }
  });
  return { decisions, answers, mismatches, bothAllowed, reasonsAgreed, reasonMismatches, ms: Date.now() - t0 };
}

export interface RecheckResult {
  /** Disagreements that still stand after the re-check. */
  mismatches: Mismatch[];
  /** Disagreements that went away once re-read/re-reviewed. */
  resolved: number;
  /** Whether the RBAC objects in the server changed since the snapshot the run used. */
  snapshotChanged: boolean;
}

/**
 * Re-checks disagreements once: after a pause, re-lists the server's RBAC objects (other tests may
 * have changed them), re-decides with a fresh index and re-reviews.
 */
export async function recheckMismatches(
  clients: KubeClients,
  sar: SarClient,
  fingerprint: string,
  mismatches: readonly Mismatch[],
  pauseMs = 2000,
): Promise<{ result: RecheckResult; index: RbacIndex | undefined }> {
  if (mismatches.length === 0) return { result: { mismatches: [], resolved: 0, snapshotChanged: false }, index: undefined };
  await new Promise((r) => setTimeout(r, pauseMs));
  const live = await listLiveRbac(clients);
  const index = buildIndex(live.snapshot);
  const still: Mismatch[] = [];
  for (const m of mismatches) {
    const d = can(index, m.tuple.user, m.tuple.attrs);
    const a = await sar.review(m.tuple);
    if (d.allowed !== a.allowed)
      still.push({ ...m, ours: d.allowed, theirs: a, reasons: d.reasons.map((r) => explainReason(index, r).text) });
  }
  return {
    result: { mismatches: still, resolved: mismatches.length - still.length, snapshotChanged: live.fingerprint !== fingerprint },
    index,
  };
}

// ---- whoCan vs SubjectAccessReview --------------------------------------------------------------------

export interface WhoCanMismatch {
  request: RequestAttributes;
  user: UserInfo;
  /** listed: whoCan names the identity (SAR and can() must allow); unlisted: it does not (both must deny). */
  listed: boolean;
  sar: SarAnswer;
  can: boolean;
}

export interface WhoCanReport {
  queries: number;
  listedChecked: number;
  listedAgreed: number;
  unlistedChecked: number;
  unlistedAgreed: number;
  /** Listed subjects not checked because another authorizer would answer for them (system:masters). */
  listedSkipped: number;
  mismatches: WhoCanMismatch[];
  ms: number;
}

/** The user to send for a whoCan entry: exactly the subject, with no extra group that could grant more. */
function userForEntry(entry: WhoCanEntry): UserInfo {
  const s = entry.subject;
  if (s.kind === 'ServiceAccount') return serviceAccountUser(s.namespace as string, s.name);
  if (s.kind === 'User') {
    const sa = splitServiceAccountUsername(s.name);
    return sa ? serviceAccountUser(sa.namespace, sa.name) : { name: s.name, groups: [] };
  }
  return { name: `${PROBE_PREFIX}-member`, groups: [s.name] };
}

function requestKey(a: RequestAttributes): string {
  return JSON.stringify(a, Object.keys(a).sort());
}

/** Up to `n` distinct allowed requests from the tuples, spread over request kinds. */
export function pickWhoCanQueries(
  tuples: readonly AccessTuple[],
  decisions: readonly Decision[],
  n: number,
  seed: number,
): RequestAttributes[] {
  const rng = createRng(seed);
  const buckets = new Map<string, RequestAttributes[]>();
  const seen = new Set<string>();
  tuples.forEach((t, i) => {
    if (!(decisions[i] as Decision).allowed) return;
    const k = requestKey(t.attrs);
    if (seen.has(k)) return;
    seen.add(k);
    const a = t.attrs;
    const bucket = isNonResource(a)
      ? 'nonResource'
      : `${a.namespace ? (a.namespace.startsWith(GENERATED_PREFIX) ? 'generated-ns' : 'corpus-ns') : 'cluster'}${a.subresource ? '+sub' : ''}${a.name ? '+name' : ''}`;
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), a]);
  });
  const lists = [...buckets.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, l]) => l);
  const out: RequestAttributes[] = [];
  while (out.length < n && lists.some((l) => l.length)) {
    for (const l of lists) {
      if (out.length >= n || !l.length) continue;
      out.push(l.splice(rng.int(l.length), 1)[0] as RequestAttributes);
    }
  }
  return out;
}

/**
 * For each request: every subject `whoCan` lists must be allowed by SubjectAccessReview (sent as
 * exactly that subject: a ServiceAccount with its groups, a user with no group, a group through a
 * member with only that group), and a sample of `unlistedPerQuery` known identities that whoCan
 * does not admit must be denied. `can()` is checked alongside for consistency.
 */
export async function checkWhoCan(
  index: RbacIndex,
  sar: SarClient,
  queries: readonly RequestAttributes[],
  options: {
    seed: number;
    unlistedPerQuery?: number;
    principals?: UserInfo[];
    concurrency?: number;
    /** Identities not to check (e.g. another generator run's, which may vanish meanwhile). */
    ignoreUser?: (user: UserInfo) => boolean;
  } = { seed: 1 },
): Promise<WhoCanReport> {
  const t0 = Date.now();
  const rng = createRng(options.seed);
  const ignore = options.ignoreUser ?? (() => false);
  const pool = options.principals ?? collectPrincipals(index, () => true, ignore).list;
  const checks: { request: RequestAttributes; user: UserInfo; listed: boolean }[] = [];
  let listedSkipped = 0;
  for (const request of queries) {
    const entries = whoCan(index, request);
    for (const e of entries) {
      const user = userForEntry(e);
      if (e.subject.kind === 'Group' && e.subject.name === MASTERS_GROUP) {
        listedSkipped += 1;
        continue;
      }
      if (nonRbacAuthorizerFor(user) || ignore(user)) {
        listedSkipped += 1;
        continue;
      }
      checks.push({ request, user, listed: true });
    }
    const unlisted = pool.filter((u) => !whoCanAdmits(entries, u) && !nonRbacAuthorizerFor(u) && !ignore(u));
    for (const user of rng.sample(unlisted, options.unlistedPerQuery ?? 10)) checks.push({ request, user, listed: false });
  }
  const answers = await mapPool(checks, options.concurrency ?? 16, (c) => sar.review({ user: c.user, attrs: c.request }));
  const report: WhoCanReport = {
    queries: queries.length,
    listedChecked: 0,
    listedAgreed: 0,
    unlistedChecked: 0,
    unlistedAgreed: 0,
    listedSkipped,
    mismatches: [],
    ms: 0,
  };
  checks.forEach((c, i) => {
    const a = answers[i] as SarAnswer;
    const ours = can(index, c.user, c.request).allowed;
    const ok = a.allowed === c.listed && ours === c.listed;
    if (c.listed) {
      report.listedChecked += 1;
      if (ok) report.listedAgreed += 1;
    } else {
      report.unlistedChecked += 1;
      if (ok) report.unlistedAgreed += 1;
    }
    if (!ok) report.mismatches.push({ request: c.request, user: c.user, listed: c.listed, sar: a, can: ours });
  });
  report.ms = Date.now() - t0;
  return report;
}

export function formatWhoCanMismatch(m: WhoCanMismatch): string {
  return `${formatRequest(m.request)}: ${formatUser(m.user)} is ${m.listed ? 'listed' : 'not listed'} by whoCan; SubjectAccessReview ${m.sar.allowed ? 'allows' : 'denies'}${m.sar.reason ? ` (${m.sar.reason})` : ''}; can() ${m.can ? 'allows' : 'denies'}`;
}

// ---- the whole run ------------------------------------------------------------------------------------

export interface AgreementOptions {
  kc: KubeConfig;
  seed: number;
  /** Tuples compared in total (generated + corpus). */
  tuples: number;
  /** Share of tuples about the cluster's own identities and rules. Default 0.35. */
  corpusShare?: number;
  /** Generator sizes (seed and prefix are set by the run). */
  generate?: Omit<GenerateOptions, 'seed' | 'prefix'>;
  /** Default: a fresh `nhi-gen-<random>`. */
  prefix?: string;
  concurrency?: number;
  whoCanQueries?: number;
  unlistedPerQuery?: number;
  /** Leave the generated objects in the cluster. */
  keep?: boolean;
  settleTimeoutMs?: number;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface AgreementReport {
  prefix: string;
  seed: number;
  generated: {
    objects: number;
    namespaces: number;
    serviceAccounts: number;
    roles: number;
    clusterRoles: number;
    roleBindings: number;
    clusterRoleBindings: number;
  };
  live: LiveRbac['counts'] & { loadIssues: number };
  aggregation: SettleResult;
  tuples: number;
  agreed: number;
  bySource: Record<TupleSource, { tuples: number; agreed: number; allowed: number }>;
  /** Of the tuples both allow, how many SubjectAccessReview reasons name a binding among ours. */
  reasons: { bothAllowed: number; agreed: number; mismatches: ReasonMismatch[] };
  /** Disagreements of the first pass (before the re-check). */
  firstPassMismatches: number;
  coverage: Coverage;
  mismatches: Mismatch[];
  recheck: RecheckResult;
  whoCan: WhoCanReport;
  cleanup: CleanupResult | null;
  timings: {
    applyMs: number;
    settleMs: number;
    listMs: number;
    sampleMs: number;
    sarMs: number;
    whoCanMs: number;
    cleanupMs: number;
    totalMs: number;
  };
}

/** The generator sizes used when none are given: about 300 objects. */
export const DEFAULT_GENERATE: Omit<GenerateOptions, 'seed' | 'prefix'> = {
  namespaces: 8,
  serviceAccounts: 48,
  roles: 60,
  bindings: 150,
  aggregatedShare: 0.05,
};

/** Builds the tuple set: `sampleTuples` on the generated cluster plus `sampleCorpusTuples`. */
export function sampleAgreementTuples(
  gen: GeneratedCluster,
  index: RbacIndex,
  total: number,
  seed: number,
  corpusShare = 0.35,
): { tuples: AccessTuple[]; sources: TupleSource[] } {
  const nCorpus = Math.round(total * corpusShare);
  const nGenerated = total - nCorpus;
  const generated = sampleTuples(gen, nGenerated, seed, index).filter((t) => !nonRbacAuthorizerFor(t.user));
  const corpusNamespaces = [...index.namespaces.filter((n) => !n.startsWith(GENERATED_PREFIX)), ...gen.namespaces];
  const corpus = sampleCorpusTuples(index, nCorpus, seed + 1, {
    namespaces: corpusNamespaces,
    ignoreUser: foreignGenerated(gen.prefix),
  });
  return {
    tuples: [...generated, ...corpus],
    sources: [...generated.map(() => 'generated' as const), ...corpus.map(() => 'corpus' as const)],
  };
}

export async function runAgreement(options: AgreementOptions): Promise<AgreementReport> {
  const t0 = Date.now();
  const log = options.log ?? (() => {});
  const prefix = options.prefix ?? newRunPrefix();
  const concurrency = options.concurrency ?? 16;
  const gen = generateCluster({ ...DEFAULT_GENERATE, ...options.generate, seed: options.seed, prefix });
  const objects = generatedObjects(gen);
  const clients = kubeClients(options.kc);
  const sar = createSarClient(options.kc, { concurrency });
  let cleanup: CleanupResult | null = null;
  try {
    log(
      `generated ${objects.length} objects under prefix ${prefix} (seed ${options.seed}); applying with ${concurrency} requests in flight`,
    );
    const applied = await applyObjects(clients, objects, { prefix, concurrency });
    log(`applied ${applied.applied} objects in ${(applied.ms / 1000).toFixed(1)} s; waiting for the aggregation controller`);
    const aggregation = await waitForAggregation(clients, { timeoutMs: options.settleTimeoutMs ?? 60_000 });
    log(
      aggregation.settled
        ? `aggregation settled (${aggregation.aggregatedRoles} aggregated ClusterRoles) in ${(aggregation.ms / 1000).toFixed(1)} s`
        : `WARNING: aggregation not settled after ${(aggregation.ms / 1000).toFixed(1)} s: ${aggregation.pending.join(', ')}`,
    );
    const tList = Date.now();
    const live = await listLiveRbac(clients);
    const listMs = Date.now() - tList;
    const index = buildIndex(live.snapshot);
    log(
      `server holds ${live.counts.clusterRoles} ClusterRoles, ${live.counts.roles} Roles, ${live.counts.clusterRoleBindings} ClusterRoleBindings, ${live.counts.roleBindings} RoleBindings (${live.issues.length} load issues)`,
    );
    const tSample = Date.now();
    const { tuples, sources } = sampleAgreementTuples(gen, index, options.tuples, options.seed, options.corpusShare);
    const sampleMs = Date.now() - tSample;
    log(
      `sampled ${tuples.length} tuples (${sources.filter((s) => s === 'generated').length} generated, ${sources.filter((s) => s === 'corpus').length} corpus) in ${(sampleMs / 1000).toFixed(1)} s`,
    );
    const compared = await compareTuples(index, tuples, sources, sar, options.onProgress);
    const { result: recheck } = await recheckMismatches(clients, sar, live.fingerprint, compared.mismatches);
    if (compared.mismatches.length)
      log(
        `re-checked ${compared.mismatches.length} disagreements: ${recheck.resolved} resolved (RBAC objects changed meanwhile: ${recheck.snapshotChanged})`,
      );
    const queries = pickWhoCanQueries(tuples, compared.decisions, options.whoCanQueries ?? 20, options.seed);
    const whoCanReport = await checkWhoCan(index, sar, queries, {
      seed: options.seed,
      ignoreUser: foreignGenerated(prefix),
      unlistedPerQuery: options.unlistedPerQuery ?? 10,
      concurrency,
    });
    log(
      `whoCan: ${whoCanReport.queries} queries, listed ${whoCanReport.listedAgreed}/${whoCanReport.listedChecked} allowed, not listed ${whoCanReport.unlistedAgreed}/${whoCanReport.unlistedChecked} denied`,
    );
    if (!options.keep) {
      cleanup = await cleanupGenerated(clients, prefix, { concurrency });
      log(
        `cleaned up ${cleanup.clusterRoles + cleanup.clusterRoleBindings} cluster-scoped objects and ${cleanup.namespaces} namespaces`,
      );
    }
    const bySource: AgreementReport['bySource'] = {
      generated: { tuples: 0, agreed: 0, allowed: 0 },
      corpus: { tuples: 0, agreed: 0, allowed: 0 },
    };
    const stillWrong = new Set(recheck.mismatches.map((m) => m.index));
    sources.forEach((s, i) => {
      bySource[s].tuples += 1;
      if (!stillWrong.has(i)) bySource[s].agreed += 1;
      if ((compared.decisions[i] as Decision).allowed) bySource[s].allowed += 1;
    });
    return {
      prefix,
      seed: options.seed,
      generated: {
        objects: objects.length,
        namespaces: gen.namespaces.length,
        serviceAccounts: gen.serviceAccounts.length,
        roles: gen.roles.length,
        clusterRoles: gen.clusterRoles.length,
        roleBindings: gen.roleBindings.length,
        clusterRoleBindings: gen.clusterRoleBindings.length,
      },
      live: { ...live.counts, loadIssues: live.issues.length },
      aggregation,
      tuples: tuples.length,
      agreed: tuples.length - recheck.mismatches.length,
      bySource,
      reasons: { bothAllowed: compared.bothAllowed, agreed: compared.reasonsAgreed, mismatches: compared.reasonMismatches },
      firstPassMismatches: compared.mismatches.length,
      coverage: coverageOf(index, tuples, compared.decisions),
      mismatches: recheck.mismatches,
      recheck,
      whoCan: whoCanReport,
      cleanup,
      timings: {
        applyMs: applied.ms,
        settleMs: aggregation.ms,
        listMs,
        sampleMs,
        sarMs: compared.ms,
        whoCanMs: whoCanReport.ms,
        cleanupMs: cleanup?.ms ?? 0,
        totalMs: Date.now() - t0,
      },
    };
  } catch (err) {
    if (!options.keep) await cleanupGenerated(clients, prefix, { concurrency }).catch(() => {});
    throw err;
  } finally {
    await sar.close();
    await clients.close();
  }
}
