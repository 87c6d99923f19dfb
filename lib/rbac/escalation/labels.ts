/**
 * The k nearest labelled targets of every node, in one search on reversed edges.
 *
 * `distancesTo` answers "how far is every node from one target". Some targets come in families — the
 * Secrets of each namespace, control of each namespace, the token of each identity — and a node wants
 * its few nearest members of the family, not only the nearest one (the nearest may be its own
 * namespace, or an identity weaker than itself). Each target is a seed with a label; the search
 * settles (node, label) pairs in order of distance (0-1 BFS by layers) and lets each node settle at
 * most `k` labels. That keeps the k nearest labels of every node exactly: if a label is among a node's
 * k nearest, it is among the k nearest of the next node on its shortest path (a closer label there
 * would be closer here too). Work is at most k times one search.
 *
 * Nodes are numbered once per graph (`reverseGraph`), so the searches index arrays, not maps.
 */
import type { Edge, EscalationGraph } from './model';

/** The graph's edges by the node they enter, with nodes numbered. */
export interface ReverseGraph {
  indexOf: ReadonlyMap<string, number>;
  /** Edges entering each node, the numbers of the nodes they leave, and their weights (kept apart: read first). */
  incoming: Edge[][];
  incomingFrom: Int32Array[];
  incomingWeight: Uint8Array[];
}

export function reverseGraph(graph: EscalationGraph): ReverseGraph {
  const indexOf = new Map<string, number>();
  const number = (id: string) => {
    let i = indexOf.get(id);
    if (i === undefined) indexOf.set(id, (i = indexOf.size));
    return i;
  };
  for (const id of graph.nodes.keys()) number(id);
  const byTarget: Edge[][] = [];
  for (const e of graph.edges) {
    number(e.from);
    const t = number(e.to);
    (byTarget[t] ??= []).push(e);
  }
  const incoming: Edge[][] = [];
  const incomingFrom: Int32Array[] = [];
  const incomingWeight: Uint8Array[] = [];
  for (let i = 0; i < indexOf.size; i++) {
    const list = byTarget[i] ?? [];
    incoming.push(list);
    incomingFrom.push(Int32Array.from(list, (e) => indexOf.get(e.from) as number));
    incomingWeight.push(Uint8Array.from(list, (e) => e.weight));
  }
  return { indexOf, incoming, incomingFrom, incomingWeight };
}

export interface LabelSeed {
  /** Where the labelled path ends (a target node, or the actor taking the last step). */
  node: string;
  label: string;
  distance: number;
  /** Edges from `node` to the target itself, when `node` is not the target (e.g. the last step and its helper hops). */
  tail?: Edge[];
}

export interface LabelHit {
  label: string;
  distance: number;
}

interface Entry {
  node: number;
  label: string;
  distance: number;
  /** First edge of a shortest path to the label; undefined at a seed. */
  next?: Edge;
  tail?: Edge[];
  done: boolean;
}

export interface NearestLabels {
  /** The settled labels of a node, nearest first. */
  at(node: string): LabelHit[];
  /** The edges of a shortest path from a node to a label it settled. */
  path(from: string, label: string): Edge[] | undefined;
}

export interface LabelSearchOptions {
  /** A helper node whose MEMBER edges are left out of the search (its members are reached another way). */
  skipMembersOf?: string;
  /**
   * A label that stands for all the others (e.g. "*", every namespace): once a node settles it, labels no
   * nearer are of no use to the node nor to any node whose path goes through it, so the node takes no more.
   */
  all?: string;
}

