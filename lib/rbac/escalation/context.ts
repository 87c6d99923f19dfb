/**
 * What every edge family reads and writes while the escalation graph is built: the graph so far,
 * the cluster's targets by namespace (ServiceAccounts, pods, token Secrets, super-roles, known users
 * and groups), and the queue of actors whose edges are still to be derived. Node, edge and actor
 * helpers take this context explicitly.
 */
import { roleKey } from '@/lib/keys';
import { bindingsFor } from '../evaluator';
import type { IndexedRole, RbacIndex } from '../rbac-index';
import { listIdentities, type IdentityRef } from '../reach';
import { NODE_USER_PREFIX, splitServiceAccountUsername, toUserInfo } from '../subjects';
import type { GrantReason, PodInfo, RbacSnapshot, SecretInfo, UserInfo } from '../types';
import {
  dedupe,
  isSuperRole,
  SUPER_ROLE,
  syntheticReason,
  virtualReason,
  type Actor,
  type GrantRef,
  type NameGrants,
  type Src,
} from './grants';
import { CLUSTER_ADMIN, NODE_TARGET, nodeIds, type Edge, type EdgeKind, type EscalationOptions, type GraphNode } from './model';

const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const RBAC = 'rbac.authorization.k8s.io';

export interface GraphContext {
  index: RbacIndex;
  snapshot: RbacSnapshot;
  assumeLegacyTokens: boolean;

  // The graph so far.
  nodes: Map<string, GraphNode>;
  edges: Edge[];
  out: Map<string, Edge[]>;
  /** (from, to, kind, namespace, scope) of every edge: an edge is added once. */
  edgeKeys: Set<string>;

  // Targets.
  identities: IdentityRef[];
  sasByNs: Map<string, Set<string>>;
  /** `automountServiceAccountToken` of listed ServiceAccounts, by `<ns>/<name>`. */
  saAutomount: Map<string, boolean | undefined>;
  podsByNs: Map<string, PodInfo[]>;
  /** Legacy token Secrets naming their ServiceAccount. */
  tokenSecretsByNs: Map<string, SecretInfo[]>;
  /** Namespaces of the index and of every known ServiceAccount, sorted. */
  allNamespaces: string[];
  /** ClusterRoles holding every permission (`cluster-admin` assumed unless told otherwise). */
  superClusterRoles: string[];
  /** Roles holding every permission, by namespace. */
  superRolesByNs: Map<string, string[]>;
  knownUsers: Set<string>;
  knownGroups: Set<string>;
  /** Pod Security `enforce` level by namespace (namespaces without the label are absent). */
  podSecurity: Map<string, string>;
  /** The first namespace (sorted) where a privileged pod is admitted, for scope "*" (undefined: none). */
  firstOpenNamespace: string | undefined;

  // Actors: created once per node id, their edges derived in queue order.
  actors: Map<string, Actor>;
  queue: string[];
  srcCounter: number;
}

