/**
 * Seeded generator of random — but valid for the Kubernetes API — RBAC objects, and a sampler of
 * access tuples (identity + request) biased so that roughly half are allowed.
 *
 * Used by the benchmark (scale) and by the agreement test that loads the objects into a real API
 * server and compares `can()` with SubjectAccessReview. Validity follows
 * pkg/apis/rbac/validation: non-empty verbs; resource rules have apiGroups and resources;
 * resourceNames only with a single resource; nonResourceURLs only in ClusterRoles and never mixed
 * with resource fields; roleRef.apiGroup rbac.authorization.k8s.io; User/Group subjects carry that
 * apiGroup, ServiceAccount subjects none (and a namespace in ClusterRoleBindings); names are valid
 * path segments (and DNS names for ServiceAccounts and namespaces).
 *
 * Safety for a shared test cluster: every object name starts with `prefix`; nothing is bound to
 * system:masters or node identities (other authorizers answer for those); the cluster-wide groups
 * `system:authenticated` and `system:serviceaccounts` are only used in RoleBindings inside the
 * generated namespaces.
 */
import { roleKey } from '@/lib/keys';
import type {
  ClusterRole,
  ClusterRoleBinding,
  NonResourceAttributes,
  PolicyRule,
  RbacSnapshot,
  RequestAttributes,
  ResourceAttributes,
  Role,
  RoleBinding,
  ServiceAccountInfo,
  Subject,
  UserInfo,
} from '@/lib/rbac/types';
import { isNonResource } from '@/lib/rbac/types';
import {
  AUTHENTICATED_GROUP,
  ALL_SERVICE_ACCOUNTS_GROUP,
  SA_NAMESPACE_GROUP_PREFIX,
  serviceAccountUser,
  serviceAccountUsername,
} from '@/lib/rbac/subjects';
import type { RbacIndex } from '@/lib/rbac/rbac-index';
import { can } from '@/lib/rbac/evaluator';
import { createRng, type Rng } from '@/lib/rng';

// ---- vocabularies -------------------------------------------------------------------------------

export const VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'impersonate',
  'bind',
  'escalate',
  'approve',
  'sign',
  'use',
];
export const NON_RESOURCE_VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
export const API_GROUPS = [
  '',
  'apps',
  'batch',
  'rbac.authorization.k8s.io',
  'certificates.k8s.io',
  'admissionregistration.k8s.io',
  'networking.k8s.io',
  'policy',
  'authentication.k8s.io',
  'example.nhi.test',
];
/** [group, resource, subresources] */
export const RESOURCES: [string, string, string[]][] = [
  ['', 'pods', ['exec', 'log', 'attach', 'portforward', 'ephemeralcontainers', 'status', 'proxy', 'eviction']],
  ['', 'secrets', []],
  ['', 'configmaps', []],
  ['', 'services', ['proxy', 'status']],
  ['', 'serviceaccounts', ['token']],
  ['', 'events', []],
  ['', 'nodes', ['proxy', 'status']],
  ['', 'namespaces', ['status', 'finalize']],
  ['', 'persistentvolumes', ['status']],
  ['', 'users', []],
  ['', 'groups', []],
  ['', 'replicationcontrollers', ['scale', 'status']],
  ['apps', 'deployments', ['scale', 'status']],
  ['apps', 'daemonsets', ['status']],
  ['apps', 'statefulsets', ['scale', 'status']],
  ['apps', 'replicasets', ['scale', 'status']],
  ['batch', 'jobs', ['status']],
  ['batch', 'cronjobs', ['status']],
  ['rbac.authorization.k8s.io', 'roles', []],
  ['rbac.authorization.k8s.io', 'rolebindings', []],
  ['rbac.authorization.k8s.io', 'clusterroles', []],
  ['rbac.authorization.k8s.io', 'clusterrolebindings', []],
  ['certificates.k8s.io', 'certificatesigningrequests', ['approval', 'status']],
  ['certificates.k8s.io', 'signers', []],
  ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations', []],
  ['admissionregistration.k8s.io', 'validatingwebhookconfigurations', []],
  ['authentication.k8s.io', 'uids', []],
  ['example.nhi.test', 'widgets', ['scale', 'status']],
];
export const NON_RESOURCE_URLS = [
  '/healthz',
  '/healthz/*',
  '/metrics',
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/version',
  '/logs',
  '/logs/*',
  '/readyz',
  '*',
];

