import { createHash } from 'node:crypto';
import { identityKey } from '@/lib/keys';
import { buildEscalationGraph, escalationOf } from './escalation';
import { escalationTargets, type TargetKind } from './escalation-targets';
import { bindingsFor } from './evaluator';
import type { RbacIndex } from './rbac-index';
import { listIdentities, reachOf, type IdentityRef } from './reach';
import { severityRank, type Severity } from './capabilities';
import type { GrantReason } from './types';

/** What is stored per identity after a collection: its reach and its shortest path to cluster-admin. */
export interface ReachRow {
  /** The identity's key (lib/keys.ts): `ServiceAccount/<ns>/<name>`, `User//<name>`, `Group//<name>`. */
  identityKey: string;
  /** Hash of the bindings designating the identity and their roles' rules: unchanged → reach unchanged. */
  fingerprint: string;
  namespaces: string[];
  allNamespaces: boolean;
  capabilities: {
    id: string;
    title: string;
    severity: Severity;
    /** `cluster-wide` or `namespace <name>`. */
    scope: string;
    effective: boolean;
    grants: { binding: string; role: string }[];
  }[];
  maxSeverity: Severity | null;
  /** `group`: the group through which the binding applies (null: it names the identity directly). */
  bindings: { kind: string; namespace: string; name: string; role: string; roleMissing: boolean; group: string | null }[];
}

export interface EscalationRow {
  identityKey: string;
  reachesClusterAdmin: boolean;
  distance: number | null;
  steps: { text: string; grants: { binding: string; role: string }[] }[];
  /** The shortest path to each target kind (escalation-targets.ts), cluster-admin included. */
  targets: EscalationTargetRow[];
}

/** One stored path to an escalation target (IdentityReach.escalationTargets). */
export interface EscalationTargetRow {
  target: TargetKind;
  /** "*", a namespace, or the identity whose token is obtained. */
  scope: string;
  distance: number;
  steps: {
    text: string;
    kind: string;
    grants?: { binding: string; role: string }[];
    /** The graph nodes the step goes from and to (escalation/model.ts ids, e.g. `sa:ns/name`), with their labels (format 3 on). */
    from?: string;
    to?: string;
    fromLabel?: string;
    toLabel?: string;
    /** The namespace the step acts in ("*": any), when it has one. */
    namespace?: string;
  }[];
  /** token-mint: the identity obtained is already cluster-admin-equivalent. */
  clusterAdminEquivalent?: boolean;
}

/**
 * Bumped whenever what a stored row holds (or how it is computed) changes, so that the next collection
 * recomputes every row instead of keeping ones made by older code.
 * 2: scope in words, namespaced reach, bindings through groups named.
 * 3: each granting binding → role listed once (two rules of one role no longer repeat it).
 */
export const REACH_FORMAT = 3;

/**
 * Bumped whenever the escalation rows change (or how they are computed), so the next collection
 * recomputes them. 2: every target kind (escalationTargets), namespaces' Pod Security levels read.
 * 3: target steps name the nodes they go from and to (the escalation graph on the identity page).
 */
export const ESCALATION_FORMAT = 3;

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

/** The inputs an identity's reach depends on: its bindings and the effective rules of their roles. */
export function reachFingerprint(index: RbacIndex, id: IdentityRef): string {
  const parts = bindingsFor(index, id).map(({ binding }) => [
    binding.kind,
    binding.namespace,
    binding.name,
    binding.roleRef.kind,
    binding.roleRef.name,
    binding.role?.rules ?? null,
  ]);
  parts.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return hash([REACH_FORMAT, parts]);
}

const grantRef = (g: GrantReason) => ({
  binding: `${g.binding.kind} ${g.binding.namespace ? `${g.binding.namespace}/` : ''}${g.binding.name}`,
  role: `${g.role.kind} ${g.role.namespace ? `${g.role.namespace}/` : ''}${g.role.name}`,
});

/**
 * The bindings → roles that grant something, each once and in order, at most `limit` of them. Reasons are
 * per rule, so two rules of one role granting the same capability would otherwise name the binding twice.
 */
export function grantRefs(reasons: readonly GrantReason[], limit: number): { binding: string; role: string }[] {
  const seen = new Map<string, { binding: string; role: string }>();
  for (const reason of reasons) {
    const ref = grantRef(reason);
    const key = `${ref.binding}\u0000${ref.role}`;
    if (!seen.has(key)) seen.set(key, ref);
    if (seen.size === limit) break;
  }
  return [...seen.values()];
}