/** Searches the reversed graph from the seeds (seeds on nodes the graph does not know are ignored). */
export function nearestLabels(
  rg: ReverseGraph,
  seeds: readonly LabelSeed[],
  k: number,
  options: LabelSearchOptions = {},
): NearestLabels {
  const { all } = options;
  const skipFrom = options.skipMembersOf === undefined ? -1 : (rg.indexOf.get(options.skipMembersOf) ?? -1);
  const n = rg.incoming.length;
  /** No more labels: it holds k, or the label that stands for all of them. */
  const closed = new Uint8Array(n);
  const settled: (Entry[] | undefined)[] = new Array(n);
  /** Labels offered to each node (settled ones stay: done), by label. */
  const offered: (Map<string, Entry> | undefined)[] = new Array(n);
  /** How many pending entries each node has at the current distance and at the next one. */
  const pendingNow = new Int32Array(n);
  const pendingNext = new Int32Array(n);
  let current = 0;
  let now: Entry[] = [];
  let next: Entry[] = [];

  const countPending = (node: number, distance: number, by: number) => {
    if (distance === current) pendingNow[node] = (pendingNow[node] as number) + by;
    else pendingNext[node] = (pendingNext[node] as number) + by;
  };
  /**
   * Offers a label to a node at the current distance or the next one. Refused when the node already
   * holds k labels settled or pending at no greater distance: those settle first, so this one could
   * never be among its k nearest.
   */
  const offer = (node: number, label: string, distance: number, via: Edge | undefined, tail: Edge[] | undefined) => {
    if (closed[node]) return;
    let p = offered[node];
    const ex = p?.get(label);
    if (ex && (ex.done || ex.distance <= distance)) return;
    const held =
      (settled[node]?.length ?? 0) + (pendingNow[node] as number) + (distance === current ? 0 : (pendingNext[node] as number));
    if (held >= k) return;
    if (ex) {
      countPending(node, ex.distance, -1);
      ex.distance = distance;
      ex.next = via;
      ex.tail = tail;
    } else {
      if (!p) offered[node] = p = new Map();
      const entry: Entry = { node, label, distance, next: via, tail, done: false };
      p.set(label, entry);
      (distance === current ? now : next).push(entry);
      countPending(node, distance, 1);
      return;
    }
    countPending(node, distance, 1);
    (distance === current ? now : next).push(ex);
  };

  // Seeds by distance (0 or more); each layer is seeded before it is processed.
  const seedLayers: LabelSeed[][] = [];
  for (const s of seeds) (seedLayers[s.distance] ??= []).push(s);
  const seedLayer = (d: number) => {
    for (const s of seedLayers[d] ?? []) {
      const i = rg.indexOf.get(s.node);
      if (i !== undefined) offer(i, s.label, d, undefined, s.tail);
    }
  };
  seedLayer(0);
  for (current = 0; now.length || next.length || current < seedLayers.length;) {
    for (let i = 0; i < now.length; i++) {
      const entry = now[i] as Entry;
      if (entry.done || entry.distance !== current) continue;
      const node = entry.node;
      entry.done = true;
      if (closed[node]) continue;
      pendingNow[node] = (pendingNow[node] as number) - 1;
      const list = (settled[node] ??= []);
      list.push(entry);
      if (list.length >= k || entry.label === all) {
        closed[node] = 1;
        offered[node] = undefined;
      }
      const from = rg.incomingFrom[node] as Int32Array;
      const weight = rg.incomingWeight[node] as Uint8Array;
      for (let j = 0; j < from.length; j++) {
        // Most offers go to nodes already full: decided without touching the edge object.
        const u = from[j] as number;
        if (closed[u]) continue;
        const e = (rg.incoming[node] as Edge[])[j] as Edge;
        if (u === skipFrom && e.kind === 'MEMBER') continue;
        offer(u, entry.label, current + (weight[j] as number), e, undefined);
      }
    }
    // Next layer: what was offered at distance + 1 becomes current.
    current++;
    now = next;
    next = [];
    pendingNow.set(pendingNext);
    pendingNext.fill(0);
    seedLayer(current);
  }

  const find = (node: string, label: string) => {
    const i = rg.indexOf.get(node);
    return i === undefined ? undefined : settled[i]?.find((x) => x.label === label);
  };
  const ids = [...rg.indexOf.keys()];
  return {
    at(node) {
      const i = rg.indexOf.get(node);
      return i === undefined ? [] : (settled[i] ?? []).map((x) => ({ label: x.label, distance: x.distance }));
    },
    path(from, label) {
      const raw: Edge[] = [];
      let cur = from;
      for (let guard = 0; guard <= ids.length; guard++) {
        const entry = find(cur, label);
        if (!entry) return undefined;
        if (!entry.next) return [...raw, ...(entry.tail ?? [])];
        raw.push(entry.next);
        cur = entry.next.to;
      }
      return undefined;
    },
  };
}
