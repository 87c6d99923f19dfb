/**
 * Every escalation target of an identity, not only cluster-admin: the shortest path to each kind of
 * power an attacker holding its token can reach, step by step, on the graph of `escalation.ts`.
 *
 *   cluster-admin            every permission (as `escalationOf`); scope "*"
 *   namespace-admin          control of a namespace it does not already control — reading every Secret,
 *                            running any pod and granting roles there, what the `admin` role gives (for
 *                            example `bind` on admin or cluster-admin in a RoleBinding); one path per
 *                            namespace, nearest first, at most `namespaceLimit` (20), scope the namespace
 *                            or "*" (every namespace: then namespaces no nearer are left out)
 *   other-namespace-secrets  reading the Secrets of a namespace other than its own (a ServiceAccount's
 *                            namespace; any namespace for users and groups), directly or after steps;
 *                            the nearest one, scope the namespace or "*"
 *   token-mint               obtaining the token of an identity that may do something it may not
 *                            (TOKEN_REQUEST, TOKEN_SECRET_CREATE, TOKEN_LIST / TOKEN_GET of a legacy
 *                            token, IMPERSONATE_*), compared as the API server compares rules for its
 *                            escalation check (escalation/power.ts); scope the identity obtained
 *   node                     leaving the container for the node (POD_ESCAPE); scope the namespace the
 *                            escaping pod is made in (where Pod Security `baseline` would stop it)
 *
 * Distances count attacker actions: reading Secrets and creating the escaping pod are actions (so their
 * paths are at least 1 long); holding control of a namespace is not (0: already holds it, not reported).
 *
 * One search per target family over the reversed graph (escalation/labels.ts keeps each node's few
 * nearest namespaces or identities), then each identity's paths are read off. Limits: a node keeps its
 * 4 nearest candidate tokens (the most powerful identities first among equals, also among the members of
 * a helper such as "any ServiceAccount of ns"); an identity stronger than all of them gets no token-mint
 * path.
 */
import { CLUSTER_ADMIN, distancesTo, foldSteps, incomingEdges, pathTo, type Distances, type PathStep } from './escalation';
import { nearestLabels, reverseGraph, type LabelSeed, type NearestLabels } from './escalation/labels';
import {
  identityNodeId,
  nodeIds,
  NODE_TARGET,
  type Edge,
  type EdgeKind,
  type EscalationGraph,
  type NodeKind,
} from './escalation/model';
import { PowerComparer } from './escalation/power';
import type { IdentityRef } from './reach';

export const TARGET_KINDS = ['cluster-admin', 'namespace-admin', 'other-namespace-secrets', 'token-mint', 'node'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface TargetPath {
  target: TargetKind;
  /** "*" (cluster-wide, every namespace), a namespace (node: where the escaping pod is made), or the identity obtained. */
  scope: string;
  /** Attacker actions on the path. */
  distance: number;
  steps: PathStep[];
  /** token-mint: the identity obtained is already cluster-admin-equivalent. */
  clusterAdminEquivalent?: boolean;
}

export interface TargetOptions {
  /** At most this many namespace-admin paths per identity. Default 20. */
  namespaceLimit?: number;
}

/** The last steps that obtain another identity's token (or act as it). */
export const TOKEN_MINT_EDGES: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  'TOKEN_REQUEST',
  'TOKEN_SECRET_CREATE',
  'TOKEN_LIST',
  'TOKEN_GET',
  'IMPERSONATE_SA',
  'IMPERSONATE_USER',
  'IMPERSONATE_GROUP',
]);

const TOKENS_PER_NODE = 4;
const MEMBERS_PER_HELPER = TOKENS_PER_NODE;

export interface EscalationTargets {
  /** Distances to cluster-admin (as `distancesTo(graph)`). */
  clusterAdmin: Distances;
  /** The shortest path to each target of an identity: cluster-admin, namespaces (nearest first), the rest. */
  of(identity: IdentityRef): TargetPath[];
}

/** Searches the graph once per target family; `of` then reads one identity's paths. */
export function escalationTargets(graph: EscalationGraph, options: TargetOptions = {}): EscalationTargets {
  const limit = options.namespaceLimit ?? 20;
  const incoming = incomingEdges(graph);
  const clusterAdmin = distancesTo(graph, CLUSTER_ADMIN, incoming);
  const toNode = distancesTo(graph, NODE_TARGET, incoming);
  // ns-admin:* reaches each namespace's admin at no cost; its own target is "*", so those hops are left out.
  const every = { skipMembersOf: nodeIds.nsAdmin('*'), all: '*' };
  const reversed = reverseGraph(graph);
  const control = nearestLabels(reversed, targetSeeds(graph, 'NamespaceControl'), limit + 4, every);
  const secrets = nearestLabels(reversed, targetSeeds(graph, 'NamespaceSecrets'), 2, every);
  const powers = new PowerComparer(graph.powers ?? new Map());
  const tokens = nearestLabels(reversed, tokenSeeds(graph, powers, clusterAdmin), TOKENS_PER_NODE);

  const labelOf = (id: string) => (id === CLUSTER_ADMIN ? 'Group system:masters' : (graph.nodes.get(id)?.label ?? id));
  const read = (search: NearestLabels, from: string, label: string) => foldSteps(graph, search.path(from, label) ?? []);

  return {
    clusterAdmin,
    of(identity) {
      const id = identityNodeId(identity);
      const out: TargetPath[] = [];
      const admin = pathTo(graph, clusterAdmin, id);
      if (admin) out.push({ target: 'cluster-admin', scope: '*', distance: clusterAdmin.distance.get(id) ?? 0, steps: admin });

      const held = control.at(id);
      if (!held.some((h) => h.label === '*' && h.distance === 0)) {
        const every = held.find((h) => h.label === '*');
        held
          .filter((h) => h.distance > 0 && (h.label === '*' || !every || h.distance < every.distance))
          .sort(
            (a, b) => a.distance - b.distance || (a.label === '*' ? -1 : b.label === '*' ? 1 : a.label.localeCompare(b.label)),
          )
          .slice(0, limit)
          .forEach((h) =>
            out.push({ target: 'namespace-admin', scope: h.label, distance: h.distance, steps: read(control, id, h.label) }),
          );
      }

      const own = identity.kind === 'ServiceAccount' ? identity.namespace : undefined;
      const other = secrets
        .at(id)
        .filter((h) => h.label !== own)
        .sort((a, b) => a.distance - b.distance || (a.label === '*' ? -1 : b.label === '*' ? 1 : 0))[0];
      if (other)
        out.push({
          target: 'other-namespace-secrets',
          scope: other.label,
          distance: other.distance,
          steps: read(secrets, id, other.label),
        });

      const token = tokens.at(id).find((h) => h.label !== id && gainsToken(powers, clusterAdmin, id, h.label));
      if (token)
        out.push({
          target: 'token-mint',
          scope: labelOf(token.label),
          distance: token.distance,
          steps: read(tokens, id, token.label),
          clusterAdminEquivalent: token.label === CLUSTER_ADMIN || clusterAdmin.distance.get(token.label) === 0,
        });

      const node = pathTo(graph, toNode, id);
      if (node) {
        // The namespace the escaping pod is made in: where Pod Security would stop it.
        const scope = node[node.length - 1]?.detail.namespace ?? '*';
        out.push({ target: 'node', scope, distance: toNode.distance.get(id) ?? 0, steps: node });
      }
      return out;
    },
  };
}