export function createContext(index: RbacIndex, options: EscalationOptions): GraphContext {
  const assumeDefaultSAs = options.assumeDefaultServiceAccounts ?? true;
  const assumeBootstrap = options.assumeBootstrapRoles ?? true;
  const snapshot = index.snapshot;

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
  if (
    assumeBootstrap &&
    !superClusterRoles.includes('cluster-admin') &&
    !index.roles.has(roleKey({ kind: 'ClusterRole', name: 'cluster-admin' }))
  ) {
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
  const podSecurity = new Map(Object.entries(snapshot.podSecurity ?? {}));

  const ctx: GraphContext = {
    index,
    snapshot,
    assumeLegacyTokens: options.assumeLegacyTokens ?? false,
    nodes: new Map(),
    edges: [],
    out: new Map(),
    edgeKeys: new Set(),
    identities,
    sasByNs,
    saAutomount,
    podsByNs,
    tokenSecretsByNs,
    allNamespaces,
    superClusterRoles,
    superRolesByNs,
    knownUsers,
    knownGroups,
    podSecurity,
    firstOpenNamespace: allNamespaces.find((ns) => admitsHostAccess(podSecurity.get(ns))),
    actors: new Map(),
    queue: [],
    srcCounter: 0,
  };
  addNode(ctx, { id: CLUSTER_ADMIN, kind: 'ClusterAdmin', label: 'cluster-admin (every permission)' });
  return ctx;
}

// ---- edges --------------------------------------------------------------------------------------

type EdgeInput = Omit<Edge, 'grants'> & { grants?: GrantReason[]; refs?: GrantRef[] };

/** Adds an edge once per (from, to, kind, namespace, scope); grants given as refs are resolved only then. */
export function addEdge(ctx: GraphContext, input: EdgeInput): void {
  if (input.from === input.to) return;
  const key = `${input.from}\u0000${input.to}\u0000${input.kind}\u0000${input.detail.namespace ?? ''}\u0000${input.detail.scope ?? ''}`;
  if (ctx.edgeKeys.has(key)) return;
  ctx.edgeKeys.add(key);
  const { refs, grants, ...rest } = input;
  const e: Edge = { ...rest, grants: grants ?? (refs ? dedupe(refs) : []) };
  ctx.edges.push(e);
  const list = ctx.out.get(e.from);
  if (list) list.push(e);
  else ctx.out.set(e.from, [e]);
}

/**
 * Edges to the ServiceAccounts a grant designates in `scope` (TOKEN_REQUEST, IMPERSONATE_SA): any of
 * them through the any-sa:<scope> helper when the grant is name-independent, else each listed one.
 */
export function serviceAccountEdges(
  ctx: GraphContext,
  from: string,
  kind: 'TOKEN_REQUEST' | 'IMPERSONATE_SA',
  g: NameGrants,
  scope: string,
): void {
  if (g.any.length) {
    addEdge(ctx, { from, to: anySaNode(ctx, scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
    return;
  }
  if (!g.byName.size) return;
  for (const ns of nsOf(ctx, scope)) {
    for (const [sa, gr] of g.byName) {
      if (!ctx.sasByNs.get(ns)?.has(sa)) continue;
      const to = saNode(ctx, ns, sa);
      ensureIdentityActor(ctx, to);
      addEdge(ctx, { from, to, kind, weight: 1, refs: gr, detail: { namespace: ns } });
    }
  }
}

/**
 * Whether an actor may get one more edge of a target family (`kind`), at most `max` of them (0: this
 * one and no other after it): edges of one weight to one target family differ only by their label
 * (namespace), and a search never needs more labels from one actor than it keeps per node.
 */
export function takeTargetEdge(actor: Actor, kind: EdgeKind, max: number): boolean {
  const counts = (actor.targetEdges ??= {});
  const n = counts[kind] ?? 0;
  if (n < 0 || n >= Math.max(max, 1)) return false;
  // max 0: this edge, and no other after it.
  counts[kind] = max === 0 ? -1 : n + 1;
  return true;
}

// ---- targets ------------------------------------------------------------------------------------

/** The namespaces a scope stands for. */
export function nsOf(ctx: GraphContext, scope: string): string[] {
  return scope === '*' ? ctx.allNamespaces : [scope];
}

export function hasPods(ctx: GraphContext, scope: string): boolean {
  return scope === '*' ? ctx.podsByNs.size > 0 : ctx.podsByNs.has(scope);
}

export function hasTokens(ctx: GraphContext, scope: string): boolean {
  return scope === '*' ? ctx.tokenSecretsByNs.size > 0 : ctx.tokenSecretsByNs.has(scope);
}

/** Whether the pod has its ServiceAccount's token mounted (pod setting, else the ServiceAccount's, else yes). */
export function tokenMounted(ctx: GraphContext, p: PodInfo): boolean {
  if (p.automountServiceAccountToken !== undefined) return p.automountServiceAccountToken;
  return ctx.saAutomount.get(`${p.namespace}/${p.serviceAccountName ?? 'default'}`) ?? true;
}

/**
 * Whether a namespace's Pod Security level admits privileged, hostPID or hostPath pods: `privileged`, or
 * no `enforce` label (the admission default). `baseline` and `restricted` refuse all three.
 */
export function admitsHostAccess(level: string | undefined): boolean {
  return level !== 'baseline' && level !== 'restricted';
}

// ---- nodes --------------------------------------------------------------------------------------

/**
 * The node's id, as first stored: edges then hold one string per node, which keeps them small and
 * makes every later lookup by id cheap (equal ids built again are new strings, hashed anew).
 */
export function addNode(ctx: GraphContext, n: GraphNode): string {
  const existing = ctx.nodes.get(n.id);
  if (existing) return existing.id;
  ctx.nodes.set(n.id, n);
  return n.id;
}

export function saNode(ctx: GraphContext, ns: string, name: string): string {
  const id = nodeIds.sa(ns, name);
  const existing = ctx.nodes.get(id);
  if (existing) return existing.id;
  return addNode(ctx, {
    id,
    kind: 'ServiceAccount',
    label: `ServiceAccount ${ns}/${name}`,
    identity: { kind: 'ServiceAccount', namespace: ns, name },
  });
}

export function userNode(ctx: GraphContext, name: string): string {
  const sa = splitServiceAccountUsername(name);
  if (sa) return saNode(ctx, sa.namespace, sa.name);
  return addNode(ctx, { id: nodeIds.user(name), kind: 'User', label: `User ${name}`, identity: { kind: 'User', name } });
}

export function groupNode(ctx: GraphContext, name: string): string {
  return addNode(ctx, { id: nodeIds.group(name), kind: 'Group', label: `Group ${name}`, identity: { kind: 'Group', name } });
}

export function nsAdminNode(ctx: GraphContext, ns: string): string {
  return addNode(ctx, {
    id: nodeIds.nsAdmin(ns),
    kind: 'NamespaceAdmin',
    label: ns === '*' ? 'every permission in every namespace' : `every permission in namespace ${ns}`,
  });
}

/** Target: control of a namespace (read its Secrets, run pods, grant roles); "*": of every namespace. */
export function nsControlNode(ctx: GraphContext, ns: string): string {
  return addNode(ctx, {
    id: nodeIds.nsControl(ns),
    kind: 'NamespaceControl',
    label: ns === '*' ? 'control of every namespace' : `control of namespace ${ns}`,
  });
}

/** Target: the Secrets of a namespace; "*": of every namespace. */
export function secretsNode(ctx: GraphContext, ns: string): string {
  return addNode(ctx, {
    id: nodeIds.secrets(ns),
    kind: 'NamespaceSecrets',
    label: ns === '*' ? 'the Secrets of every namespace' : `the Secrets of namespace ${ns}`,
  });
}

/** Target: the node a pod runs on, with its kubelet credentials. */
export function nodeTargetNode(ctx: GraphContext): string {
  return addNode(ctx, { id: NODE_TARGET, kind: 'NodeEscape', label: 'the node (its kubelet credentials)' });
}

export function anySaNode(ctx: GraphContext, ns: string): string {
  return addNode(ctx, {
    id: nodeIds.anySa(ns),
    kind: 'AnyServiceAccount',
    label: ns === '*' ? 'any ServiceAccount of any namespace' : `any ServiceAccount of namespace ${ns}`,
  });
}

export function podSaNode(ctx: GraphContext, ns: string): string {
  return addNode(ctx, {
    id: `pod-sa:${ns}`,
    kind: 'PodServiceAccounts',
    label: ns === '*' ? 'the ServiceAccount of any running pod' : `the ServiceAccount of any running pod in namespace ${ns}`,
  });
}

export function tokenSaNode(ctx: GraphContext, ns: string): string {
  return addNode(ctx, {
    id: `token-sa:${ns}`,
    kind: 'TokenServiceAccounts',
    label:
      ns === '*'
        ? 'any ServiceAccount with a legacy token Secret'
        : `any ServiceAccount with a legacy token Secret in namespace ${ns}`,
  });
}

export function anyUserNode(ctx: GraphContext): string {
  return addNode(ctx, { id: 'any-user', kind: 'AnyUser', label: 'any user' });
}

export function anyGroupNode(ctx: GraphContext): string {
  return addNode(ctx, { id: 'any-group', kind: 'AnyGroup', label: 'membership of any group' });
}

function scopeLabel(scope: string): string {
  return scope === '*' ? 'cluster-wide' : scope === '*ns' ? 'in every namespace' : `in namespace ${scope}`;
}

function roleNode(ctx: GraphContext, scope: string, role: IndexedRole): string {
  return addNode(ctx, {
    id: nodeIds.role(scope, role.key),
    kind: 'RoleGrant',
    label: `${role.kind} ${role.namespace ? `${role.namespace}/` : ''}${role.name} ${scopeLabel(scope)}`,
  });
}

// ---- actors -------------------------------------------------------------------------------------

function enqueue(ctx: GraphContext, id: string, make: () => Actor): void {
  if (ctx.actors.has(id)) return;
  ctx.actors.set(id, make());
  ctx.queue.push(id);
}

/** The actor of an identity node: its bindings' roles, by scope. */
export function enqueueIdentityActor(ctx: GraphContext, id: string, user: UserInfo): void {
  enqueue(ctx, id, () => {
    const actor: Actor = { id, cluster: [], everyNamespace: [], byNamespace: new Map(), boundRoles: [] };
    for (const { binding, subjectIndex } of bindingsFor(ctx.index, user)) {
      const role = binding.role;
      if (!role) continue;
      const src: Src = { id: ctx.srcCounter++, role, binding, subjectIndex };
      if (binding.kind === 'ClusterRoleBinding') actor.cluster.push(src);
      else {
        const list = actor.byNamespace.get(binding.namespace);
        if (list) list.push(src);
        else actor.byNamespace.set(binding.namespace, [src]);
      }
      actor.boundRoles.push({ role, scope: binding.kind === 'ClusterRoleBinding' ? '*' : binding.namespace });
    }
    return actor;
  });
}

/** Queues the actor of an identity node (ServiceAccount, User or Group) unless it has one. */
export function ensureIdentityActor(ctx: GraphContext, nodeId: string): void {
  const n = ctx.nodes.get(nodeId);
  if (!n?.identity || ctx.actors.has(nodeId)) return;
  const user =
    n.identity.kind === 'User'
      ? toUserInfo({ kind: 'User', name: n.identity.name })
      : n.identity.kind === 'Group'
        ? { name: '', groups: [n.identity.name] }
        : toUserInfo(n.identity);
  enqueueIdentityActor(ctx, nodeId, user);
}

/** The node (and actor) of a role the actor could bind to itself in `scope`. */
export function ensureRoleActor(ctx: GraphContext, scope: string, role: IndexedRole, grant: GrantReason[]): string {
  const id = roleNode(ctx, scope, role);
  enqueue(ctx, id, () => {
    const src: Src = { id: ctx.srcCounter++, role, subjectIndex: 0, virtual: grant[0] ?? virtualReason(role) };
    const actor: Actor = { id, cluster: [], everyNamespace: [], byNamespace: new Map(), boundRoles: [{ role, scope }] };
    if (scope === '*') actor.cluster = [src];
    else if (scope === '*ns') actor.everyNamespace = [src];
    else actor.byNamespace.set(scope, [src]);
    return actor;
  });
  return id;
}

/** The node (and actor) of every permission in a namespace ("*": in every namespace). */
export function ensureNsAdmin(ctx: GraphContext, ns: string): string {
  const id = nsAdminNode(ctx, ns);
  enqueue(ctx, id, () => {
    const src: Src = { id: ctx.srcCounter++, role: SUPER_ROLE, subjectIndex: 0, virtual: syntheticReason(ns) };
    return {
      id,
      cluster: [],
      everyNamespace: ns === '*' ? [src] : [],
      byNamespace: ns === '*' ? new Map() : new Map([[ns, [src]]]),
      boundRoles: [],
    };
  });
  return id;
}

/** Queues an actor for every identity: the listed ones, then every known ServiceAccount. */
export function seedIdentityActors(ctx: GraphContext): void {
  for (const id of ctx.identities)
    ensureIdentityActor(
      ctx,
      id.kind === 'ServiceAccount'
        ? saNode(ctx, id.namespace, id.name)
        : id.kind === 'User'
          ? userNode(ctx, id.name)
          : groupNode(ctx, id.name),
    );
  for (const [ns, names] of ctx.sasByNs) for (const n of names) ensureIdentityActor(ctx, saNode(ctx, ns, n));
}
