/**
 * What-if (issue 14, item 6), pure: a ServiceAccount's reach, escalation paths, posture findings and risk score
 * before and after hypothetical RBAC changes — bindings removed, bindings to existing roles added, the suggested
 * least-privilege Roles applied (lib/behaviour/least-privilege.ts documents) — computed on an RBAC snapshot, as the
 * admission webhook judges a hypothetical binding against the collected RBAC (lib/admission/review.ts). No
 * database, no clock; nothing is written anywhere.
 *
 * The snapshot is either a whole cluster (tests, small clusters: the result is exact) or, at scale, the part of it
 * the identity's own edges need (lib/whatif/load.ts: every role, the bindings that apply to the identity, the
 * namespaces, a few of the strongest ServiceAccounts per namespace with their pods and token Secrets) together with
 * the stored escalation facts of those other ServiceAccounts (`others`, as the last collection computed them). Then
 * a path is either found in the snapshot's graph, or is a prefix in that graph up to another ServiceAccount
 * followed by that account's stored path ("via"). Limits of that mode: another account's stored path is taken as
 * it was computed, also where it went through this identity's old grants; token-mint compares powers within the
 * snapshot only; namespace control already held through another account is not known.
 */
import { TARGET_LABELS, scoreIdentity, type AnomalyFact, type Factor, type FindingFact, type RiskScore } from '@/lib/risk/score';
import type { RiskWeights } from '@/lib/risk/weights';
import { evaluatePosture, POSTURE_RULES, type GrantedRole, type IdentitySubject } from '@/lib/findings/rules';
import type { FindingsPolicy } from '@/lib/findings/policy';
import { roleKey } from '@/lib/keys';
import { buildEscalationGraph, foldSteps, identityNodeId, type Edge, type EscalationGraph } from '@/lib/rbac/escalation';
import { escalationTargets, type TargetKind } from '@/lib/rbac/escalation-targets';
import { snapshotFromObjects } from '@/lib/rbac/load';
import { buildIndex } from '@/lib/rbac/rbac-index';
import { reachOf, type IdentityRef } from '@/lib/rbac/reach';
import { serviceAccountUser, subjectAppliesTo } from '@/lib/rbac/subjects';
import type { Severity } from '@/lib/rbac/capabilities';
import type { ClusterRoleBinding, PolicyRule, RbacSnapshot, RoleBinding } from '@/lib/rbac/types';

/** A binding by kind, namespace ("" for a ClusterRoleBinding) and name. */
export interface BindingKey {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace: string;
  name: string;
}

/** A binding of the identity to an existing role: a RoleBinding in `namespace`, else a ClusterRoleBinding. */
export interface AddedBinding {
  roleKind: 'Role' | 'ClusterRole';
  roleName: string;
  /** Required for a Role (its namespace); for a ClusterRole, a RoleBinding in that namespace. */
  namespace?: string;
}

export interface WhatIfChanges {
  removeBindings: readonly BindingKey[];
  addBindings: readonly AddedBinding[];
  /** The suggested least-privilege fix: its objects (Roles, RoleBindings…) and the bindings it replaces. */
  leastPrivilege?: { documents: readonly unknown[]; replaces: readonly BindingKey[] } | null;
}

/** Another ServiceAccount's stored escalation facts (IdentityReach), for paths that go through it. */
export interface OtherIdentityFacts {
  /** Distance to cluster-admin (null: none). */
  distance: number | null;
  steps: string[];
  targets: { target: TargetKind; scope: string; distance: number; steps: string[] }[];
}

export interface WhatIfModel {
  snapshot: RbacSnapshot;
  identity: {
    namespace: string;
    name: string;
    builtIn: boolean;
    owners: string[];
    workloads: { kind: string; name: string; app: string | null }[];
  };
  /** Stored facts of other ServiceAccounts by escalation node id (`sa:<ns>/<name>`); absent: the snapshot is whole. */
  others?: ReadonlyMap<string, OtherIdentityFacts>;
  risk: {
    /** Its open findings as stored (posture identity rules are recomputed; the others are kept as they are). */
    findings: FindingFact[];
    /** Rules whose finding about it is excepted: a recomputed finding of these rules does not count. */
    exceptedRules?: string[];
    anomalies: AnomalyFact[];
    workloads: { id: string; label: string }[];
    owned: boolean;
    href: string;
  };
  weights: RiskWeights;
  policy?: FindingsPolicy;
}