// ---- the generated cluster ----------------------------------------------------------------------

export interface GenerateOptions {
  seed: number;
  namespaces?: number;
  serviceAccounts?: number;
  roles?: number;
  bindings?: number;
  /** Share of roles that are ClusterRoles. Default 0.3. */
  clusterRoleShare?: number;
  /** Share of bindings that are ClusterRoleBindings. Default 0.15. */
  clusterRoleBindingShare?: number;
  /** Share of ClusterRoles with an aggregationRule. Default 0.02. */
  aggregatedShare?: number;
  users?: number;
  groups?: number;
  /**
   * Share of binding subjects that are the cluster-wide groups system:authenticated or
   * system:serviceaccounts (RoleBindings only). Default: about 40 such subjects, at most 5%.
   */
  globalGroupShare?: number;
  /** Share of subjects that are a namespace's ServiceAccount group. Default: about 1,000, at most 6%. */
  namespaceGroupShare?: number;
  /** Share of bindings whose role does not exist. Default 0.03. */
  danglingShare?: number;
  /** Prefix of every generated name. Default "nhi-gen". */
  prefix?: string;
}

export interface GeneratedCluster {
  prefix: string;
  namespaces: string[];
  serviceAccounts: ServiceAccountInfo[];
  users: string[];
  groups: string[];
  roles: Role[];
  clusterRoles: ClusterRole[];
  roleBindings: RoleBinding[];
  clusterRoleBindings: ClusterRoleBinding[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function generateCluster(options: GenerateOptions): GeneratedCluster {
  const rng = createRng(options.seed);
  const prefix = options.prefix ?? 'nhi-gen';
  const nNs = options.namespaces ?? 8;
  const nSa = options.serviceAccounts ?? 40;
  const nRoles = options.roles ?? 30;
  const nBindings = options.bindings ?? 60;
  const crShare = options.clusterRoleShare ?? 0.3;
  const crbShare = options.clusterRoleBindingShare ?? 0.15;
  const aggShare = options.aggregatedShare ?? 0.02;
  const danglingShare = options.danglingShare ?? 0.03;
  const globalShare = options.globalGroupShare ?? Math.min(0.05, 40 / Math.max(1, nBindings * 2));
  const nsGroupShare = options.namespaceGroupShare ?? Math.min(0.06, 1000 / Math.max(1, nBindings * 2));

  const namespaces = Array.from({ length: nNs }, (_, i) => `${prefix}-ns-${i}`);
  const serviceAccounts: ServiceAccountInfo[] = Array.from({ length: nSa }, (_, i) => ({
    namespace: namespaces[i % nNs] as string,
    name: i < nNs ? 'default' : `${prefix}-sa-${i}`,
  }));
  const users = Array.from({ length: options.users ?? 6 }, (_, i) => `${prefix}-user-${i}@example.test`);
  const groups = Array.from({ length: options.groups ?? 4 }, (_, i) => `${prefix}:group-${i}`);
  const aggLabels = Array.from({ length: 3 }, (_, i) => `${prefix}.example.test/aggregate-to-${i}`);

  const nCluster = Math.max(1, Math.round(nRoles * crShare));
  const clusterRoles: ClusterRole[] = [];
  for (let i = 0; i < nCluster; i++) {
    const name = i % 7 === 3 ? `${prefix}:cr:${i}` : `${prefix}-cr-${i}`;
    const labels: Record<string, string> = {};
    if (rng.chance(0.2)) labels[rng.pick(aggLabels)] = 'true';
    if (rng.chance(0.1)) labels[`${prefix}.example.test/tier`] = rng.pick(['a', 'b']);
    if (rng.chance(aggShare) || (i === 1 && aggShare > 0)) {
      const selectors = [
        rng.chance(0.5)
          ? { matchLabels: { [rng.pick(aggLabels)]: 'true' } }
          : { matchExpressions: [{ key: rng.pick(aggLabels), operator: 'In', values: ['true'] }] },
      ];
      clusterRoles.push({
        kind: 'ClusterRole',
        metadata: { name, labels },
        rules: [],
        aggregationRule: { clusterRoleSelectors: selectors },
      });
    } else {
      clusterRoles.push({ kind: 'ClusterRole', metadata: { name, labels }, rules: randomRules(rng, true) });
    }
  }
  const roles: Role[] = [];
  for (let i = 0; i < nRoles - nCluster; i++) {
    roles.push({
      kind: 'Role',
      metadata: { name: `${prefix}-role-${i}`, namespace: rng.pick(namespaces) },
      rules: randomRules(rng, false),
    });
  }
  const rolesByNs = new Map<string, Role[]>();
  for (const r of roles) rolesByNs.set(r.metadata.namespace, [...(rolesByNs.get(r.metadata.namespace) ?? []), r]);

  const subject = (bindingNs: string | undefined): Subject => {
    // Cluster-wide implicit groups: RoleBindings in generated namespaces only.
    if (bindingNs !== undefined && rng.chance(globalShare)) {
      return { kind: 'Group', apiGroup: RBAC_GROUP, name: rng.pick([AUTHENTICATED_GROUP, ALL_SERVICE_ACCOUNTS_GROUP]) };
    }
    if (rng.chance(nsGroupShare))
      return { kind: 'Group', apiGroup: RBAC_GROUP, name: `${SA_NAMESPACE_GROUP_PREFIX}${rng.pick(namespaces)}` };
    const roll = rng.next();
    if (roll < 0.64) {
      const sa = rng.pick(serviceAccounts);
      // In a RoleBinding a ServiceAccount subject may omit its namespace when it is the binding's.
      if (bindingNs !== undefined && sa.namespace === bindingNs && rng.chance(0.3))
        return { kind: 'ServiceAccount', name: sa.name };
      return { kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace };
    }
    if (roll < 0.8) return { kind: 'User', apiGroup: RBAC_GROUP, name: rng.pick(users) };
    if (roll < 0.85) {
      // A User subject spelling a ServiceAccount's username designates that ServiceAccount.
      const sa = rng.pick(serviceAccounts);
      return { kind: 'User', apiGroup: RBAC_GROUP, name: serviceAccountUsername(sa.namespace, sa.name) };
    }
    return { kind: 'Group', apiGroup: RBAC_GROUP, name: rng.pick(groups) };
  };
  const subjects = (bindingNs: string | undefined) => Array.from({ length: 1 + rng.int(3) }, () => subject(bindingNs));

  const roleBindings: RoleBinding[] = [];
  const clusterRoleBindings: ClusterRoleBinding[] = [];
  for (let i = 0; i < nBindings; i++) {
    const dangling = rng.chance(danglingShare);
    if (rng.chance(crbShare)) {
      const name = dangling ? `${prefix}-missing-cr-${i}` : rng.pick(clusterRoles).metadata.name;
      clusterRoleBindings.push({
        kind: 'ClusterRoleBinding',
        metadata: { name: `${prefix}-crb-${i}` },
        roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
        subjects: subjects(undefined),
      });
    } else {
      const ns = rng.pick(namespaces);
      const local = rolesByNs.get(ns) ?? [];
      const useRole = local.length > 0 && rng.chance(0.6);
      const roleRef = dangling
        ? { apiGroup: RBAC_GROUP, kind: rng.pick(['Role', 'ClusterRole']), name: `${prefix}-missing-${i}` }
        : useRole
          ? { apiGroup: RBAC_GROUP, kind: 'Role', name: rng.pick(local).metadata.name }
          : { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: rng.pick(clusterRoles).metadata.name };
      roleBindings.push({
        kind: 'RoleBinding',
        metadata: { name: `${prefix}-rb-${i}`, namespace: ns },
        roleRef,
        subjects: subjects(ns),
      });
    }
  }
  return { prefix, namespaces, serviceAccounts, users, groups, roles, clusterRoles, roleBindings, clusterRoleBindings };
}

/** Verbs weighted like real roles: mostly reads, some writes, a few special verbs. */
function randomVerbs(rng: Rng, n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    const roll = rng.next();
    if (roll < 0.55) out.add(rng.pick(['get', 'list', 'watch']));
    else if (roll < 0.88) out.add(rng.pick(['create', 'update', 'patch', 'delete', 'deletecollection']));
    else out.add(rng.pick(['impersonate', 'bind', 'escalate', 'approve', 'sign', 'use']));
  }
  return [...out];
}

function randomRules(rng: Rng, cluster: boolean): PolicyRule[] {
  const n = 1 + rng.int(4);
  const rules: PolicyRule[] = [];
  for (let i = 0; i < n; i++) {
    if (cluster && rng.chance(0.12)) {
      rules.push({
        verbs: rng.chance(0.15) ? ['*'] : rng.sample(NON_RESOURCE_VERBS, 1 + rng.int(2)),
        nonResourceURLs: rng.sample(NON_RESOURCE_URLS, 1 + rng.int(2)),
      });
      continue;
    }
    const verbs = rng.chance(0.05) ? ['*'] : randomVerbs(rng, 1 + rng.int(3));
    const picks = rng.sample(RESOURCES, 1 + rng.int(2));
    const groups = new Set<string>();
    const resources = new Set<string>();
    for (const [g, r, subs] of picks) {
      groups.add(rng.chance(0.08) ? '*' : g);
      const roll = rng.next();
      if (roll < 0.03) resources.add('*');
      else if (roll < 0.1 && subs.length) resources.add(`*/${rng.pick(subs)}`);
      else if (roll < 0.13) resources.add(`${r}/*`);
      else if (roll < 0.35 && subs.length) resources.add(`${r}/${rng.pick(subs)}`);
      else resources.add(r);
      if (rng.chance(0.1)) groups.add(rng.pick(API_GROUPS));
    }
    const rule: PolicyRule = { verbs, apiGroups: [...groups], resources: [...resources] };
    if (resources.size === 1 && rng.chance(0.2))
      rule.resourceNames = rng.sample(
        ['alpha', 'beta', 'gamma', 'kubernetes.io/kube-apiserver-client', 'default'],
        1 + rng.int(2),
      );
    rules.push(rule);
  }
  return rules;
}

export function generatedSnapshot(gen: GeneratedCluster): RbacSnapshot {
  return {
    roles: gen.roles,
    clusterRoles: gen.clusterRoles,
    roleBindings: gen.roleBindings,
    clusterRoleBindings: gen.clusterRoleBindings,
    serviceAccounts: gen.serviceAccounts,
    namespaces: gen.namespaces,
  };
}

/**
 * The generated cluster as API objects, in apply order (Namespaces, ServiceAccounts, roles,
 * bindings). `default` ServiceAccounts are left to the namespace controller.
 */
export function generatedObjects(gen: GeneratedCluster): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const ns of gen.namespaces) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const sa of gen.serviceAccounts) {
    if (sa.name === 'default') continue;
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa.name, namespace: sa.namespace } });
  }
  const rbac = (o: object) => ({ apiVersion: `${RBAC_GROUP}/v1`, ...o });
  for (const cr of gen.clusterRoles) out.push(rbac(cr));
  for (const r of gen.roles) out.push(rbac(r));
  for (const b of gen.clusterRoleBindings) out.push(rbac(b));
  for (const b of gen.roleBindings) out.push(rbac(b));
  return out;
}

