/**
 * The stored escalation paths of one identity (IdentityReach.escalationTargets, escalation-targets.ts) as one
 * graph to draw: the identity, the identities and powers its paths pass through, and the targets they end at
 * (cluster-admin, the node, other identities' tokens, other namespaces' Secrets, control of a namespace).
 * Edges are the steps, each with the capability used and the bindings → roles that grant it (the evidence).
 *
 * Pure. Paths are added most severe first (cluster-admin, node, cluster-admin-equivalent tokens, then the
 * rest; nearer first); steps that two paths share become one node and one edge, so the union may have
 * cycles (a path through B to C, another through C to B). A path that would take the graph past `maxNodes`
 * is left out whole and counted: the caller says "showing N of M paths". The first path added is the
 * highlighted one: the shortest path to the most severe target.
 *
 * Rows stored before ESCALATION_FORMAT 3 do not name their nodes: each of their steps then gets a node of
 * its own (nothing shared), labelled with the step's text.
 */
import type { TargetKind } from './escalation-targets';

export interface StoredPathStep {
  text: string;
  kind: string;
  grants?: { binding: string; role: string }[];
  from?: string;
  to?: string;
  fromLabel?: string;
  toLabel?: string;
  namespace?: string;
}

export interface StoredPath {
  target: TargetKind;
  scope: string;
  distance: number;
  steps: StoredPathStep[];
  clusterAdminEquivalent?: boolean;
}

export type PathSeverity = 'critical' | 'high';

/** start: the identity itself; identity: another one; power: a role or helper it holds on the way; target: an end. */
export type PathNodeKind = 'start' | 'identity' | 'power' | 'target';

export interface PathGraphNode {
  /** The escalation graph's node id (escalation/model.ts), e.g. `sa:ns/name`, `cluster-admin`, `ns-control:ns`. */
  id: string;
  label: string;
  kind: PathNodeKind;
  /** ServiceAccounts, users and groups, for a link to their page. */
  identity?: { kind: 'ServiceAccount' | 'User' | 'Group'; namespace: string; name: string };
  /** The targets this node is the end of (token-mint ends at an identity). */
  targets: TargetKind[];
  /** The most severe path through it. */
  severity: PathSeverity;
  /** On the highlighted path. */
  highlighted: boolean;
}

export interface PathGraphEdge {
  id: string;
  source: string;
  target: string;
  /** The escalation edge kind (RUN_AS, ROLE_BIND, …). */
  kind: string;
  /** Short: what the actor does, e.g. "create pods in namespace shop". */
  capability: string;
  /** The step in full, as the list shows it. */
  text: string;
  grants: { binding: string; role: string }[];
  severity: PathSeverity;
  highlighted: boolean;
}

export interface PathSummary {
  target: TargetKind;
  scope: string;
  distance: number;
  severity: PathSeverity;
  clusterAdminEquivalent: boolean;
  shown: boolean;
  /** The node ids the path ends at (empty when it is not shown or has no steps). */
  end: string | null;
}

export interface PathGraph {
  nodes: PathGraphNode[];
  edges: PathGraphEdge[];
  /** Every stored path, in the order added (most severe first), each with whether it is drawn. */
  paths: PathSummary[];
  shownPaths: number;
  totalPaths: number;
  maxNodes: number;
}

export const MAX_GRAPH_NODES = 60;

const TARGET_ORDER: readonly TargetKind[] = ['cluster-admin', 'node', 'token-mint', 'other-namespace-secrets', 'namespace-admin'];

export const TARGET_TITLES: Record<TargetKind, string> = {
  'cluster-admin': 'cluster-admin',
  node: 'the node',
  'token-mint': 'token of a more powerful identity',
  'other-namespace-secrets': "other namespaces' Secrets",
  'namespace-admin': 'control of a namespace',
};

/** As the identity page colours them (components/escalation-targets.tsx): cluster-admin and the node critical. */
export function pathSeverity(p: Pick<StoredPath, 'target' | 'clusterAdminEquivalent'>): PathSeverity {
  if (p.target === 'cluster-admin' || p.target === 'node') return 'critical';
  return p.target === 'token-mint' && p.clusterAdminEquivalent ? 'critical' : 'high';
}

