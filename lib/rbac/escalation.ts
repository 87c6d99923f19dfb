/**
 * Escalation paths: a graph from identities (and pods, nodes) to the identities and powers they can
 * reach, and the shortest path from any of them to cluster-admin-equivalent power, step by step.
 * The other targets — control of a namespace, other namespaces' Secrets, tokens of more powerful
 * identities, the node — are terminal nodes of the same graph; `escalation-targets.ts` finds each
 * identity's shortest path to each of them.
 *
 * Nodes
 *   sa:<ns>/<name> · user:<name> · group:<name>         identities (actors)
 *   role:<scope>|<roleKey>                              a role the actor can bind to itself, held in
 *                                                        <scope>: "*" (ClusterRoleBinding), "*ns" (a
 *                                                        RoleBinding in every namespace) or a namespace
 *   ns-admin:<ns> · ns-admin:*                           every permission in a namespace (all of them)
 *   cluster-admin                                        the goal; no outgoing edges
 *   ns-control:<ns> · ns-control:*                       target: control of a namespace (no outgoing edges)
 *   secrets:<ns> · secrets:*                             target: the Secrets of a namespace (no outgoing edges)
 *   node:*                                               target: the node a pod runs on (no outgoing edges)
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
 *   NS_CONTROL        (0 cost) already reads every Secret, creates pods and creates RoleBindings in ns,
 *                     as the `admin` role does → ns-control:<ns>
 *   SECRET_READ       get/list/watch any Secret of ns → secrets:<ns> (at most two per actor)
 *   POD_ESCAPE        create pods or pod controllers in ns whose Pod Security level admits privileged,
 *                     hostPID or hostPath pods (no `pod-security.kubernetes.io/enforce` label, or
 *                     `privileged`) → node:* (then the kubelet's credentials and the pods' tokens
 *                     there); one per actor, in its first such scope
 *   IDENTITY_ASSUME   pod → its ServiceAccount (token mounted); node → its kubelet user
 *   MEMBER            helper fan-out (any-sa:ns → each ServiceAccount, ns-admin:* → each namespace)
 *
 * Assumptions (options): every namespace has a `default` ServiceAccount; the bootstrap ClusterRole
 * `cluster-admin` exists even when the snapshot omits it; legacy token Secrets exist only when
 * listed (set `assumeLegacyTokens` for clusters older than 1.24 or tools that assume them); a
 * namespace without a Pod Security label admits privileged pods (the admission plugin's default; a
 * cluster-wide AdmissionConfiguration default or a policy engine such as Kyverno is not seen).
 * Limitations: edges are derived from one actor's rules at a time (an identity that gains a role
 * is not re-evaluated with the union of both rule sets); the targets lead nowhere further (the node's
 * kubelet identity and the tokens of the pods on it are named in the step, not followed, so paths to
 * cluster-admin are not lengthened through nodes); admission webhooks are not edges.
 *
 * Code: `escalation/` holds one file per edge family above (run-as.ts, pod-escape.ts, pod-access.ts,
 * legacy-token.ts, token-request.ts, token-secret-create.ts, impersonate.ts, role-bind.ts,
 * role-escalate.ts, node-proxy.ts, csr-mint.ts, wildcard.ts, ns-control.ts, secret-read.ts,
 * identity-assume.ts, member.ts), each a function of the build context (`escalation/context.ts`: the
 * graph so far, targets, actor queue) and, for actor edges, of the actor's questions
 * (`escalation/grants.ts`). The public shapes are in `escalation/model.ts`.
 */
import { csrMintEdge } from './escalation/csr-mint';
import { createContext, seedIdentityActors, type GraphContext } from './escalation/context';
import { ActorQueries, type Actor } from './escalation/grants';
import { nodeIdentityEdges, podIdentityEdges } from './escalation/identity-assume';
import { impersonateSaEdges, impersonateUserAndGroupEdges } from './escalation/impersonate';
import { legacyTokenEdges } from './escalation/legacy-token';
import { memberEdges } from './escalation/member';
import {
  CLUSTER_ADMIN,
  identityNodeId,
  type Edge,
  type EdgeDetail,
  type EdgeKind,
  type EscalationGraph,
  type EscalationOptions,
} from './escalation/model';
import { nodeProxyEdges } from './escalation/node-proxy';
import { nsControlEdge } from './escalation/ns-control';
import { identityPower, type IdentityPower } from './escalation/power';
import { podAccessEdges } from './escalation/pod-access';
import { clusterRoleBindingEdges, roleBindingEdges } from './escalation/role-bind';
import { boundRoleEscalateEdges, newClusterRoleEscalateEdge, newRoleEscalateEdge } from './escalation/role-escalate';
import { runAsEdge } from './escalation/run-as';
import { secretGrants, secretReadEdge } from './escalation/secret-read';
import { tokenRequestEdges } from './escalation/token-request';
import { tokenSecretCreateEdge } from './escalation/token-secret-create';
import { clusterWildcardEdge, namespaceWildcardEdge } from './escalation/wildcard';
import type { RbacIndex } from './rbac-index';
import type { IdentityRef } from './reach';
import { MASTERS_GROUP, serviceAccountUsername } from './subjects';
import type { GrantReason } from './types';