// ---- access tuples ------------------------------------------------------------------------------

export interface AccessTuple {
  user: UserInfo;
  attrs: RequestAttributes;
}

function pickFrom(rng: Rng, values: readonly string[] | undefined, fallback: readonly string[]): string {
  const v = values && values.length ? rng.pick(values) : rng.pick(fallback);
  return v === '*' ? rng.pick(fallback) : v;
}

function randomUser(rng: Rng, gen: GeneratedCluster): UserInfo {
  const roll = rng.next();
  if (roll < 0.6) {
    const sa = rng.pick(gen.serviceAccounts);
    return serviceAccountUser(sa.namespace, sa.name);
  }
  if (roll < 0.85)
    return {
      name: rng.pick(gen.users),
      groups: rng.chance(0.5) ? [rng.pick(gen.groups), AUTHENTICATED_GROUP] : [AUTHENTICATED_GROUP],
    };
  return { name: `${gen.prefix}-member-${rng.int(5)}`, groups: [rng.pick(gen.groups), AUTHENTICATED_GROUP] };
}

function userFor(rng: Rng, s: Subject, bindingNs: string, gen: GeneratedCluster): UserInfo {
  if (s.kind === 'ServiceAccount') return serviceAccountUser(s.namespace || bindingNs, s.name);
  if (s.kind === 'User') {
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(s.name);
    if (sa) return serviceAccountUser(sa[1] as string, sa[2] as string);
    return { name: s.name, groups: [AUTHENTICATED_GROUP] };
  }
  // A Group subject: some member of it (ServiceAccount groups get a ServiceAccount).
  if (s.name.startsWith(SA_NAMESPACE_GROUP_PREFIX)) {
    const ns = s.name.slice(SA_NAMESPACE_GROUP_PREFIX.length);
    const sas = gen.serviceAccounts.filter((x) => x.namespace === ns);
    if (sas.length) {
      const sa = rng.pick(sas);
      return serviceAccountUser(sa.namespace, sa.name);
    }
  }
  if (s.name === ALL_SERVICE_ACCOUNTS_GROUP) {
    const sa = rng.pick(gen.serviceAccounts);
    return serviceAccountUser(sa.namespace, sa.name);
  }
  return { name: `${gen.prefix}-member-${rng.int(5)}`, groups: [s.name, AUTHENTICATED_GROUP] };
}

