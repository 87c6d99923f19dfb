/**
 * Escalation paths: a graph from identities (and pods, nodes) to the identities and powers they can
 * reach, and the shortest path from any of them to cluster-admin-equivalent power, step by step.
 *
 * Nodes
 *   sa:<ns>/<name> · user:<name> · group:<name>         identities (actors)
 *   role:<scope>|<roleKey>                              a role the actor can bind to itself, held in
 *                                                        <scope>: "*" (ClusterRoleBinding), "*ns" (a
 *                                                        RoleBinding in every namespace) or a namespace
 *   ns-admin:<ns> · ns-admin:*                           every permission in a namespace (all of them)
 *   cluster-admin                                        the goal; no outgoing edges
 *   any-sa:<ns> · any-sa:*                               helper: "any ServiceAccount of <ns>" (0-cost hops)
 *   pod-sa:<ns> · token-sa:<ns> · any-user · any-group   helpers: ServiceAccounts of running pods /
 *                                                        of legacy token Secrets, known users, groups
 *   pod:<ns>/<name> · node:<name>                        where a token lives (sources only)
 *
 * Edges (each carries the grants — binding, role, rule — that make it possible):
 *   RUN_AS            create pods or pod controllers in ns → any ServiceAccount of ns
 *   POD_EXEC / POD_ATTACH / POD_PATCH / POD_EPHEMERAL   on a running pod → the pod's ServiceAccount
 *   TOKEN_LIST / TOKEN_GET   list/watch or get a legacy token Secret → its ServiceAccount
 *   TOKEN_REQUEST     create serviceaccounts/token → that ServiceAccount
 *   TOKEN_SECRET_CREATE   create a token Secret and read it back → any ServiceAccount of ns
 *   IMPERSONATE_SA / IMPERSONATE_USER / IMPERSONATE_GROUP   (group system:masters → cluster-admin)
 *   ROLE_BIND         create a binding to a role it may bind → that role (super-role → admin)
 *   ROLE_ESCALATE     escalate+update a role it is bound to, or create+escalate+bind a new one → admin
 *   NODE_PROXY        nodes/proxy → kubelet exec in every pod → cluster-admin
 *   CSR_MINT          create + approve a kube-apiserver-client CSR → system:masters certificate
 *   WILDCARD          already holds every permission (cluster → cluster-admin, namespace → ns-admin)
 *   IDENTITY_ASSUME   pod → its ServiceAccount (token mounted); node → its kubelet user
 *   MEMBER            helper fan-out (any-sa:ns → each ServiceAccount, ns-admin:* → each namespace)
 *
 * Assumptions (options): every namespace has a `default` ServiceAccount; the bootstrap ClusterRole
 * `cluster-admin` exists even when the snapshot omits it; legacy token Secrets exist only when
 * listed (set `assumeLegacyTokens` for clusters older than 1.24 or tools that assume them).
 * Limitations: edges are derived from one actor's rules at a time (an identity that gains a role
 * is not re-evaluated with the union of both rule sets); pod-spec escapes (privileged pods,
 * hostPath) and admission webhooks are not edges.
 */
import { ANY_GROUP, ANY_RESOURCE, ANY_VERB, POD_CONTROLLERS } from './capabilities';
import { bindingsFor, reasonFor } from './evaluator';
import { ruleAllows } from './match';
import type { IndexedBinding, IndexedRole, RbacIndex } from './rbac-index';
import { listIdentities, type IdentityRef } from './reach';
import {
  MASTERS_GROUP,
  NODE_USER_PREFIX,
  nodeUser,
  serviceAccountUsername,
  splitServiceAccountUsername,
  toUserInfo,
} from './subjects';
import type { GrantReason, PodInfo, PolicyRule, ResourceAttributes, SecretInfo, UserInfo } from './types';

export type EdgeKind =
  | 'RUN_AS'
  | 'POD_EXEC'
  | 'POD_ATTACH'
  | 'POD_PATCH'
  | 'POD_EPHEMERAL'
  | 'TOKEN_LIST'
  | 'TOKEN_GET'
  | 'TOKEN_REQUEST'
  | 'TOKEN_SECRET_CREATE'
  | 'IMPERSONATE_SA'
  | 'IMPERSONATE_USER'
  | 'IMPERSONATE_GROUP'
  | 'ROLE_BIND'
  | 'ROLE_ESCALATE'
  | 'NODE_PROXY'
  | 'CSR_MINT'
  | 'WILDCARD'
  | 'IDENTITY_ASSUME'
  | 'MEMBER';

export type NodeKind =
  | 'ServiceAccount'
  | 'User'
  | 'Group'
  | 'RoleGrant'
  | 'NamespaceAdmin'
  | 'ClusterAdmin'
  | 'AnyServiceAccount'
  | 'PodServiceAccounts'
  | 'TokenServiceAccounts'
  | 'AnyUser'
  | 'AnyGroup'
  | 'Pod'
  | 'Node';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  identity?: IdentityRef;
}

export interface EdgeDetail {
  namespace?: string;
  pods?: string[];
  secrets?: string[];
  role?: { kind: string; namespace?: string; name: string };
  /** "*", "*ns" or a namespace, for role grants. */
  scope?: string;
}

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** 0 for equivalences and helper fan-outs, 1 for an action an attacker takes. */
  weight: 0 | 1;
  grants: GrantReason[];
  detail: EdgeDetail;
}

export interface EscalationGraph {
  nodes: Map<string, GraphNode>;
  edges: Edge[];
  out: Map<string, Edge[]>;
}

export interface EscalationOptions {
  /** Treat every ServiceAccount as having a legacy token Secret of unknown name. Default false. */
  assumeLegacyTokens?: boolean;
  /** Every known namespace has a `default` ServiceAccount. Default true. */
  assumeDefaultServiceAccounts?: boolean;
  /** ClusterRole `cluster-admin` exists even if the snapshot lacks it. Default true. */
  assumeBootstrapRoles?: boolean;
}

export const CLUSTER_ADMIN = 'cluster-admin';
const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const RBAC = 'rbac.authorization.k8s.io';

export const nodeIds = {
  sa: (ns: string, name: string) => `sa:${ns}/${name}`,
  user: (name: string) => `user:${name}`,
  group: (name: string) => `group:${name}`,
  role: (scope: string, key: string) => `role:${scope}|${key}`,
  nsAdmin: (ns: string) => `ns-admin:${ns}`,
  anySa: (ns: string) => `any-sa:${ns}`,
  pod: (ns: string, name: string) => `pod:${ns}/${name}`,
  node: (name: string) => `node:${name}`,
  clusterAdmin: CLUSTER_ADMIN,
};

export function identityNodeId(id: IdentityRef): string {
  if (id.kind === 'ServiceAccount') return nodeIds.sa(id.namespace, id.name);
  return id.kind === 'User' ? nodeIds.user(id.name) : nodeIds.group(id.name);
}

// ---- actors: something holding rules per scope ---------------------------------------------------