const CAPABILITY: Record<string, string> = {
  RUN_AS: 'create pods',
  POD_EXEC: 'exec into pods',
  POD_ATTACH: 'attach to pods',
  POD_PATCH: 'patch pods',
  POD_EPHEMERAL: 'add ephemeral containers',
  TOKEN_LIST: 'list token Secrets',
  TOKEN_GET: 'read a token Secret',
  TOKEN_REQUEST: 'request tokens',
  TOKEN_SECRET_CREATE: 'create token Secrets',
  IMPERSONATE_SA: 'impersonate',
  IMPERSONATE_USER: 'impersonate',
  IMPERSONATE_GROUP: 'impersonate a group',
  ROLE_BIND: 'bind roles',
  ROLE_ESCALATE: 'escalate roles',
  NODE_PROXY: 'use nodes/proxy',
  CSR_MINT: 'mint a client certificate',
  WILDCARD: 'holds every permission',
  IDENTITY_ASSUME: 'holds the credentials',
  MEMBER: 'includes',
  NS_CONTROL: 'controls a namespace',
  SECRET_READ: 'read Secrets',
  POD_ESCAPE: 'create privileged pods',
};

/** What the actor does on a step, in a few words, with the namespace when the step names one. */
export function capabilityOf(step: Pick<StoredPathStep, 'kind' | 'namespace'>): string {
  const base = CAPABILITY[step.kind] ?? step.kind.toLowerCase().replace(/_/g, ' ');
  if (step.namespace === undefined || step.kind === 'WILDCARD' || step.kind === 'IDENTITY_ASSUME') return base;
  if (step.kind === 'NS_CONTROL') return `controls ${step.namespace === '*' ? 'every namespace' : `namespace ${step.namespace}`}`;
  return `${base} in ${step.namespace === '*' ? 'any namespace' : `namespace ${step.namespace}`}`;
}

/** `sa:ns/name`, `user:name`, `group:name` → the identity; anything else → undefined. */
export function identityOfNode(id: string): PathGraphNode['identity'] {
  const sa = /^sa:([^/]+)\/(.+)$/.exec(id);
  if (sa) return { kind: 'ServiceAccount', namespace: sa[1]!, name: sa[2]! };
  if (id.startsWith('user:') && id.length > 5) return { kind: 'User', namespace: '', name: id.slice(5) };
  if (id.startsWith('group:') && id.length > 6) return { kind: 'Group', namespace: '', name: id.slice(6) };
  return undefined;
}

const isTargetNode = (id: string) =>
  id === 'cluster-admin' || id === 'node:*' || id.startsWith('ns-control:') || id.startsWith('secrets:');

/** Most severe first, then by kind of target, then nearest, then by scope (stable for equal paths). */
export function orderPaths<P extends StoredPath>(paths: readonly P[]): P[] {
  const rank = (s: PathSeverity) => (s === 'critical' ? 0 : 1);
  return [...paths].sort(
    (a, b) =>
      rank(pathSeverity(a)) - rank(pathSeverity(b)) ||
      TARGET_ORDER.indexOf(a.target) - TARGET_ORDER.indexOf(b.target) ||
      a.distance - b.distance ||
      a.scope.localeCompare(b.scope),
  );
}

interface Draft {
  from: string;
  to: string;
  fromLabel: string;
  toLabel: string;
  step: StoredPathStep;
}

/** The steps of one path with node ids: stored ones, or (older rows) one node per step. */
function draftSteps(path: StoredPath, index: number, start: { id: string; label: string }): Draft[] {
  return path.steps.map((step, j) => {
    const from = step.from ?? (j === 0 ? start.id : `path:${index}:${j - 1}`);
    const to = step.to ?? `path:${index}:${j}`;
    const fallback = j === path.steps.length - 1 ? `${TARGET_TITLES[path.target]} (${path.scope})` : step.text;
    return {
      from,
      to,
      fromLabel: step.fromLabel ?? (from === start.id ? start.label : from),
      toLabel: step.toLabel ?? fallback,
      step,
    };
  });
}