function requestFromRule(rng: Rng, rule: PolicyRule, namespace: string): RequestAttributes {
  if ((rule.nonResourceURLs ?? []).length) {
    let url = rng.pick(rule.nonResourceURLs as string[]);
    if (url === '*') url = rng.pick(['/healthz', '/metrics', '/openapi/v2', '/livez']);
    else if (url.endsWith('*')) url = url.slice(0, -1) + rng.pick(['', 'x', 'ping', 'v1/things']);
    return { verb: pickFrom(rng, rule.verbs, NON_RESOURCE_VERBS), nonResourceURL: url } satisfies NonResourceAttributes;
  }
  const verb = pickFrom(rng, rule.verbs, VERBS);
  const apiGroup = (() => {
    const g = rng.pick(rule.apiGroups ?? ['']);
    return g === '*' ? rng.pick(API_GROUPS) : g;
  })();
  const res = rng.pick(rule.resources ?? ['pods']);
  let resource: string;
  let subresource: string | undefined;
  if (res === '*') {
    const r = rng.pick(RESOURCES);
    resource = r[1];
    if (r[2].length && rng.chance(0.3)) subresource = rng.pick(r[2]);
  } else if (res.startsWith('*/')) {
    resource = rng.pick(RESOURCES)[1];
    subresource = res.slice(2);
  } else if (res.includes('/')) {
    const [r, s] = res.split('/', 2) as [string, string];
    resource = r;
    subresource = s === '*' ? (rng.chance(0.5) ? '*' : rng.pick(['exec', 'status', 'log'])) : s;
  } else {
    resource = res;
  }
  const attrs: ResourceAttributes = { verb, apiGroup, resource };
  if (subresource) attrs.subresource = subresource;
  if (namespace) attrs.namespace = namespace;
  const names = rule.resourceNames ?? [];
  if (names.length) attrs.name = rng.chance(0.85) ? rng.pick(names) : 'zeta';
  else if (rng.chance(0.5)) attrs.name = rng.pick(['alpha', 'beta', 'default', 'kubernetes.io/kube-apiserver-client']);
  return attrs;
}