export interface BindingView {
  key: string;
  kind: string;
  namespace: string;
  name: string;
  role: string;
  roleMissing: boolean;
  group: string | null;
}
export interface PermissionView {
  key: string;
  /** `cluster-wide` or `namespace <ns>`. */
  scope: string;
  /** `apiGroup/resource` (core group: `resource`), or `URL <path>` for a non-resource URL. */
  resource: string;
  verbs: string[];
  /** Only these objects (resourceNames), when every rule granting it names some. */
  names: string[];
}
export interface CapabilityView {
  key: string;
  id: string;
  title: string;
  severity: Severity;
  scope: string;
}
export interface TargetView {
  key: string;
  target: TargetKind;
  label: string;
  scope: string;
  distance: number;
  steps: string[];
  /** The other ServiceAccount whose stored path it continues with (null: found whole). */
  via: string | null;
}
export interface FindingView {
  ruleId: string;
  title: string;
  severity: Severity;
  explanation: string;
  /** Excepted for this identity: shown, not counted in the score. */
  excepted: boolean;
}

export interface WhatIfSide {
  bindings: BindingView[];
  permissions: PermissionView[];
  capabilities: CapabilityView[];
  escalation: {
    reachesClusterAdmin: boolean;
    /** Steps to cluster-admin (0: already is; null: no path). */
    distance: number | null;
    steps: string[];
    targets: TargetView[];
    /** Other identities it can obtain the credentials of or act as (escalation graph), sorted. */
    identities: string[];
  };
  findings: FindingView[];
  score: RiskScore;
}

export interface ListDelta<T> {
  added: T[];
  removed: T[];
}
export interface PermissionChange {
  scope: string;
  resource: string;
  before: string[];
  after: string[];
  change: 'added' | 'removed' | 'changed';
}
export interface FactorChange {
  factor: string;
  before: { name: string; points: number } | null;
  after: { name: string; points: number } | null;
  change: number;
}

export interface WhatIfResult {
  identity: string;
  /** Changes applied, in words (`removed RoleBinding shop/x`, `added ClusterRoleBinding what-if-1 → ClusterRole view`). */
  applied: string[];
  /** Changes that could not be applied (unknown binding or role), in words. */
  warnings: string[];
  before: WhatIfSide;
  after: WhatIfSide;
  delta: {
    bindings: ListDelta<BindingView>;
    permissions: PermissionChange[];
    capabilities: ListDelta<CapabilityView>;
    clusterAdmin: { before: number | null; after: number | null };
    targets: ListDelta<TargetView> & { changed: { before: TargetView; after: TargetView }[] };
    identities: ListDelta<string>;
    findings: { resolved: FindingView[]; appeared: FindingView[] };
    score: { before: number; after: number; change: number; factors: FactorChange[] };
  };
}

const IDENTITY_RULES = new Set(POSTURE_RULES.filter((r) => r.subject === 'identity').map((r) => r.id));
const NAMESPACE_LIMIT = 20;
const IDENTITIES_LIMIT = 200;

export const bindingKeyText = (b: BindingKey) => `${b.kind} ${b.kind === 'RoleBinding' ? `${b.namespace}/` : ''}${b.name}`;
const bindingId = (b: { kind: string; namespace?: string; name: string }) =>
  `${b.kind}/${b.kind === 'RoleBinding' ? (b.namespace ?? '') : ''}/${b.name}`;

// ---- changes ------------------------------------------------------------------------------------