/**
 * Yields reach rows for the identities whose fingerprint differs from `previous` (all of them on a first
 * run) — only subjects affected by a change are recomputed — and pushes the keys whose rows are
 * unchanged onto `unchanged`. Rows are made one at a time, so a caller that writes them in batches
 * never holds them all.
 */
export function* reachRows(index: RbacIndex, previous: ReadonlyMap<string, string>, unchanged: string[]): Generator<ReachRow> {
  for (const id of listIdentities(index)) {
    const key = identityKey(id);
    const fingerprint = reachFingerprint(index, id);
    if (previous.get(key) === fingerprint) {
      unchanged.push(key);
      continue;
    }
    const r = reachOf(index, id, { includeRules: false });
    const effective = r.capabilities.filter((c) => c.effective);
    const max = effective.reduce<Severity | null>(
      (m, c) => (m === null || severityRank(c.severity) > severityRank(m) ? c.severity : m),
      null,
    );
    yield {
      identityKey: key,
      fingerprint,
      namespaces: r.namespaces,
      allNamespaces: r.allNamespaces,
      capabilities: r.capabilities.map((c) => ({
        id: c.id,
        title: c.title,
        severity: c.severity,
        scope: c.scope.kind === 'cluster' ? 'cluster-wide' : `namespace ${c.scope.namespace}`,
        effective: c.effective,
        grants: grantRefs(c.grants, 10),
      })),
      maxSeverity: max,
      bindings: r.bindings.map((b) => ({
        kind: b.kind,
        namespace: b.namespace ?? '',
        name: b.name,
        role: `${b.roleRef.kind} ${b.roleRef.name}`,
        roleMissing: b.roleMissing,
        group: b.group ?? null,
      })),
    };
  }
}

/** All of `reachRows` at once (for tests and small inventories). */
export function materializeReach(
  index: RbacIndex,
  previous: ReadonlyMap<string, string>,
): { changed: ReachRow[]; unchanged: string[] } {
  const unchanged: string[] = [];
  const changed = [...reachRows(index, previous, unchanged)];
  return { changed, unchanged };
}

/** Hash of everything the escalation graph reads; unchanged → paths unchanged. */
export function escalationFingerprint(index: RbacIndex): string {
  const s = index.snapshot;
  // Order-independent, and light on memory at scale: sort short per-item digests, not the items' JSON.
  const sorted = (items: readonly unknown[]) =>
    items
      .map((i) => createHash('sha1').update(JSON.stringify(i)).digest('base64'))
      .sort()
      .join('');
  return hash([
    REACH_FORMAT,
    ESCALATION_FORMAT,
    Object.entries(s.podSecurity ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    sorted(index.bindings.map((b) => [b.kind, b.namespace, b.name, b.roleRef, b.subjects, b.role?.rules ?? null])),
    sorted(s.serviceAccounts ?? []),
    sorted(s.secrets ?? []),
    sorted(s.pods ?? []),
    sorted(s.nodes ?? []),
  ]);
}

/**
 * Shortest path to cluster-admin-equivalent, and to every other escalation target, for every identity.
 * The graph and its searches are global, so they are made once; the rows are made one at a time.
 */
export function* escalationRows(index: RbacIndex): Generator<EscalationRow> {
  const graph = buildEscalationGraph(index);
  const targets = escalationTargets(graph);
  for (const id of listIdentities(index)) {
    const e = escalationOf(graph, targets.clusterAdmin, id);
    yield {
      identityKey: identityKey(id),
      reachesClusterAdmin: e.reachesClusterAdmin,
      distance: e.reachesClusterAdmin ? (e.distance ?? 0) : null,
      steps: e.steps.map((s) => ({ text: s.text, grants: grantRefs(s.grants, 5) })),
      targets: targets.of(id).map((t) => ({
        target: t.target,
        scope: t.scope,
        distance: t.distance,
        steps: t.steps.map((s) => {
          const grants = grantRefs(s.grants, 5);
          return {
            text: s.text,
            kind: s.kind,
            ...(grants.length ? { grants } : {}),
            from: s.from,
            to: s.to,
            fromLabel: s.fromLabel,
            toLabel: s.toLabel,
            ...(s.detail.namespace !== undefined ? { namespace: s.detail.namespace } : {}),
          };
        }),
        ...(t.clusterAdminEquivalent !== undefined ? { clusterAdminEquivalent: t.clusterAdminEquivalent } : {}),
      })),
    };
  }
}

/** All of `escalationRows` at once (for tests and small inventories). */
export function materializeEscalation(index: RbacIndex): EscalationRow[] {
  return [...escalationRows(index)];
}