/** A source of rules for an actor: a role reached through a binding, or a role it could bind. */
interface Src {
  id: number;
  role: IndexedRole;
  binding?: IndexedBinding;
  subjectIndex: number;
  /** Reason template for roles not yet bound (role grants, namespace admin). */
  virtual?: GrantReason;
  /** The reasons made so far, per rule index: edges share them instead of holding copies. */
  reasons?: Map<number, GrantReason>;
}

/** One rule of one source allowing a request. Turned into a GrantReason only when an edge is kept. */
interface GrantRef {
  src: Src;
  rule: number;
}

interface Actor {
  id: string;
  /** Sources applying cluster-wide, to cluster-scoped resources and in every namespace. */
  cluster: Src[];
  /** Sources applying in every namespace but not to cluster-scoped resources (RoleBindings everywhere). */
  everyNamespace: Src[];
  byNamespace: Map<string, Src[]>;
  /** Roles the actor is bound to, with the scope of the binding ("*", "*ns" or a namespace). */
  boundRoles: { role: IndexedRole; scope: string }[];
}

type Scope = '*' | string;

interface NameGrants {
  /** Rules allowing it whatever the name. */
  any: GrantRef[];
  /** Rules allowing only listed names. */
  byName: Map<string, GrantRef[]>;
}

const NO_REFS: GrantRef[] = [];
const NO_NAMES: Map<string, GrantRef[]> = new Map();

/** Empty results share frozen-by-convention empties; they are replaced on first write. */
function emptyGrants(): NameGrants {
  return { any: NO_REFS, byName: NO_NAMES };
}

function allows(g: NameGrants, name: string): GrantRef[] | undefined {
  if (g.any.length) return g.any;
  return g.byName.get(name);
}

function granted(g: NameGrants): boolean {
  return g.any.length > 0 || g.byName.size > 0;
}

// The requests edges are derived from, registered once; each role is matched against all of them
// once (cached), so an actor's query only looks up its roles' hits.
const QUERIES: ResourceAttributes[] = [];
const QUERY_INDEX = new Map<string, Map<string, Map<string, Map<string, number>>>>();
function queryId(verb: string, group: string, resource: string, subresource = ''): number {
  let byGroup = QUERY_INDEX.get(verb);
  if (!byGroup) QUERY_INDEX.set(verb, (byGroup = new Map()));
  let byResource = byGroup.get(group);
  if (!byResource) byGroup.set(group, (byResource = new Map()));
  let bySub = byResource.get(resource);
  if (!bySub) byResource.set(resource, (bySub = new Map()));
  let i = bySub.get(subresource);
  if (i === undefined) {
    i = QUERIES.length;
    bySub.set(subresource, i);
    QUERIES.push({ verb, apiGroup: group, resource, ...(subresource ? { subresource } : {}) });
  }
  return i;
}

interface RuleHit {
  rule: number;
  names?: string[];
}
const roleQueryHits = new WeakMap<IndexedRole, (RuleHit[] | undefined)[]>();

function hitsFor(role: IndexedRole, q: number): RuleHit[] | undefined {
  let table = roleQueryHits.get(role);
  if (!table) {
    table = [];
    roleQueryHits.set(role, table);
  }
  if (q in table) return table[q];
  const attrs = QUERIES[q] as ResourceAttributes;
  let hits: RuleHit[] | undefined;
  for (let i = 0; i < role.rules.length; i++) {
    const rule = role.rules[i] as PolicyRule;
    const names = rule.resourceNames ?? [];
    if (names.length === 0) {
      if (ruleAllows(rule, attrs)) (hits ??= []).push({ rule: i });
    } else if (ruleAllows(rule, { ...attrs, name: names[0] as string })) (hits ??= []).push({ rule: i, names });
  }
  table[q] = hits;
  return hits;
}

/**
 * Which names the actor may use a request on in a scope. `clusterScoped` requests only see
 * ClusterRoleBinding-level sources; namespaced ones in scope "*" see sources valid in every namespace.
 */
function query(actor: Actor, q: number, scope: Scope, clusterScoped: boolean): NameGrants {
  const out = emptyGrants();
  visitSources(actor.cluster, q, out);
  if (!clusterScoped) {
    visitSources(actor.everyNamespace, q, out);
    if (scope !== '*') visitSources(actor.byNamespace.get(scope), q, out);
  }
  return out;
}

function visitSources(list: Src[] | undefined, q: number, out: NameGrants): void {
  if (!list) return;
  for (const src of list) {
    const hits = hitsFor(src.role, q);
    if (!hits) continue;
    for (const h of hits) {
      const ref = { src, rule: h.rule };
      if (!h.names) {
        if (out.any === NO_REFS) out.any = [];
        out.any.push(ref);
      } else {
        if (out.byName === NO_NAMES) out.byName = new Map();
        for (const n of h.names) {
          const arr = out.byName.get(n);
          if (arr) arr.push(ref);
          else out.byName.set(n, [ref]);
        }
      }
    }
  }
}

function union(...gs: NameGrants[]): NameGrants {
  const nonEmpty = gs.filter(granted);
  if (nonEmpty.length === 0) return emptyGrants();
  if (nonEmpty.length === 1) return nonEmpty[0] as NameGrants;
  const any: GrantRef[] = [];
  const byName = new Map<string, GrantRef[]>();
  for (const g of nonEmpty) {
    any.push(...g.any);
    for (const [n, r] of g.byName) byName.set(n, [...(byName.get(n) ?? []), ...r]);
  }
  return { any, byName: byName.size ? byName : NO_NAMES };
}

const SUPER_RULE: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
const SUPER_ROLE: IndexedRole = {
  key: 'ClusterRole/(every permission)',
  kind: 'ClusterRole',
  name: '(every permission)',
  rules: [SUPER_RULE],
  source: { kind: 'ClusterRole', metadata: { name: '(every permission)' }, rules: [SUPER_RULE] },
  id: -1,
};
const PROBE: ResourceAttributes = { verb: ANY_VERB, apiGroup: ANY_GROUP, resource: ANY_RESOURCE };

function isSuperRole(role: IndexedRole): boolean {
  return role.rules.some((r) => ruleAllows(r, PROBE));
}

// ---- graph construction -------------------------------------------------------------------------