function mutate(rng: Rng, t: AccessTuple, gen: GeneratedCluster): AccessTuple {
  const attrs = { ...t.attrs } as RequestAttributes;
  const roll = rng.next();
  if (isNonResource(attrs)) {
    if (roll < 0.5) attrs.verb = rng.pick(NON_RESOURCE_VERBS);
    else attrs.nonResourceURL = rng.pick(['/healthz/ready', '/metricsx', '/api/v1', '/other']);
    return { user: t.user, attrs };
  }
  if (roll < 0.3) attrs.namespace = rng.chance(0.2) ? '' : rng.pick(gen.namespaces);
  else if (roll < 0.5) attrs.verb = rng.pick(VERBS);
  else if (roll < 0.65) attrs.subresource = rng.chance(0.5) ? undefined : rng.pick(['exec', 'status', 'token', 'proxy']);
  else if (roll < 0.8) attrs.name = rng.pick(['alpha', 'zeta', '']);
  else return { user: randomUser(rng, gen), attrs };
  if (attrs.subresource === undefined) delete attrs.subresource;
  if (attrs.namespace === '') delete attrs.namespace;
  if (attrs.name === '') delete attrs.name;
  return { user: t.user, attrs };
}

function randomRequest(rng: Rng, gen: GeneratedCluster): RequestAttributes {
  if (rng.chance(0.08))
    return {
      verb: rng.pick(NON_RESOURCE_VERBS),
      nonResourceURL: rng.pick(['/healthz', '/metrics', '/api/v1', '/apis/apps', '/version', '/logs/x']),
    };
  const [g, r, subs] = rng.pick(RESOURCES);
  const attrs: ResourceAttributes = { verb: rng.pick(VERBS), apiGroup: rng.chance(0.9) ? g : rng.pick(API_GROUPS), resource: r };
  if (subs.length && rng.chance(0.3)) attrs.subresource = rng.pick(subs);
  if (rng.chance(0.85)) attrs.namespace = rng.pick(gen.namespaces);
  if (rng.chance(0.4)) attrs.name = rng.pick(['alpha', 'beta', 'gamma', 'default']);
  return attrs;
}