/**
 * Whether obtaining `to` gives `from` more power. An identity that already holds every permission (group
 * system:masters, or one at distance 0 from cluster-admin) gives more to anyone who does not.
 */
function gainsToken(powers: PowerComparer, clusterAdmin: Distances, from: string, to: string): boolean {
  const fromHoldsAll = clusterAdmin.distance.get(from) === 0;
  if (to === CLUSTER_ADMIN || clusterAdmin.distance.get(to) === 0) return !fromHoldsAll;
  return powers.gains(from, to);
}

/** The target nodes of one kind, each labelled by the namespace (or "*") after its prefix. */
function targetSeeds(graph: EscalationGraph, kind: NodeKind): LabelSeed[] {
  const seeds: LabelSeed[] = [];
  for (const n of graph.nodes.values())
    if (n.kind === kind) seeds.push({ node: n.id, label: n.id.slice(n.id.indexOf(':') + 1), distance: 0 });
  return seeds;
}

interface Member {
  id: string;
  /** The helper hops from the edge's end to the identity. */
  chain: Edge[];
}

/**
 * One seed per (token step, identity obtained): at the actor taking the step, labelled by the identity,
 * the step and its helper hops as the tail. Helpers stand for many identities: the most powerful few
 * are kept. Seeds are ordered by power, so among equally near tokens a node settles the strongest first.
 */
function tokenSeeds(graph: EscalationGraph, powers: PowerComparer, clusterAdmin: Distances): LabelSeed[] {
  const rank = (id: string) => {
    if (id === CLUSTER_ADMIN) return Number.MAX_SAFE_INTEGER;
    const d = clusterAdmin.distance.get(id);
    return (d === undefined ? 0 : (1000 - Math.min(d, 999)) * 1e9) + powers.weight(id);
  };
  const memo = new Map<string, Member[]>();
  /** The strongest identities a node stands for (itself, or a helper's members), with the helper hops. */
  const membersOf = (to: string): Member[] => {
    let list = memo.get(to);
    if (list) return list;
    if (to === CLUSTER_ADMIN || graph.nodes.get(to)?.identity) list = [{ id: to, chain: [] }];
    else {
      // Breadth-first over helper hops, remembering the hop into each node; chains only for the kept ones.
      const via = new Map<string, Edge | undefined>([[to, undefined]]);
      const found: { id: string; r: number }[] = [];
      const queue = [to];
      for (let i = 0; i < queue.length; i++) {
        for (const e of graph.out.get(queue[i] as string) ?? []) {
          if (e.kind !== 'MEMBER' || via.has(e.to)) continue;
          via.set(e.to, e);
          if (graph.nodes.get(e.to)?.identity) found.push({ id: e.to, r: rank(e.to) });
          else queue.push(e.to);
        }
      }
      list = found
        .sort((a, b) => b.r - a.r)
        .slice(0, MEMBERS_PER_HELPER)
        .map(({ id }) => {
          const chain: Edge[] = [];
          for (let e = via.get(id); e; e = via.get(e.from)) chain.unshift(e);
          return { id, chain };
        });
    }
    memo.set(to, list);
    return list;
  };
  const seeds: (LabelSeed & { rank: number })[] = [];
  for (const e of graph.edges) {
    if (!TOKEN_MINT_EDGES.has(e.kind)) continue;
    for (const m of membersOf(e.to))
      seeds.push({ node: e.from, label: m.id, distance: e.weight, tail: [e, ...m.chain], rank: rank(m.id) });
  }
  seeds.sort((a, b) => b.rank - a.rank);
  // A node settles at most TOKENS_PER_NODE labels: its strongest seeds are all it can use.
  const kept = new Map<string, Set<string>>();
  return seeds.filter((s) => {
    let labels = kept.get(s.node);
    if (!labels) kept.set(s.node, (labels = new Set()));
    if (labels.has(s.label) || labels.size >= TOKENS_PER_NODE) return false;
    labels.add(s.label);
    return true;
  });
}