/** The snapshot with the changes applied; what was applied and what could not be, in words. */
export function applyChanges(
  snapshot: RbacSnapshot,
  identity: { namespace: string; name: string },
  changes: WhatIfChanges,
): { snapshot: RbacSnapshot; applied: string[]; warnings: string[] } {
  const applied: string[] = [];
  const warnings: string[] = [];
  let roles = [...snapshot.roles];
  let clusterRoles = [...snapshot.clusterRoles];
  let roleBindings = [...snapshot.roleBindings];
  let clusterRoleBindings = [...snapshot.clusterRoleBindings];

  const remove = (b: BindingKey, why: string) => {
    const id = bindingId(b);
    if (b.kind === 'RoleBinding') {
      const n = roleBindings.length;
      roleBindings = roleBindings.filter(
        (x) => bindingId({ kind: x.kind, namespace: x.metadata.namespace, name: x.metadata.name }) !== id,
      );
      if (roleBindings.length === n) return warnings.push(`${bindingKeyText(b)} does not exist`);
    } else {
      const n = clusterRoleBindings.length;
      clusterRoleBindings = clusterRoleBindings.filter((x) => x.metadata.name !== b.name);
      if (clusterRoleBindings.length === n) return warnings.push(`${bindingKeyText(b)} does not exist`);
    }
    applied.push(`removed ${bindingKeyText(b)}${why}`);
  };
  for (const b of changes.removeBindings) remove(b, '');

  if (changes.leastPrivilege) {
    const removed = new Set(changes.removeBindings.map(bindingId));
    for (const b of changes.leastPrivilege.replaces)
      if (!removed.has(bindingId(b))) remove(b, ' (replaced by the least-privilege Role)');
    const read = snapshotFromObjects(changes.leastPrivilege.documents, { defaultNamespace: identity.namespace }).snapshot;
    const sameName = <T extends { metadata: { name: string; namespace?: string } }>(list: T[], add: T[]) => {
      const keys = new Set(add.map((x) => `${x.metadata.namespace ?? ''}/${x.metadata.name}`));
      return [...list.filter((x) => !keys.has(`${x.metadata.namespace ?? ''}/${x.metadata.name}`)), ...add];
    };
    roles = sameName(roles, read.roles);
    clusterRoles = sameName(clusterRoles, read.clusterRoles);
    roleBindings = sameName(roleBindings, read.roleBindings);
    clusterRoleBindings = sameName(clusterRoleBindings, read.clusterRoleBindings);
    for (const r of [...read.roles, ...read.clusterRoles])
      applied.push(`added ${r.kind} ${r.kind === 'Role' ? `${r.metadata.namespace}/` : ''}${r.metadata.name} (least privilege)`);
    for (const b of [...read.roleBindings, ...read.clusterRoleBindings])
      applied.push(
        `added ${bindingKeyText({ kind: b.kind, namespace: b.metadata.namespace ?? '', name: b.metadata.name })} → ${b.roleRef.kind} ${b.roleRef.name} (least privilege)`,
      );
  }

  const subject = { kind: 'ServiceAccount', name: identity.name, namespace: identity.namespace };
  changes.addBindings.forEach((a, i) => {
    const role = `${a.roleKind} ${a.roleKind === 'Role' ? `${a.namespace ?? '?'}/` : ''}${a.roleName}`;
    if (a.roleKind === 'Role' && !a.namespace) return warnings.push(`${role}: a Role needs its namespace`);
    const exists =
      a.roleKind === 'Role'
        ? roles.some((r) => r.metadata.namespace === a.namespace && r.metadata.name === a.roleName)
        : clusterRoles.some((r) => r.metadata.name === a.roleName);
    if (!exists) return warnings.push(`${role} does not exist in the cluster`);
    const name = `what-if-${i + 1}-${a.roleName}`.slice(0, 253);
    const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: a.roleKind, name: a.roleName };
    if (a.namespace) {
      roleBindings.push({
        kind: 'RoleBinding',
        metadata: { name, namespace: a.namespace },
        subjects: [subject],
        roleRef,
      } satisfies RoleBinding);
      applied.push(`added RoleBinding ${a.namespace}/${name} → ${role}`);
    } else {
      clusterRoleBindings.push({
        kind: 'ClusterRoleBinding',
        metadata: { name },
        subjects: [subject],
        roleRef,
      } satisfies ClusterRoleBinding);
      applied.push(`added ClusterRoleBinding ${name} → ${role}`);
    }
  });
  return { snapshot: { ...snapshot, roles, clusterRoles, roleBindings, clusterRoleBindings }, applied, warnings };
}

// ---- one side -----------------------------------------------------------------------------------