/**
 * The union of an identity's stored paths, at most `maxNodes` nodes (whole paths only). `start` is the
 * identity's own node (`identityNodeId`) and the label to show for it.
 */
export function pathGraph(
  stored: readonly StoredPath[],
  start: { id: string; label: string },
  maxNodes: number = MAX_GRAPH_NODES,
): PathGraph {
  const nodes = new Map<string, PathGraphNode>();
  const edges = new Map<string, PathGraphEdge>();
  const paths: PathSummary[] = [];
  const ordered = orderPaths(stored.filter((p) => p.steps.length > 0));
  const startNode = (): PathGraphNode => ({
    id: start.id,
    label: start.label,
    kind: 'start',
    identity: identityOfNode(start.id),
    targets: [],
    severity: 'high',
    highlighted: false,
  });

  ordered.forEach((path, index) => {
    const severity = pathSeverity(path);
    const drafts = draftSteps(path, index, start);
    const end = drafts[drafts.length - 1]!.to;
    const summary: PathSummary = {
      target: path.target,
      scope: path.scope,
      distance: path.distance,
      severity,
      clusterAdminEquivalent: path.clusterAdminEquivalent === true,
      shown: false,
      end: null,
    };
    paths.push(summary);

    const added = new Set<string>();
    if (!nodes.has(start.id)) added.add(start.id);
    for (const d of drafts) for (const id of [d.from, d.to]) if (!nodes.has(id)) added.add(id);
    if (nodes.size + added.size > maxNodes) return;

    // The first path drawn: the shortest path to the most severe target.
    const highlighted = !paths.some((p) => p.shown);
    if (!nodes.has(start.id)) nodes.set(start.id, startNode());
    const touch = (id: string, label: string) => {
      let n = nodes.get(id);
      if (!n) {
        const identity = identityOfNode(id);
        n = {
          id,
          label,
          kind: identity ? 'identity' : isTargetNode(id) ? 'target' : 'power',
          ...(identity ? { identity } : {}),
          targets: [],
          severity,
          highlighted,
        };
        nodes.set(id, n);
      }
      if (severity === 'critical') n.severity = 'critical';
      if (highlighted) n.highlighted = true;
      return n;
    };
    for (const d of drafts) {
      touch(d.from, d.fromLabel);
      touch(d.to, d.toLabel);
      if (d.from === d.to) continue; // a step within one node (nothing to draw)
      const key = `${d.from}|${d.to}|${d.step.kind}`;
      const e = edges.get(key);
      if (e) {
        if (severity === 'critical') e.severity = 'critical';
        if (highlighted) e.highlighted = true;
        continue;
      }
      edges.set(key, {
        id: `e${edges.size}`,
        source: d.from,
        target: d.to,
        kind: d.step.kind,
        capability: capabilityOf(d.step),
        text: d.step.text,
        grants: d.step.grants ?? [],
        severity,
        highlighted,
      });
    }
    const last = nodes.get(end)!;
    if (!last.targets.includes(path.target)) last.targets.push(path.target);
    if (last.kind === 'power') last.kind = 'target';
    summary.shown = true;
    summary.end = end;
  });

  return {
    nodes: [...nodes.values()],
    edges: [...edges.values()],
    paths,
    shownPaths: paths.filter((p) => p.shown).length,
    totalPaths: paths.length,
    maxNodes,
  };
}

/** One line per path, its steps below (the CLI's text and the graph's text equivalent). */
export function pathLines(stored: readonly StoredPath[]): string[] {
  const lines: string[] = [];
  for (const p of orderPaths(stored)) {
    const scope = p.scope === '*' ? 'cluster-wide' : p.scope;
    lines.push(
      `${p.target} (${scope}) — ${pathSeverity(p)}, ${p.distance} step${p.distance === 1 ? '' : 's'}` +
        (p.clusterAdminEquivalent ? ', cluster-admin equivalent' : ''),
    );
    p.steps.forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s.text}`);
      if (s.grants?.length) lines.push(`     granted by ${s.grants.map((g) => `${g.binding} → ${g.role}`).join(', ')}`);
    });
  }
  return lines;
}