/**
 * `count` tuples, drawn from two sources: a random binding's rule turned into a request it allows
 * (a quarter of them then mutated into near misses), and random requests (mostly denied). With the
 * index built from the same snapshot (or the live cluster's), tuples are classified with `can()` and
 * balanced to half allowed, half denied, then shuffled; aggregated ClusterRoles are sampled through
 * their effective rules. Without an index the mix is fixed (about half allowed on small clusters).
 */
export function sampleTuples(gen: GeneratedCluster, count: number, seed: number, index?: RbacIndex): AccessTuple[] {
  const rng = createRng(seed);
  const rulesOf = (kind: string, ns: string, name: string): PolicyRule[] => {
    if (index) {
      return index.roles.get(roleKey({ kind, namespace: kind === 'Role' ? ns : '', name }))?.rules ?? [];
    }
    if (kind === 'Role') return gen.roles.find((r) => r.metadata.namespace === ns && r.metadata.name === name)?.rules ?? [];
    return gen.clusterRoles.find((r) => r.metadata.name === name)?.rules ?? [];
  };
  const bindings: { ns: string; b: RoleBinding | ClusterRoleBinding }[] = [
    ...gen.roleBindings.map((b) => ({ ns: b.metadata.namespace, b })),
    ...gen.clusterRoleBindings.map((b) => ({ ns: '', b })),
  ];
  const derived = (): AccessTuple | undefined => {
    const { ns, b } = rng.pick(bindings);
    const rules = rulesOf(b.roleRef.kind, ns, b.roleRef.name);
    if (!rules.length || !b.subjects.length) return undefined;
    const s = rng.pick(b.subjects);
    if (s.kind === 'ServiceAccount' && !s.namespace && !ns) return undefined;
    const user = userFor(rng, s, ns, gen);
    const rule = rng.pick(rules);
    const namespace = ns || (rng.chance(0.3) ? '' : rng.pick(gen.namespaces));
    const t: AccessTuple = { user, attrs: requestFromRule(rng, rule, namespace) };
    return rng.chance(0.25) ? mutate(rng, t, gen) : t;
  };
  const next = (): AccessTuple | undefined =>
    bindings.length && rng.chance(0.55) ? derived() : { user: randomUser(rng, gen), attrs: randomRequest(rng, gen) };

  if (!index) {
    const out: AccessTuple[] = [];
    for (let guard = 0; out.length < count && guard < count * 20; guard++) {
      const t = next();
      if (t) out.push(t);
    }
    return out;
  }
  return balancedTuples(
    count,
    rng,
    40,
    (onlyAllowedWanted) => (onlyAllowedWanted && bindings.length ? derived() : next()),
    (t) => can(index, t.user, t.attrs).allowed,
  );
}