export {
  CLUSTER_ADMIN,
  identityNodeId,
  NODE_TARGET,
  nodeIds,
  type Edge,
  type EdgeDetail,
  type EdgeKind,
  type EscalationGraph,
  type EscalationOptions,
  type GraphNode,
  type NodeKind,
} from './escalation/model';

// ---- graph construction -------------------------------------------------------------------------

export function buildEscalationGraph(index: RbacIndex, options: EscalationOptions = {}): EscalationGraph {
  const ctx = createContext(index, options);
  // Sources: node users first (their actors carry system:nodes), then every identity, then pods.
  nodeIdentityEdges(ctx);
  seedIdentityActors(ctx);
  podIdentityEdges(ctx);
  memberEdges(ctx);
  // Actors queued so far, and those the edges reach (roles it could bind, namespace admins, identities).
  for (let i = 0; i < ctx.queue.length; i++) actorEdges(ctx, ctx.actors.get(ctx.queue[i] as string) as Actor);
  // The identities' rules are kept for comparing powers; the actors (with their caches) are not.
  const powers = new Map<string, IdentityPower>();
  for (const [id, actor] of ctx.actors) if (ctx.nodes.get(id)?.identity) powers.set(id, identityPower(actor));
  return { nodes: ctx.nodes, edges: ctx.edges, out: ctx.out, powers };
}

/** Every edge one actor's rules allow, family by family (this order is the order of the edges). */
function actorEdges(ctx: GraphContext, actor: Actor): void {
  const a = new ActorQueries(actor);
  for (const scope of a.scopes()) {
    namespaceWildcardEdge(ctx, a, scope);
    const secrets = secretGrants(a, scope);
    nsControlEdge(ctx, a, scope, secretReadEdge(ctx, a, scope, secrets));
    runAsEdge(ctx, a, scope);
    tokenSecretCreateEdge(ctx, a, scope);
    podAccessEdges(ctx, a, scope);
    legacyTokenEdges(ctx, a, scope, secrets);
    tokenRequestEdges(ctx, a, scope);
    impersonateSaEdges(ctx, a, scope);
    roleBindingEdges(ctx, a, scope);
    newRoleEscalateEdge(ctx, a, scope);
  }
  // Cluster-scoped powers: only ClusterRoleBinding-level rules count.
  if (actor.cluster.length) {
    clusterWildcardEdge(ctx, a);
    nodeProxyEdges(ctx, a);
    csrMintEdge(ctx, a);
    impersonateUserAndGroupEdges(ctx, a);
    clusterRoleBindingEdges(ctx, a);
    newClusterRoleEscalateEdge(ctx, a);
  }
  boundRoleEscalateEdges(ctx, a);
}

// ---- shortest paths ----------------------------------------------------------------------------

export interface Distances {
  target: string;
  /** Cost (number of attacker actions) to reach the target, by node. */
  distance: Map<string, number>;
  /** First edge of a shortest path from each node. */
  next: Map<string, Edge>;
}

/** Every edge by the node it enters (for searches on reversed edges). */
export function incomingEdges(graph: EscalationGraph): Map<string, Edge[]> {
  const incoming = new Map<string, Edge[]>();
  for (const e of graph.edges) {
    const l = incoming.get(e.to);
    if (l) l.push(e);
    else incoming.set(e.to, [e]);
  }
  return incoming;
}

/**
 * 0-1 BFS on reversed edges: distance of every node to `target` (default cluster-admin). `incoming`
 * may be given when several targets are searched on one graph.
 */
export function distancesTo(
  graph: EscalationGraph,
  target: string = CLUSTER_ADMIN,
  incoming: Map<string, Edge[]> = incomingEdges(graph),
): Distances {
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

/** Edges of a path as steps, helper hops folded into their step. */
export function foldSteps(graph: EscalationGraph, raw: Edge[]): PathStep[] {
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
    case 'NS_CONTROL':
      return `${from} controls ${d.namespace === '*' ? 'every namespace' : nsText(d.namespace)}: it reads every Secret there, runs any pod and grants roles with RoleBindings.`;
    case 'SECRET_READ':
      return `${from} reads the Secrets of ${d.namespace === '*' ? 'every namespace' : nsText(d.namespace)} (get, list or watch on secrets).`;
    case 'POD_ESCAPE':
      return `${from} creates a pod in ${nsText(d.namespace)} that is privileged, shares the host's PID namespace or mounts the host's filesystem (hostPath), which ${
        d.podSecurity && d.podSecurity !== 'none'
          ? `Pod Security level "${d.podSecurity}" admits`
          : 'no Pod Security label forbids'
      }; from it, it leaves the container for the node and takes the kubelet's credentials and the tokens of the pods running there.`;
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