/** Each rule as (scope, resource) → verbs, so that two sides compare row by row. */
function permissionsOf(reach: ReturnType<typeof reachOf>): PermissionView[] {
  const rows = new Map<string, { scope: string; resource: string; verbs: Set<string>; names: Set<string>; all: boolean }>();
  const add = (scope: string, rule: PolicyRule) => {
    const targets = rule.nonResourceURLs?.length
      ? rule.nonResourceURLs.map((u) => `URL ${u}`)
      : (rule.apiGroups?.length ? rule.apiGroups : ['']).flatMap((g) => (rule.resources ?? []).map((r) => (g ? `${g}/${r}` : r)));
    for (const resource of targets) {
      const key = `${scope}|${resource}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { scope, resource, verbs: new Set(), names: new Set(), all: false }));
      for (const v of rule.verbs) row.verbs.add(v);
      if (rule.resourceNames?.length) for (const n of rule.resourceNames) row.names.add(n);
      else row.all = true;
    }
  };
  for (const g of reach.clusterRules) add('cluster-wide', g.rule);
  for (const ns of reach.namespaceRules) for (const g of ns.rules) add(`namespace ${ns.namespace}`, g.rule);
  return [...rows.entries()]
    .map(([key, r]) => ({
      key,
      scope: r.scope,
      resource: r.resource,
      verbs: [...r.verbs].sort(),
      names: r.all ? [] : [...r.names].sort(),
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** 0-1 BFS forward from one node: distance and the edge that reached each node first. */
function forward(graph: EscalationGraph, from: string): { distance: Map<string, number>; via: Map<string, Edge> } {
  const distance = new Map<string, number>([[from, 0]]);
  const via = new Map<string, Edge>();
  const done = new Set<string>();
  let layer = [from];
  while (layer.length) {
    const upcoming: string[] = [];
    for (let i = 0; i < layer.length; i++) {
      const node = layer[i] as string;
      if (done.has(node)) continue;
      done.add(node);
      const d = distance.get(node) as number;
      for (const e of graph.out.get(node) ?? []) {
        if (done.has(e.to)) continue;
        const nd = d + e.weight;
        const old = distance.get(e.to);
        if (old === undefined || nd < old) {
          distance.set(e.to, nd);
          via.set(e.to, e);
          if (e.weight === 0) layer.push(e.to);
          else upcoming.push(e.to);
        }
      }
    }
    layer = upcoming;
  }
  return { distance, via };
}

const targetKey = (t: { target: string; scope: string }) => `${t.target}|${t.scope}`;
const targetLabel = (t: TargetKind) => (t === 'cluster-admin' ? 'cluster-admin' : TARGET_LABELS[t]);

function escalationOfIdentity(
  snapshotIndex: ReturnType<typeof buildIndex>,
  id: IdentityRef & { kind: 'ServiceAccount' },
  others?: ReadonlyMap<string, OtherIdentityFacts>,
): WhatIfSide['escalation'] {
  const graph = buildEscalationGraph(snapshotIndex);
  const start = identityNodeId(id);
  const found: TargetView[] = escalationTargets(graph, { namespaceLimit: NAMESPACE_LIMIT })
    .of(id)
    .map((t) => ({
      key: targetKey(t),
      target: t.target,
      label: targetLabel(t.target),
      scope: t.scope,
      distance: t.distance,
      steps: t.steps.map((s) => s.text),
      via: null,
    }));
  const best = new Map(found.map((t) => [t.key, t]));
  const fwd = forward(graph, start);
  const identities: string[] = [];
  for (const [node, d] of fwd.distance) {
    if (node === start || !graph.nodes.get(node)?.identity) continue;
    identities.push(graph.nodes.get(node)?.label ?? node);
    const other = others?.get(node);
    if (!other) continue;
    const raw: Edge[] = [];
    for (let e = fwd.via.get(node); e; e = e.from === start ? undefined : fwd.via.get(e.from)) raw.unshift(e);
    const prefix = foldSteps(graph, raw).map((s) => s.text);
    const label = graph.nodes.get(node)?.label ?? node;
    const candidates = [
      ...(other.distance !== null
        ? [{ target: 'cluster-admin' as TargetKind, scope: '*', distance: other.distance, steps: other.steps }]
        : []),
      ...other.targets.filter((t) => t.target !== 'cluster-admin'),
    ];
    for (const c of candidates) {
      if (c.target === 'other-namespace-secrets' && c.scope === id.namespace) continue;
      if (c.target === 'token-mint' && c.scope === label) continue;
      const t: TargetView = {
        key: targetKey(c),
        target: c.target,
        label: targetLabel(c.target),
        scope: c.scope,
        distance: d + c.distance,
        steps: [...prefix, ...c.steps],
        via: label,
      };
      const old = best.get(t.key);
      if (!old || t.distance < old.distance) best.set(t.key, t);
    }
  }
  // As escalation-targets.ts shapes them: one path per kind, namespaces nearest first.
  const byKind = (k: TargetKind) =>
    [...best.values()]
      .filter((t) => t.target === k)
      .sort((a, b) => a.distance - b.distance || (a.scope === '*' ? -1 : b.scope === '*' ? 1 : a.scope.localeCompare(b.scope)));
  const targets = [
    ...byKind('cluster-admin').slice(0, 1),
    ...byKind('namespace-admin').slice(0, NAMESPACE_LIMIT),
    ...byKind('other-namespace-secrets').slice(0, 1),
    ...byKind('token-mint').slice(0, 1),
    ...byKind('node').slice(0, 1),
  ];
  const admin = targets.find((t) => t.target === 'cluster-admin');
  return {
    reachesClusterAdmin: admin !== undefined,
    distance: admin ? admin.distance : null,
    steps: admin ? admin.steps : [],
    targets,
    identities: identities.sort().slice(0, IDENTITIES_LIMIT),
  };
}

/**
 * Subset mode: every binding that applies to the identity names it alone (the other accounts' paths come from
 * their stored facts, so their actors need no grants: the graph is then built for this identity's edges only), and
 * the group through which each applied. Bindings that do not apply to it are left out.
 */
function focus(snapshot: RbacSnapshot, identity: { namespace: string; name: string }) {
  const user = serviceAccountUser(identity.namespace, identity.name);
  const self = { kind: 'ServiceAccount', namespace: identity.namespace, name: identity.name };
  const groups = new Map<string, string>();
  const keep = <B extends RoleBinding | ClusterRoleBinding>(b: B): B | null => {
    const ns = b.kind === 'RoleBinding' ? (b.metadata.namespace ?? '') : '';
    const applying = b.subjects.find((x) => subjectAppliesTo(user, x, ns));
    if (!applying) return null;
    if (applying.kind === 'Group') groups.set(bindingId({ kind: b.kind, namespace: ns, name: b.metadata.name }), applying.name);
    return { ...b, subjects: [self] };
  };
  const roleBindings = snapshot.roleBindings.map(keep).filter((b): b is RoleBinding => b !== null);
  const clusterRoleBindings = snapshot.clusterRoleBindings.map(keep).filter((b): b is ClusterRoleBinding => b !== null);
  // Roles: those its RoleBindings grant, and those holding every permission (what binding a role could reach).
  const granted = new Set(
    roleBindings.filter((b) => b.roleRef.kind === 'Role').map((b) => `${b.metadata.namespace}/${b.roleRef.name}`),
  );
  const roles = snapshot.roles.filter(
    (r) =>
      granted.has(`${r.metadata.namespace}/${r.metadata.name}`) ||
      r.rules.some((x) => x.verbs.includes('*') && (x.resources ?? []).includes('*') && (x.apiGroups ?? []).includes('*')),
  );
  // Collected ClusterRoles carry the rules the aggregation controller wrote (lib/data/rbac.ts): no need to aggregate again.
  const clusterRoles = snapshot.clusterRoles.map(({ aggregationRule: _aggregated, ...r }) => r);
  return { snapshot: { ...snapshot, roles, clusterRoles, roleBindings, clusterRoleBindings }, groups };
}

function sideOf(model: WhatIfModel, full: RbacSnapshot): WhatIfSide {
  const focused = model.others ? focus(full, model.identity) : null;
  const snapshot = focused ? focused.snapshot : full;
  const index = buildIndex(snapshot);
  const id = { kind: 'ServiceAccount' as const, namespace: model.identity.namespace, name: model.identity.name };
  const reach = reachOf(index, id);
  const rulesOf = new Map(index.roleList.map((r) => [r.key, r.rules]));
  const bindings: BindingView[] = reach.bindings.map((b) => ({
    key: bindingId(b),
    kind: b.kind,
    namespace: b.kind === 'RoleBinding' ? (b.namespace ?? '') : '',
    name: b.name,
    role: `${b.roleRef.kind} ${b.roleRef.name}`,
    roleMissing: b.roleMissing,
    group: b.group ?? focused?.groups.get(bindingId(b)) ?? null,
  }));
  const capabilities: CapabilityView[] = reach.capabilities
    .filter((c) => c.effective)
    .map((c) => {
      const scope = c.scope.kind === 'cluster' ? 'cluster-wide' : `namespace ${c.scope.namespace}`;
      return { key: `${c.id}|${scope}`, id: c.id, title: c.title, severity: c.severity, scope };
    });
  const escalation = escalationOfIdentity(index, id, model.others);

  const grants: GrantedRole[] = bindings.map((b) => {
    const [roleKind, roleName] = b.role.split(' ') as [string, string];
    return {
      binding: b.kind === 'ClusterRoleBinding' ? `ClusterRoleBinding ${b.name}` : `RoleBinding ${b.namespace}/${b.name}`,
      role: b.role,
      clusterWide: b.kind === 'ClusterRoleBinding',
      group: b.group,
      rules: b.roleMissing
        ? null
        : (rulesOf.get(roleKey({ kind: roleKind, namespace: roleKind === 'Role' ? b.namespace : '', name: roleName })) ?? null),
    };
  });
  const subject: IdentitySubject = {
    key: `ServiceAccount/${id.namespace}/${id.name}`,
    namespace: id.namespace,
    name: id.name,
    builtIn: model.identity.builtIn,
    owners: model.identity.owners,
    grants,
    capabilities: capabilities.map(({ id: capId, title, severity, scope }) => ({ id: capId, title, severity, scope })),
    escalationDistance: escalation.distance,
    escalationSteps: escalation.steps.map((text) => ({ text })),
    escalationTargets: escalation.targets.map((t) => ({
      target: t.target,
      scope: t.scope,
      distance: t.distance,
      steps: t.steps.map((text) => ({ text })),
    })),
    workloads: model.identity.workloads,
  };
  const excepted = new Set(model.risk.exceptedRules ?? []);
  const findings: FindingView[] = evaluatePosture([subject], [], model.policy ? { policy: model.policy } : {})
    .filter((f) => IDENTITY_RULES.has(f.ruleId))
    .map((f) => ({
      ruleId: f.ruleId,
      title: f.title,
      severity: f.severity,
      explanation: f.explanation,
      excepted: excepted.has(f.ruleId),
    }))
    .sort((a, b) => a.ruleId.localeCompare(b.ruleId));

  // The score: the stored findings of other rules as they are, the posture identity rules as recomputed here.
  const storedId = new Map(model.risk.findings.map((f) => [f.ruleId, f.id]));
  const scoredFindings: FindingFact[] = [
    ...model.risk.findings.filter((f) => !IDENTITY_RULES.has(f.ruleId)),
    ...findings
      .filter((f) => !f.excepted)
      .map((f) => ({
        id: storedId.get(f.ruleId) ?? `what-if-${f.ruleId}`,
        ruleId: f.ruleId,
        severity: f.severity,
        title: f.title,
      })),
  ];
  const score = scoreIdentity(
    {
      name: `${id.namespace}/${id.name}`,
      escalationDistance: escalation.distance,
      escalationSteps: escalation.steps,
      targets: escalation.targets.filter((t) => t.target !== 'cluster-admin'),
      capabilities,
      findings: scoredFindings,
      anomalies: model.risk.anomalies,
      workloads: model.risk.workloads,
      owned: model.risk.owned,
      href: model.risk.href,
    },
    model.weights,
  );
  return { bindings, permissions: permissionsOf(reach), capabilities, escalation, findings, score };
}

// ---- deltas -------------------------------------------------------------------------------------

function listDelta<T>(before: readonly T[], after: readonly T[], key: (x: T) => string): ListDelta<T> {
  const b = new Set(before.map(key));
  const a = new Set(after.map(key));
  return { added: after.filter((x) => !b.has(key(x))), removed: before.filter((x) => !a.has(key(x))) };
}

/** The family of a score factor (its name carries counts, so names of one family differ between sides). */
export function factorFamily(name: string): string {
  if (name.startsWith('Holds cluster-admin') || name.startsWith('Path to cluster-admin')) return 'Path to cluster-admin';
  if (name.startsWith('That power is in the hands')) return 'Power held by an anomalous identity';
  if (name.startsWith('Can escalate to')) return 'Other escalation targets';
  if (name.startsWith('Token used by')) return 'Token exposure';
  const paren = name.indexOf(' (');
  return paren > 0 ? name.slice(0, paren) : name;
}

function factorChanges(before: readonly Factor[], after: readonly Factor[]): FactorChange[] {
  const families = [...new Set([...before, ...after].map((f) => factorFamily(f.name)))];
  return families
    .map((factor) => {
      const b = before.find((f) => factorFamily(f.name) === factor);
      const a = after.find((f) => factorFamily(f.name) === factor);
      return {
        factor,
        before: b ? { name: b.name, points: b.points } : null,
        after: a ? { name: a.name, points: a.points } : null,
        change: (a?.points ?? 0) - (b?.points ?? 0),
      };
    })
    .filter((f) => f.change !== 0 || f.before?.name !== f.after?.name);
}

function permissionChanges(before: readonly PermissionView[], after: readonly PermissionView[]): PermissionChange[] {
  const b = new Map(before.map((p) => [p.key, p]));
  const a = new Map(after.map((p) => [p.key, p]));
  const text = (p: PermissionView | undefined) =>
    p ? p.verbs.map((v) => (p.names.length ? `${v} (${p.names.join(', ')})` : v)) : [];
  const out: PermissionChange[] = [];
  for (const key of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const x = b.get(key);
    const y = a.get(key);
    const bt = text(x);
    const at = text(y);
    if (bt.join(',') === at.join(',')) continue;
    const p = (x ?? y) as PermissionView;
    out.push({ scope: p.scope, resource: p.resource, before: bt, after: at, change: !x ? 'added' : !y ? 'removed' : 'changed' });
  }
  return out;
}

/** Before, after and what changed (see the module comment). */
export function simulate(model: WhatIfModel, changes: WhatIfChanges): WhatIfResult {
  const changed = applyChanges(model.snapshot, model.identity, changes);
  const before = sideOf(model, model.snapshot);
  const after = sideOf(model, changed.snapshot);
  const targets = listDelta(before.escalation.targets, after.escalation.targets, (t) => t.key);
  const afterTargets = new Map(after.escalation.targets.map((t) => [t.key, t]));
  const findingKey = (f: FindingView) => `${f.ruleId}|${f.severity}|${f.excepted}`;
  return {
    identity: `${model.identity.namespace}/${model.identity.name}`,
    applied: changed.applied,
    warnings: changed.warnings,
    before,
    after,
    delta: {
      bindings: listDelta(before.bindings, after.bindings, (b) => `${b.key}|${b.role}`),
      permissions: permissionChanges(before.permissions, after.permissions),
      capabilities: listDelta(before.capabilities, after.capabilities, (c) => c.key),
      clusterAdmin: { before: before.escalation.distance, after: after.escalation.distance },
      targets: {
        ...targets,
        changed: before.escalation.targets
          .filter((t) => afterTargets.has(t.key) && afterTargets.get(t.key)!.distance !== t.distance)
          .map((t) => ({ before: t, after: afterTargets.get(t.key)! })),
      },
      identities: listDelta(before.escalation.identities, after.escalation.identities, (x) => x),
      findings: (() => {
        const d = listDelta(before.findings, after.findings, findingKey);
        return { resolved: d.removed, appeared: d.added };
      })(),
      score: {
        before: before.score.score,
        after: after.score.score,
        change: after.score.score - before.score.score,
        factors: factorChanges(before.score.factors, after.score.factors),
      },
    },
  };
}