/**
 * Draws tuples until half are allowed and half denied (as `isAllowed` judges; at most `count × guardFactor`
 * draws), then shuffles them. `draw(true)` is asked for when only allowed tuples are still wanted.
 */
export function balancedTuples(
  count: number,
  rng: Rng,
  guardFactor: number,
  draw: (onlyAllowedWanted: boolean) => AccessTuple | undefined,
  isAllowed: (t: AccessTuple) => boolean,
): AccessTuple[] {
  const wantAllowed = Math.ceil(count / 2);
  const wantDenied = count - wantAllowed;
  const allowed: AccessTuple[] = [];
  const denied: AccessTuple[] = [];
  for (let guard = 0; (allowed.length < wantAllowed || denied.length < wantDenied) && guard < count * guardFactor; guard++) {
    const t = draw(allowed.length < wantAllowed && denied.length >= wantDenied);
    if (!t) continue;
    if (isAllowed(t)) {
      if (allowed.length < wantAllowed) allowed.push(t);
    } else if (denied.length < wantDenied) denied.push(t);
  }
  const out = [...allowed, ...denied];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as AccessTuple, out[i] as AccessTuple];
  }
  return out;
}

/** The SubjectAccessReview to send for a tuple (authorization.k8s.io/v1). */
export function toSubjectAccessReview(t: AccessTuple): Record<string, unknown> {
  const spec: Record<string, unknown> = { user: t.user.name, groups: t.user.groups };
  if (isNonResource(t.attrs)) spec.nonResourceAttributes = { path: t.attrs.nonResourceURL, verb: t.attrs.verb };
  else {
    const a = t.attrs;
    spec.resourceAttributes = {
      verb: a.verb,
      group: a.apiGroup,
      resource: a.resource,
      ...(a.subresource ? { subresource: a.subresource } : {}),
      ...(a.namespace ? { namespace: a.namespace } : {}),
      ...(a.name ? { name: a.name } : {}),
    };
  }
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
}