export function buildEscalationGraph(index: RbacIndex, options: EscalationOptions = {}): EscalationGraph {
  const assumeLegacyTokens = options.assumeLegacyTokens ?? false;
  const assumeDefaultSAs = options.assumeDefaultServiceAccounts ?? true;
  const assumeBootstrap = options.assumeBootstrapRoles ?? true;
  const snapshot = index.snapshot;

  const nodes = new Map<string, GraphNode>();
  const edges: Edge[] = [];
  const out = new Map<string, Edge[]>();
  const addNode = (n: GraphNode) => {
    if (!nodes.has(n.id)) nodes.set(n.id, n);
    return n.id;
  };
  const edgeKeys = new Set<string>();
  /** Adds an edge once per (from, to, kind, namespace, scope); grants given as refs are resolved only then. */
  const addEdge = (input: Omit<Edge, 'grants'> & { grants?: GrantReason[]; refs?: GrantRef[] }) => {
    if (input.from === input.to) return;
    const key = `${input.from}\u0000${input.to}\u0000${input.kind}\u0000${input.detail.namespace ?? ''}\u0000${input.detail.scope ?? ''}`;
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    const { refs, grants, ...rest } = input;
    const e: Edge = { ...rest, grants: grants ?? (refs ? dedupe(refs) : []) };
    edges.push(e);
    const list = out.get(e.from);
    if (list) list.push(e);
    else out.set(e.from, [e]);
  };

  // --- targets by namespace
  const sasByNs = new Map<string, Set<string>>();
  const addSa = (ns: string, name: string) => {
    let s = sasByNs.get(ns);
    if (!s) sasByNs.set(ns, (s = new Set()));
    s.add(name);
  };
  const identities = listIdentities(index);
  for (const id of identities) if (id.kind === 'ServiceAccount') addSa(id.namespace, id.name);
  if (assumeDefaultSAs) for (const ns of index.namespaces) addSa(ns, 'default');
  const saAutomount = new Map<string, boolean | undefined>();
  for (const sa of snapshot.serviceAccounts ?? []) saAutomount.set(`${sa.namespace}/${sa.name}`, sa.automountServiceAccountToken);

  const podsByNs = new Map<string, PodInfo[]>();
  for (const p of snapshot.pods ?? []) {
    const list = podsByNs.get(p.namespace);
    if (list) list.push(p);
    else podsByNs.set(p.namespace, [p]);
  }
  const tokenSecretsByNs = new Map<string, SecretInfo[]>();
  for (const s of snapshot.secrets ?? []) {
    if (s.type !== SA_TOKEN_TYPE || !s.serviceAccountName) continue;
    const list = tokenSecretsByNs.get(s.namespace);
    if (list) list.push(s);
    else tokenSecretsByNs.set(s.namespace, [s]);
  }
  const allNamespaces = [...new Set([...index.namespaces, ...sasByNs.keys()])].sort();

  const superClusterRoles = index.roleList.filter((r) => r.kind === 'ClusterRole' && isSuperRole(r)).map((r) => r.name);
  if (assumeBootstrap && !superClusterRoles.includes('cluster-admin') && !index.roles.has('ClusterRole/cluster-admin')) {
    superClusterRoles.push('cluster-admin');
  }
  const superRolesByNs = new Map<string, string[]>();
  for (const r of index.roleList) {
    if (r.kind === 'Role' && isSuperRole(r))
      superRolesByNs.set(r.namespace!, [...(superRolesByNs.get(r.namespace!) ?? []), r.name]);
  }
  const knownUsers = new Set<string>();
  for (const id of identities) if (id.kind === 'User') knownUsers.add(id.name);
  for (const n of snapshot.nodes ?? []) knownUsers.add(`${NODE_USER_PREFIX}${n}`);
  const knownGroups = new Set<string>();
  for (const id of identities) if (id.kind === 'Group') knownGroups.add(id.name);

  const tokenMounted = (p: PodInfo) => {
    if (p.automountServiceAccountToken !== undefined) return p.automountServiceAccountToken;
    return saAutomount.get(`${p.namespace}/${p.serviceAccountName ?? 'default'}`) ?? true;
  };

  // --- node helpers
  addNode({ id: CLUSTER_ADMIN, kind: 'ClusterAdmin', label: 'cluster-admin (every permission)' });
  const saNode = (ns: string, name: string) => {
    const id = nodeIds.sa(ns, name);
    if (nodes.has(id)) return id;
    return addNode({
      id,
      kind: 'ServiceAccount',
      label: `ServiceAccount ${ns}/${name}`,
      identity: { kind: 'ServiceAccount', namespace: ns, name },
    });
  };
  const userNode = (name: string) => {
    const sa = splitServiceAccountUsername(name);
    if (sa) return saNode(sa.namespace, sa.name);
    return addNode({ id: nodeIds.user(name), kind: 'User', label: `User ${name}`, identity: { kind: 'User', name } });
  };
  const groupNode = (name: string) =>
    addNode({ id: nodeIds.group(name), kind: 'Group', label: `Group ${name}`, identity: { kind: 'Group', name } });
  const nsAdminNode = (ns: string) =>
    addNode({
      id: nodeIds.nsAdmin(ns),
      kind: 'NamespaceAdmin',
      label: ns === '*' ? 'every permission in every namespace' : `every permission in namespace ${ns}`,
    });
  const anySaNode = (ns: string) =>
    addNode({
      id: nodeIds.anySa(ns),
      kind: 'AnyServiceAccount',
      label: ns === '*' ? 'any ServiceAccount of any namespace' : `any ServiceAccount of namespace ${ns}`,
    });
  const podSaNode = (ns: string) =>
    addNode({
      id: `pod-sa:${ns}`,
      kind: 'PodServiceAccounts',
      label: ns === '*' ? 'the ServiceAccount of any running pod' : `the ServiceAccount of any running pod in namespace ${ns}`,
    });
  const tokenSaNode = (ns: string) =>
    addNode({
      id: `token-sa:${ns}`,
      kind: 'TokenServiceAccounts',
      label:
        ns === '*'
          ? 'any ServiceAccount with a legacy token Secret'
          : `any ServiceAccount with a legacy token Secret in namespace ${ns}`,
    });
  const anyUserNode = () => addNode({ id: 'any-user', kind: 'AnyUser', label: 'any user' });
  const anyGroupNode = () => addNode({ id: 'any-group', kind: 'AnyGroup', label: 'membership of any group' });
  const hasPods = (scope: string) => (scope === '*' ? podsByNs.size > 0 : podsByNs.has(scope));
  const hasTokens = (scope: string) => (scope === '*' ? tokenSecretsByNs.size > 0 : tokenSecretsByNs.has(scope));
  const scopeLabel = (scope: string) =>
    scope === '*' ? 'cluster-wide' : scope === '*ns' ? 'in every namespace' : `in namespace ${scope}`;
  const roleNode = (scope: string, role: IndexedRole) =>
    addNode({
      id: nodeIds.role(scope, role.key),
      kind: 'RoleGrant',
      label: `${role.kind} ${role.namespace ? `${role.namespace}/` : ''}${role.name} ${scopeLabel(scope)}`,
    });

  // --- actors
  const actors = new Map<string, Actor>();
  const processed = new Set<string>();
  const queue: string[] = [];
  const enqueue = (id: string, make: () => Actor) => {
    if (actors.has(id)) return;
    actors.set(id, make());
    queue.push(id);
  };

  let srcCounter = 0;
  const identityActor = (id: string, user: UserInfo): Actor => {
    const actor: Actor = { id, cluster: [], everyNamespace: [], byNamespace: new Map(), boundRoles: [] };
    for (const { binding, subjectIndex } of bindingsFor(index, user)) {
      const role = binding.role;
      if (!role) continue;
      const src: Src = { id: srcCounter++, role, binding, subjectIndex };
      if (binding.kind === 'ClusterRoleBinding') actor.cluster.push(src);
      else {
        const list = actor.byNamespace.get(binding.namespace);
        if (list) list.push(src);
        else actor.byNamespace.set(binding.namespace, [src]);
      }
      actor.boundRoles.push({ role, scope: binding.kind === 'ClusterRoleBinding' ? '*' : binding.namespace });
    }
    return actor;
  };
  const roleActor = (id: string, scope: string, role: IndexedRole, grant: GrantReason[]): Actor => {
    const src: Src = { id: srcCounter++, role, subjectIndex: 0, virtual: grant[0] ?? virtualReason(role) };
    const actor: Actor = { id, cluster: [], everyNamespace: [], byNamespace: new Map(), boundRoles: [{ role, scope }] };
    if (scope === '*') actor.cluster = [src];
    else if (scope === '*ns') actor.everyNamespace = [src];
    else actor.byNamespace.set(scope, [src]);
    return actor;
  };
  const nsAdminActor = (id: string, ns: string): Actor => {
    const src: Src = { id: srcCounter++, role: SUPER_ROLE, subjectIndex: 0, virtual: syntheticReason(ns) };
    return {
      id,
      cluster: [],
      everyNamespace: ns === '*' ? [src] : [],
      byNamespace: ns === '*' ? new Map() : new Map([[ns, [src]]]),
      boundRoles: [],
    };
  };

  const ensureIdentityActor = (nodeId: string) => {
    const n = nodes.get(nodeId);
    if (!n?.identity || actors.has(nodeId)) return;
    const user =
      n.identity.kind === 'User'
        ? toUserInfo({ kind: 'User', name: n.identity.name })
        : n.identity.kind === 'Group'
          ? { name: '', groups: [n.identity.name] }
          : toUserInfo(n.identity);
    enqueue(nodeId, () => identityActor(nodeId, user));
  };
  const ensureRoleActor = (scope: string, role: IndexedRole, grant: GrantReason[]) => {
    const id = roleNode(scope, role);
    enqueue(id, () => roleActor(id, scope, role, grant));
    return id;
  };
  const ensureNsAdmin = (ns: string) => {
    const id = nsAdminNode(ns);
    enqueue(id, () => nsAdminActor(id, ns));
    return id;
  };

  // Seed: node users (first: they carry the system:nodes group), every identity, pods.
  for (const n of snapshot.nodes ?? []) {
    const nid = addNode({ id: nodeIds.node(n), kind: 'Node', label: `Node ${n}` });
    const u = nodeUser(n);
    const uid = addNode({
      id: nodeIds.user(u.name),
      kind: 'User',
      label: `User ${u.name}`,
      identity: { kind: 'User', name: u.name },
    });
    if (!actors.has(uid)) enqueue(uid, () => identityActor(uid, u));
    addEdge({ from: nid, to: uid, kind: 'IDENTITY_ASSUME', weight: 1, grants: [], detail: {} });
  }
  for (const id of identities)
    ensureIdentityActor(
      id.kind === 'ServiceAccount' ? saNode(id.namespace, id.name) : id.kind === 'User' ? userNode(id.name) : groupNode(id.name),
    );
  for (const [ns, names] of sasByNs) for (const n of names) ensureIdentityActor(saNode(ns, n));
  for (const p of snapshot.pods ?? []) {
    if (p.owner) continue;
    const pid = addNode({ id: nodeIds.pod(p.namespace, p.name), kind: 'Pod', label: `Pod ${p.namespace}/${p.name}` });
    if (tokenMounted(p)) {
      const sa = saNode(p.namespace, p.serviceAccountName ?? 'default');
      ensureIdentityActor(sa);
      addEdge({
        from: pid,
        to: sa,
        kind: 'IDENTITY_ASSUME',
        weight: 1,
        grants: [],
        detail: { namespace: p.namespace, pods: [p.name] },
      });
    }
  }
  // any-sa fan-out
  const anySaStar = anySaNode('*');
  for (const ns of allNamespaces) {
    const a = anySaNode(ns);
    addEdge({ from: anySaStar, to: a, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
    for (const name of sasByNs.get(ns) ?? []) {
      const s = saNode(ns, name);
      ensureIdentityActor(s);
      addEdge({ from: a, to: s, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
    }
  }
  // pod-sa and token-sa fan-out: to the ServiceAccounts of running pods / of legacy token Secrets.
  if (podsByNs.size) {
    const star = podSaNode('*');
    for (const [ns, pods] of podsByNs) {
      const bySa = new Map<string, string[]>();
      for (const p of pods) {
        if (!tokenMounted(p)) continue;
        const sa = p.serviceAccountName ?? 'default';
        bySa.set(sa, [...(bySa.get(sa) ?? []), p.owner ? `${p.owner.kind}/${p.owner.name}` : p.name]);
      }
      const h = podSaNode(ns);
      addEdge({ from: star, to: h, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
      for (const [sa, names] of bySa) {
        const to = saNode(ns, sa);
        ensureIdentityActor(to);
        addEdge({ from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns, pods: names.sort() } });
      }
    }
  }
  if (tokenSecretsByNs.size) {
    const star = tokenSaNode('*');
    for (const [ns, secrets] of tokenSecretsByNs) {
      const h = tokenSaNode(ns);
      addEdge({ from: star, to: h, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
      const bySa = new Map<string, string[]>();
      for (const sec of secrets)
        bySa.set(sec.serviceAccountName as string, [...(bySa.get(sec.serviceAccountName as string) ?? []), sec.name]);
      for (const [sa, names] of bySa) {
        const to = saNode(ns, sa);
        ensureIdentityActor(to);
        addEdge({ from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns, secrets: names.sort() } });
      }
    }
  }
  if (knownUsers.size) {
    const h = anyUserNode();
    for (const name of knownUsers) {
      if (splitServiceAccountUsername(name)) continue;
      const to = userNode(name);
      ensureIdentityActor(to);
      addEdge({ from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: {} });
    }
  }
  if (knownGroups.size) {
    const h = anyGroupNode();
    for (const name of knownGroups) {
      const to = groupNode(name);
      ensureIdentityActor(to);
      addEdge({ from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: {} });
    }
  }
  const nsAdminStarId = nsAdminNode('*');
  for (const ns of allNamespaces)
    addEdge({ from: nsAdminStarId, to: ensureNsAdmin(ns), kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
  enqueue(nsAdminStarId, () => nsAdminActor(nsAdminStarId, '*'));

  // --- edges of one actor
  const deriveEdges = (actor: Actor) => {
    const from = actor.id;
    const scopes: string[] = [];
    if (actor.cluster.length || actor.everyNamespace.length) scopes.push('*');
    for (const ns of actor.byNamespace.keys()) scopes.push(ns);
    const nsOf = (scope: string) => (scope === '*' ? allNamespaces : [scope]);
    const q = (verb: string, group: string, resource: string, scope: string, clusterScoped = false, subresource?: string) =>
      query(actor, queryId(verb, group, resource, subresource), scope, clusterScoped);

    for (const scope of scopes) {
      // WILDCARD in a namespace (or all of them)
      const wild = q(ANY_VERB, ANY_GROUP, ANY_RESOURCE, scope);
      if (wild.any.length) {
        addEdge({ from, to: ensureNsAdmin(scope), kind: 'WILDCARD', weight: 0, refs: wild.any, detail: { namespace: scope } });
      }

      // RUN_AS: create pods or pod controllers
      const runAs = union(
        q('create', '', 'pods', scope),
        ...POD_CONTROLLERS.flatMap(([g, r]) => ['create', 'update', 'patch'].map((v) => q(v, g, r, scope))),
      );
      if (runAs.any.length)
        addEdge({ from, to: anySaNode(scope), kind: 'RUN_AS', weight: 1, refs: runAs.any, detail: { namespace: scope } });

      // TOKEN_SECRET_CREATE: create a token Secret, read it back
      const createSecret = q('create', '', 'secrets', scope);
      const readSecret = union(q('get', '', 'secrets', scope), q('list', '', 'secrets', scope), q('watch', '', 'secrets', scope));
      if (createSecret.any.length && granted(readSecret)) {
        addEdge({
          from,
          to: anySaNode(scope),
          kind: 'TOKEN_SECRET_CREATE',
          weight: 1,
          refs: [...createSecret.any, ...(readSecret.any.length ? readSecret.any : [...readSecret.byName.values()].flat())],
          detail: { namespace: scope },
        });
      }

      // Pod-level access. Name-independent grants go through the pod-sa:<scope> helper.
      const podAccess: [EdgeKind, NameGrants][] = [
        ['POD_EXEC', union(q('create', '', 'pods', scope, false, 'exec'), q('get', '', 'pods', scope, false, 'exec'))],
        ['POD_ATTACH', union(q('create', '', 'pods', scope, false, 'attach'), q('get', '', 'pods', scope, false, 'attach'))],
        ['POD_PATCH', union(q('patch', '', 'pods', scope), q('update', '', 'pods', scope))],
        [
          'POD_EPHEMERAL',
          union(
            q('patch', '', 'pods', scope, false, 'ephemeralcontainers'),
            q('update', '', 'pods', scope, false, 'ephemeralcontainers'),
          ),
        ],
      ];
      for (const [kind, g] of podAccess) {
        if (g.any.length) {
          if (hasPods(scope)) addEdge({ from, to: podSaNode(scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
          continue;
        }
        if (!g.byName.size) continue;
        for (const ns of nsOf(scope)) {
          const bySa = new Map<string, { pods: string[]; grants: GrantRef[] }>();
          for (const p of podsByNs.get(ns) ?? []) {
            if (p.owner || !tokenMounted(p)) continue;
            const gr = g.byName.get(p.name);
            if (!gr) continue;
            const sa = p.serviceAccountName ?? 'default';
            const e = bySa.get(sa) ?? bySa.set(sa, { pods: [], grants: [] }).get(sa)!;
            e.pods.push(p.name);
            e.grants.push(...gr);
          }
          for (const [sa, e] of bySa) {
            const to = saNode(ns, sa);
            ensureIdentityActor(to);
            addEdge({ from, to, kind, weight: 1, refs: e.grants, detail: { namespace: ns, pods: e.pods.sort() } });
          }
        }
      }

      // Legacy token Secrets. Listing or reading any Secret goes through the token-sa:<scope> helper.
      const getS = q('get', '', 'secrets', scope);
      const listS = union(q('list', '', 'secrets', scope), q('watch', '', 'secrets', scope));
      const tokenKinds: [EdgeKind, NameGrants][] = [
        ['TOKEN_LIST', listS],
        ['TOKEN_GET', getS],
      ];
      for (const [kind, g] of tokenKinds) {
        if (kind === 'TOKEN_GET' && listS.any.length) break;
        if (g.any.length) {
          if (assumeLegacyTokens)
            addEdge({ from, to: anySaNode(scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
          else if (hasTokens(scope))
            addEdge({ from, to: tokenSaNode(scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
          continue;
        }
        if (!g.byName.size) continue;
        for (const ns of nsOf(scope)) {
          for (const sec of tokenSecretsByNs.get(ns) ?? []) {
            const gr = g.byName.get(sec.name);
            if (!gr) continue;
            const to = saNode(ns, sec.serviceAccountName as string);
            ensureIdentityActor(to);
            addEdge({ from, to, kind, weight: 1, refs: gr, detail: { namespace: ns, secrets: [sec.name] } });
          }
        }
      }

      // serviceaccounts/token and ServiceAccount impersonation
      const perSa: [EdgeKind, NameGrants][] = [
        ['TOKEN_REQUEST', q('create', '', 'serviceaccounts', scope, false, 'token')],
        ['IMPERSONATE_SA', q('impersonate', '', 'serviceaccounts', scope)],
      ];
      for (const [kind, g] of perSa) {
        if (g.any.length) {
          addEdge({ from, to: anySaNode(scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
          continue;
        }
        if (!g.byName.size) continue;
        for (const ns of nsOf(scope)) {
          for (const [sa, gr] of g.byName) {
            if (!sasByNs.get(ns)?.has(sa)) continue;
            const to = saNode(ns, sa);
            ensureIdentityActor(to);
            addEdge({ from, to, kind, weight: 1, refs: gr, detail: { namespace: ns } });
          }
        }
      }

      // RBAC in namespaces: bind roles through RoleBindings
      const createRb = q('create', RBAC, 'rolebindings', scope);
      if (createRb.any.length) {
        const bindCr = q('bind', RBAC, 'clusterroles', scope);
        const bindR = q('bind', RBAC, 'roles', scope);
        const rbScope = scope === '*' ? '*ns' : scope;
        let admin = false;
        for (const name of superClusterRoles) {
          const gr = allows(bindCr, name);
          if (gr) {
            addEdge({
              from,
              to: ensureNsAdmin(scope),
              kind: 'ROLE_BIND',
              weight: 1,
              refs: [...createRb.any, ...gr],
              detail: { role: { kind: 'ClusterRole', name }, scope: rbScope },
            });
            admin = true;
            break;
          }
        }
        if (!admin) {
          for (const ns of nsOf(scope)) {
            for (const name of superRolesByNs.get(ns) ?? []) {
              const gr = allows(bindR, name);
              if (!gr) continue;
              addEdge({
                from,
                to: ensureNsAdmin(ns),
                kind: 'ROLE_BIND',
                weight: 1,
                refs: [...createRb.any, ...gr],
                detail: { role: { kind: 'Role', namespace: ns, name }, scope: ns },
              });
              break;
            }
          }
          // Specific roles (or any role when no super-role can be bound).
          const targets: { role: IndexedRole; scope: string; gr: GrantRef[] }[] = [];
          for (const role of granted(bindCr) || granted(bindR) ? index.roleList : []) {
            if (role.kind === 'ClusterRole') {
              const gr = allows(bindCr, role.name);
              if (gr) targets.push({ role, scope: rbScope, gr });
            } else if (scope === '*' || role.namespace === scope) {
              const gr = allows(bindR, role.name);
              if (gr) targets.push({ role, scope: role.namespace as string, gr });
            }
          }
          for (const t of targets) {
            const to = ensureRoleActor(t.scope, t.role, dedupe([...createRb.any, ...t.gr]));
            addEdge({
              from,
              to,
              kind: 'ROLE_BIND',
              weight: 1,
              refs: [...createRb.any, ...t.gr],
              detail: { role: roleRefOf(t.role), scope: t.scope },
            });
          }
        }
      }

      // Create a new role with anything in it (escalate) and bind it (bind), namespace level
      {
        const createR = q('create', RBAC, 'roles', scope);
        const escR = q('escalate', RBAC, 'roles', scope);
        const bindR = q('bind', RBAC, 'roles', scope);
        if (createR.any.length && createRb.any.length && choosableName(escR, bindR)) {
          addEdge({
            from,
            to: ensureNsAdmin(scope),
            kind: 'ROLE_ESCALATE',
            weight: 1,
            refs: [...createR.any, ...createRb.any, ...firstGrants(escR), ...firstGrants(bindR)],
            detail: { scope },
          });
        }
      }
    }

    // Cluster-scoped powers: only ClusterRoleBinding-level rules count.
    if (actor.cluster.length) {
      const c = (verb: string, group: string, resource: string, subresource?: string) =>
        q(verb, group, resource, '*', true, subresource);
      const wild = c(ANY_VERB, ANY_GROUP, ANY_RESOURCE);
      if (wild.any.length)
        addEdge({ from, to: CLUSTER_ADMIN, kind: 'WILDCARD', weight: 0, refs: wild.any, detail: { scope: '*' } });

      const proxy = union(c('get', '', 'nodes', 'proxy'), c('create', '', 'nodes', 'proxy'));
      if (proxy.any.length) addEdge({ from, to: CLUSTER_ADMIN, kind: 'NODE_PROXY', weight: 1, refs: proxy.any, detail: {} });
      else if (proxy.byName.size) {
        const bySa = new Map<string, { ns: string; sa: string; pods: string[]; grants: GrantRef[] }>();
        for (const p of snapshot.pods ?? []) {
          if (!p.nodeName || p.owner || !tokenMounted(p)) continue;
          const gr = proxy.byName.get(p.nodeName);
          if (!gr) continue;
          const sa = p.serviceAccountName ?? 'default';
          const key = `${p.namespace}/${sa}`;
          const e = bySa.get(key) ?? bySa.set(key, { ns: p.namespace, sa, pods: [], grants: [] }).get(key)!;
          e.pods.push(p.name);
          e.grants.push(...gr);
        }
        for (const e of bySa.values()) {
          const to = saNode(e.ns, e.sa);
          ensureIdentityActor(to);
          addEdge({ from, to, kind: 'NODE_PROXY', weight: 1, refs: e.grants, detail: { namespace: e.ns, pods: e.pods.sort() } });
        }
      }

      const createCsr = c('create', 'certificates.k8s.io', 'certificatesigningrequests');
      const approveCsr = union(
        c('update', 'certificates.k8s.io', 'certificatesigningrequests', 'approval'),
        c('patch', 'certificates.k8s.io', 'certificatesigningrequests', 'approval'),
      );
      const signer = c('approve', 'certificates.k8s.io', 'signers');
      const signerOk = allows(signer, 'kubernetes.io/kube-apiserver-client') ?? allows(signer, 'kubernetes.io/*');
      if (createCsr.any.length && approveCsr.any.length && signerOk) {
        addEdge({
          from,
          to: CLUSTER_ADMIN,
          kind: 'CSR_MINT',
          weight: 1,
          refs: [...createCsr.any, ...approveCsr.any, ...signerOk],
          detail: {},
        });
      }

      // Impersonation of users and groups (a group needs some user to ride on).
      const impUser = c('impersonate', '', 'users');
      const impGroup = c('impersonate', '', 'groups');
      const impSaAny = granted(query(actor, queryId('impersonate', '', 'serviceaccounts'), '*', true));
      const canRideUser = granted(impUser) || impSaAny || hasNamespacedSaImpersonation(actor);
      if (impUser.any.length) {
        if (knownUsers.size)
          addEdge({ from, to: anyUserNode(), kind: 'IMPERSONATE_USER', weight: 1, refs: impUser.any, detail: {} });
      } else {
        for (const [name, gr] of impUser.byName) {
          if (splitServiceAccountUsername(name) || !knownUsers.has(name)) continue;
          const to = userNode(name);
          ensureIdentityActor(to);
          addEdge({ from, to, kind: 'IMPERSONATE_USER', weight: 1, refs: gr, detail: {} });
        }
      }
      if (granted(impGroup) && canRideUser) {
        const masters = allows(impGroup, MASTERS_GROUP);
        if (masters)
          addEdge({
            from,
            to: CLUSTER_ADMIN,
            kind: 'IMPERSONATE_GROUP',
            weight: 1,
            refs: [...masters, ...firstGrants(impUser)],
            detail: { role: { kind: 'Group', name: MASTERS_GROUP } },
          });
        if (impGroup.any.length) {
          if (knownGroups.size)
            addEdge({ from, to: anyGroupNode(), kind: 'IMPERSONATE_GROUP', weight: 1, refs: impGroup.any, detail: {} });
        } else {
          for (const [name, gr] of impGroup.byName) {
            if (!knownGroups.has(name)) continue;
            const to = groupNode(name);
            ensureIdentityActor(to);
            addEdge({ from, to, kind: 'IMPERSONATE_GROUP', weight: 1, refs: gr, detail: {} });
          }
        }
      }

      // ClusterRoleBindings
      const createCrb = c('create', RBAC, 'clusterrolebindings');
      if (createCrb.any.length) {
        const bindCr = c('bind', RBAC, 'clusterroles');
        let admin = false;
        for (const name of superClusterRoles) {
          const gr = allows(bindCr, name);
          if (gr) {
            addEdge({
              from,
              to: CLUSTER_ADMIN,
              kind: 'ROLE_BIND',
              weight: 1,
              refs: [...createCrb.any, ...gr],
              detail: { role: { kind: 'ClusterRole', name }, scope: '*' },
            });
            admin = true;
            break;
          }
        }
        if (!admin) {
          for (const role of granted(bindCr) ? index.roleList : []) {
            if (role.kind !== 'ClusterRole') continue;
            const gr = allows(bindCr, role.name);
            if (!gr) continue;
            const grants = dedupe([...createCrb.any, ...gr]);
            addEdge({
              from,
              to: ensureRoleActor('*', role, grants),
              kind: 'ROLE_BIND',
              weight: 1,
              grants,
              detail: { role: roleRefOf(role), scope: '*' },
            });
          }
        }
        const createCr = c('create', RBAC, 'clusterroles');
        const escCr = c('escalate', RBAC, 'clusterroles');
        if (createCr.any.length && choosableName(escCr, bindCr)) {
          addEdge({
            from,
            to: CLUSTER_ADMIN,
            kind: 'ROLE_ESCALATE',
            weight: 1,
            refs: [...createCr.any, ...createCrb.any, ...firstGrants(escCr), ...firstGrants(bindCr)],
            detail: { scope: '*' },
          });
        }
      }
    }

    // Escalate a role the actor is bound to.
    for (const b of actor.boundRoles) {
      const role = b.role;
      const isCluster = role.kind === 'ClusterRole';
      const scope = isCluster ? '*' : (role.namespace as string);
      const esc = isCluster ? q('escalate', RBAC, 'clusterroles', '*', true) : q('escalate', RBAC, 'roles', scope);
      const upd = isCluster
        ? union(q('update', RBAC, 'clusterroles', '*', true), q('patch', RBAC, 'clusterroles', '*', true))
        : union(q('update', RBAC, 'roles', scope), q('patch', RBAC, 'roles', scope));
      const e = allows(esc, role.name);
      const u = allows(upd, role.name);
      if (!e || !u) continue;
      const to = b.scope === '*' ? CLUSTER_ADMIN : ensureNsAdmin(b.scope === '*ns' ? '*' : b.scope);
      addEdge({
        from,
        to,
        kind: 'ROLE_ESCALATE',
        weight: 1,
        refs: [...e, ...u],
        detail: { role: roleRefOf(role), scope: b.scope },
      });
    }
  };

  while (queue.length) {
    const id = queue.shift() as string;
    if (processed.has(id)) continue;
    processed.add(id);
    const actor = actors.get(id);
    if (actor) deriveEdges(actor);
  }

  return { nodes, edges, out };
}

function hasNamespacedSaImpersonation(actor: Actor): boolean {
  const q = queryId('impersonate', '', 'serviceaccounts');
  if (granted(query(actor, q, '*', false))) return true;
  for (const ns of actor.byNamespace.keys()) if (granted(query(actor, q, ns, false))) return true;
  return false;
}

/** The attacker names the new role: fine if either verb is unrestricted or both allow a common name. */
function choosableName(a: NameGrants, b: NameGrants): boolean {
  if (!granted(a) || !granted(b)) return false;
  if (a.any.length && b.any.length) return true;
  if (a.any.length) return b.byName.size > 0;
  if (b.any.length) return a.byName.size > 0;
  for (const n of a.byName.keys()) if (b.byName.has(n)) return true;
  return false;
}

function firstGrants(g: NameGrants): GrantRef[] {
  if (g.any.length) return g.any;
  const first = g.byName.values().next();
  return first.done ? [] : first.value;
}

function roleRefOf(role: IndexedRole): { kind: string; namespace?: string; name: string } {
  return role.kind === 'Role'
    ? { kind: 'Role', namespace: role.namespace, name: role.name }
    : { kind: 'ClusterRole', name: role.name };
}

function virtualReason(role: IndexedRole): GrantReason {
  return {
    binding: { kind: 'ClusterRoleBinding', name: '(to be created)' },
    role:
      role.kind === 'Role'
        ? { kind: 'Role', namespace: role.namespace, name: role.name }
        : { kind: 'ClusterRole', name: role.name },
    ruleIndex: 0,
    subjectIndex: 0,
  };
}

function syntheticReason(ns: string): GrantReason {
  return {
    binding: { kind: 'RoleBinding', namespace: ns, name: '(any permission)' },
    role: { kind: 'ClusterRole', name: 'cluster-admin' },
    ruleIndex: 0,
    subjectIndex: 0,
  };
}

/** Distinct grants, as reasons. */
function dedupe(refs: GrantRef[]): GrantReason[] {
  const seen = new Set<number>();
  const out: GrantReason[] = [];
  for (const { src, rule } of refs) {
    const k = src.id * 65536 + rule;
    if (seen.has(k)) continue;
    seen.add(k);
    src.reasons ??= new Map();
    let reason = src.reasons.get(rule);
    if (!reason) {
      reason = src.binding
        ? reasonFor(src.binding, src.subjectIndex, rule)
        : { ...(src.virtual as GrantReason), ruleIndex: rule };
      src.reasons.set(rule, reason);
    }
    out.push(reason);
  }
  return out;
}

// ---- shortest paths ----------------------------------------------------------------------------

export interface Distances {
  target: string;
  /** Cost (number of attacker actions) to reach the target, by node. */
  distance: Map<string, number>;
  /** First edge of a shortest path from each node. */
  next: Map<string, Edge>;
}

/** 0-1 BFS on reversed edges: distance of every node to `target` (default cluster-admin). */
export function distancesTo(graph: EscalationGraph, target: string = CLUSTER_ADMIN): Distances {
  const incoming = new Map<string, Edge[]>();
  for (const e of graph.edges) {
    const l = incoming.get(e.to);
    if (l) l.push(e);
    else incoming.set(e.to, [e]);
  }
  const distance = new Map<string, number>([[target, 0]]);
  const next = new Map<string, Edge>();
  const done = new Set<string>();
  // 0-1 BFS by layers: `layer` holds nodes at distance d (0-cost edges append to it), `upcoming` d+1.
  let layer: string[] = [target];
  while (layer.length) {
    const upcoming: string[] = [];
    for (let i = 0; i < layer.length; i++) {
      const node = layer[i] as string;
      if (done.has(node)) continue;
      done.add(node);
      const d = distance.get(node) as number;
      for (const e of incoming.get(node) ?? []) {
        if (done.has(e.from)) continue;
        const nd = d + e.weight;
        const old = distance.get(e.from);
        if (old === undefined || nd < old) {
          distance.set(e.from, nd);
          next.set(e.from, e);
          if (e.weight === 0) layer.push(e.from);
          else upcoming.push(e.from);
        }
      }
    }
    layer = upcoming;
  }
  return { target, distance, next };
}

export interface PathStep {
  kind: EdgeKind;
  from: string;
  to: string;
  fromLabel: string;
  toLabel: string;
  text: string;
  grants: GrantReason[];
  detail: EdgeDetail;
}

/** The shortest path from `from` to the target of `dist`, helper hops folded into their step. */
export function pathTo(graph: EscalationGraph, dist: Distances, from: string): PathStep[] | undefined {
  if (!dist.distance.has(from)) return undefined;
  const raw: Edge[] = [];
  let cur = from;
  const guard = new Set<string>();
  while (cur !== dist.target) {
    if (guard.has(cur)) return undefined;
    guard.add(cur);
    const e = dist.next.get(cur);
    if (!e) return undefined;
    raw.push(e);
    cur = e.to;
  }
  return foldSteps(graph, raw);
}

function foldSteps(graph: EscalationGraph, raw: Edge[]): PathStep[] {
  const steps: PathStep[] = [];
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as Edge;
    if (e.kind === 'MEMBER' && steps.length) {
      // Fold the helper hop into the previous step: it now ends at the concrete node.
      const prev = steps[steps.length - 1] as PathStep;
      prev.to = e.to;
      prev.toLabel = label(graph, e.to);
      if (e.detail.namespace && (prev.detail.namespace === '*' || prev.detail.namespace === undefined))
        prev.detail = { ...prev.detail, namespace: e.detail.namespace };
      if (e.detail.pods) prev.detail = { ...prev.detail, pods: e.detail.pods };
      if (e.detail.secrets) prev.detail = { ...prev.detail, secrets: e.detail.secrets };
      prev.text = describe(prev.kind, prev.fromLabel, prev.toLabel, prev.detail, prev.to);
      continue;
    }
    const step: PathStep = {
      kind: e.kind,
      from: e.from,
      to: e.to,
      fromLabel: actorLabel(graph, e.from),
      toLabel: label(graph, e.to),
      text: '',
      grants: e.grants,
      detail: e.detail,
    };
    step.text = describe(step.kind, step.fromLabel, step.toLabel, step.detail, step.to);
    steps.push(step);
  }
  return steps;
}

function label(graph: EscalationGraph, id: string): string {
  return graph.nodes.get(id)?.label ?? id;
}

/** How the acting node is named at the start of a step: identities by name, powers as "it". */
function actorLabel(graph: EscalationGraph, id: string): string {
  const n = graph.nodes.get(id);
  if (!n) return id;
  if (n.identity || n.kind === 'Pod' || n.kind === 'Node') return n.label;
  return `Holding ${n.label}, it`;
}

function nsText(ns: string | undefined): string {
  return !ns || ns === '*' ? 'any namespace' : `namespace ${ns}`;
}

/** Plain-language text of one step. */
export function describe(kind: EdgeKind, from: string, to: string, d: EdgeDetail, toId: string = to): string {
  const pods = d.pods?.length ? d.pods.join(', ') : 'its pods';
  const role = d.role ? `${d.role.kind} ${d.role.namespace ? `${d.role.namespace}/` : ''}${d.role.name}` : 'a role';
  switch (kind) {
    case 'RUN_AS':
      return `${from} creates a pod (or a workload that creates pods) in ${nsText(d.namespace)} running as ${to}, and uses the token mounted in it.`;
    case 'POD_EXEC':
      return `${from} executes a shell in pod ${pods} (${nsText(d.namespace)}), which runs as ${to}, and reads the mounted token.`;
    case 'POD_ATTACH':
      return `${from} attaches to pod ${pods} (${nsText(d.namespace)}), which runs as ${to}.`;
    case 'POD_PATCH':
      return `${from} patches pod ${pods} (${nsText(d.namespace)}) to run an image of its choice; the pod keeps running as ${to}.`;
    case 'POD_EPHEMERAL':
      return `${from} adds an ephemeral container to pod ${pods} (${nsText(d.namespace)}); it shares the token of ${to}.`;
    case 'TOKEN_LIST':
      return `${from} lists Secrets in ${nsText(d.namespace)}, which include the legacy token${d.secrets ? ` Secret ${d.secrets.join(', ')}` : ''} of ${to} — a token that does not expire.`;
    case 'TOKEN_GET':
      return `${from} reads${d.secrets ? ` Secret ${d.secrets.join(', ')}` : ' the token Secret'} in ${nsText(d.namespace)}, the legacy token of ${to}.`;
    case 'TOKEN_REQUEST':
      return `${from} requests a fresh token for ${to} (serviceaccounts/token).`;
    case 'TOKEN_SECRET_CREATE':
      return `${from} creates a kubernetes.io/service-account-token Secret for ${to} in ${nsText(d.namespace)}; the control plane fills in a non-expiring token, which it reads back.`;
    case 'IMPERSONATE_SA':
    case 'IMPERSONATE_USER':
      return `${from} sends requests as ${to} using impersonation headers.`;
    case 'IMPERSONATE_GROUP':
      return d.role?.name === MASTERS_GROUP
        ? `${from} impersonates group system:masters, which the API server lets do anything.`
        : `${from} impersonates membership of ${to}.`;
    case 'ROLE_BIND':
      return d.scope === '*'
        ? `${from} creates a ClusterRoleBinding giving itself ${role}${toId === CLUSTER_ADMIN ? ' — every permission' : ''}.`
        : `${from} creates RoleBindings giving itself ${role} ${d.scope === '*ns' ? 'in every namespace' : `in namespace ${d.scope}`}.`;
    case 'ROLE_ESCALATE':
      return d.role
        ? `${from} adds any permission to ${role}, which it is bound to (escalate + update), reaching ${to}.`
        : `${from} creates a role holding every permission (escalate) and binds it to itself (bind), reaching ${to}.`;
    case 'NODE_PROXY':
      return toId === CLUSTER_ADMIN
        ? `${from} uses nodes/proxy to have kubelets run commands in any pod on any node, control plane included.`
        : `${from} uses nodes/proxy to run commands in pod ${pods}, which runs as ${to}.`;
    case 'CSR_MINT':
      return `${from} submits a client-certificate request for a system:masters member, approves it as the kube-apiserver-client signer allows, and logs in with it.`;
    case 'WILDCARD':
      return `${from} already holds every permission ${toId === CLUSTER_ADMIN ? 'cluster-wide' : `in ${nsText(d.namespace)}`}.`;
    case 'IDENTITY_ASSUME':
      return `Code running in ${from} holds the credentials of ${to}.`;
    case 'MEMBER':
      return `${from} includes ${to}.`;
  }
}

// ---- summaries ---------------------------------------------------------------------------------

export interface EscalationSummary {
  node: string;
  reachesClusterAdmin: boolean;
  /** Number of attacker actions on the shortest path (0: already equivalent). */
  distance?: number;
  steps: PathStep[];
}

export function escalationOf(graph: EscalationGraph, dist: Distances, identity: IdentityRef): EscalationSummary {
  const node = identityNodeId(identity);
  const steps = pathTo(graph, dist, node);
  return steps
    ? { node, reachesClusterAdmin: true, distance: dist.distance.get(node) as number, steps }
    : { node, reachesClusterAdmin: false, steps: [] };
}

/** Everything reachable from a node (forward BFS), by node id, with the edge that first reached it. */
export function reachableFrom(graph: EscalationGraph, from: string): Map<string, Edge | undefined> {
  const seen = new Map<string, Edge | undefined>([[from, undefined]]);
  const queue = [from];
  while (queue.length) {
    const n = queue.shift() as string;
    for (const e of graph.out.get(n) ?? []) {
      if (seen.has(e.to)) continue;
      seen.set(e.to, e);
      queue.push(e.to);
    }
  }
  return seen;
}

/** Identities and powers reachable from an identity (helpers and the identity itself left out). */
export function reachableIdentitiesAndPowers(
  graph: EscalationGraph,
  identity: IdentityRef,
): { identities: string[]; powers: string[] } {
  const start = identityNodeId(identity);
  const identities: string[] = [];
  const powers: string[] = [];
  for (const id of reachableFrom(graph, start).keys()) {
    if (id === start) continue;
    const n = graph.nodes.get(id);
    if (!n) continue;
    if (n.identity) identities.push(id);
    else if (n.kind === 'ClusterAdmin' || n.kind === 'NamespaceAdmin' || n.kind === 'RoleGrant') powers.push(id);
  }
  return { identities: identities.sort(), powers: powers.sort() };
}

export { serviceAccountUsername };
