/**
 * The posture rules' subjects from Kubernetes objects, without a database: manifests before they are deployed
 * (a later `nhi check` in CI), a corpus scenario in a test, a dump. The objects go through the collector's own
 * steps — the dump reader (Secrets sanitised), the normaliser (workloads resolved to their top-level owner,
 * identities, owner hints, NetworkPolicies, admission objects) and the RBAC engine (reach and escalation paths,
 * as lib/collect/reach-store.ts materialises them) — so a subject built here is the one lib/findings/store.ts
 * reads back after the same objects were collected, except that there is no runtime evidence (`runtime: null`)
 * and no owner claimed on the dashboard.
 *
 * Namespaces are judged only when the objects define them (a Namespace object): manifests that only name a
 * namespace say nothing about its labels or its other NetworkPolicies. The cluster-wide rule needs the whole
 * cluster, so it runs only with `wholeCluster` (a dump of everything).
 */
import { readObjects } from '@/lib/collect/import';
import type { Inventory } from '@/lib/collect/inventory';
import { normalize } from '@/lib/collect/normalize';
import { rbacIndexOf } from '@/lib/collect/reach-store';
import type { CollectionNote } from '@/lib/collect/types';
import { identityKey, roleKey } from '@/lib/keys';
import { escalationRows, reachRows, type EscalationRow, type ReachRow } from '@/lib/rbac/materialize';
import type { PolicyRule } from '@/lib/rbac/types';
import type { FindingsPolicy } from './policy';
import {
  applicationOf,
  evaluatePosture,
  type ClusterSubject,
  type EscalationTargetFact,
  type GrantedRole,
  type IdentitySubject,
  type NamespaceSubject,
  type PostureFinding,
  type WorkloadSubject,
} from './rules';
import { clusterSubjectOf } from './scope-rules';

/** An identity's reach as IdentityReach stores it (null where the identity has no row). */
export interface StoredReach {
  bindings: ReachRow['bindings'] | null;
  capabilities: ReachRow['capabilities'] | null;
  escalationDistance: number | null;
  escalationSteps: { text: string }[] | null;
  /** IdentityReach.escalationTargets (absent: not read). */
  escalationTargets?: EscalationTargetFact[] | null;
}

/**
 * A ServiceAccount's subject from its inventory facts and its stored reach; `rulesOf` gives a role's rules by
 * its key (lib/keys.ts roleKey). Shared by the database reader and the builder below.
 */
export function identitySubject(
  id: Pick<IdentitySubject, 'key' | 'namespace' | 'name' | 'builtIn' | 'owners'>,
  reach: StoredReach,
  rulesOf: ReadonlyMap<string, PolicyRule[]>,
): IdentitySubject {
  return {
    ...id,
    grants: (reach.bindings ?? []).map((b): GrantedRole => {
      const [roleKind, roleName] = b.role.split(' ') as [string, string];
      const roleNs = roleKind === 'Role' ? b.namespace : '';
      return {
        binding: b.kind === 'ClusterRoleBinding' ? `ClusterRoleBinding ${b.name}` : `RoleBinding ${b.namespace}/${b.name}`,
        role: b.role,
        clusterWide: b.kind === 'ClusterRoleBinding',
        group: b.group,
        rules: b.roleMissing ? null : (rulesOf.get(roleKey({ kind: roleKind, namespace: roleNs, name: roleName })) ?? null),
      };
    }),
    capabilities: (reach.capabilities ?? [])
      .filter((c) => c.effective)
      .map(({ id: capId, title, severity, scope }) => ({ id: capId, title, severity, scope })),
    escalationDistance: reach.escalationDistance,
    escalationSteps: (reach.escalationSteps ?? []).map((s) => ({ text: s.text })),
    escalationTargets: reach.escalationTargets ?? [],
  };
}

export interface SubjectsOptions {
  /** Namespace of namespaced objects that name none, as kubectl would apply them (default `default`). */
  defaultNamespace?: string;
  /** The objects are a whole cluster (a dump of everything): judge the cluster-wide rule too. */
  wholeCluster?: boolean;
  /** The cluster's name in explanations (default `manifests`). */
  clusterName?: string;
  /**
   * Reach and escalation rows computed before (rbacFactsOf) on objects whose RBAC facts are the same for the
   * identities that matter, instead of computing them again (the admission webhook: a workload judged against its
   * cluster, whose graph is built once; lib/admission/review.ts says when that holds).
   */
  rbac?: RbacFacts;
}

/** Each identity's reach and escalation rows by identity key (what subjectsFromObjects computes from the objects). */
export interface RbacFacts {
  reach: ReadonlyMap<string, ReachRow>;
  escalation: ReadonlyMap<string, EscalationRow>;
}

/** The reach and escalation rows of every identity of the objects (the expensive part of subjectsFromObjects). */
export function rbacFactsOf(objects: readonly unknown[], options: Pick<SubjectsOptions, 'defaultNamespace'> = {}): RbacFacts {
  const read = readObjects(objects, { defaultNamespace: options.defaultNamespace ?? 'default', source: 'manifests' });
  return rbacFactsOfSnapshot(read.snapshot);
}

function rbacFactsOfSnapshot(snapshot: Parameters<typeof rbacIndexOf>[0]): RbacFacts {
  const index = rbacIndexOf(snapshot);
  const reach = new Map<string, ReachRow>();
  for (const row of reachRows(index, new Map(), [])) reach.set(row.identityKey, row);
  const escalation = new Map<string, EscalationRow>();
  for (const row of escalationRows(index)) escalation.set(row.identityKey, row);
  return { reach, escalation };
}

export interface PostureSubjects {
  identities: IdentitySubject[];
  workloads: WorkloadSubject[];
  namespaces: NamespaceSubject[];
  /** null unless `wholeCluster`. */
  cluster: ClusterSubject | null;
  /** What the reader could not take (objects without a name, kinds outside the inventory, …). */
  notes: CollectionNote[];
  /** The normalised inventory the subjects were built from (credentials, owner hints: lib/check). */
  inventory: Inventory;
}

/** The posture rules' subjects of a set of Kubernetes objects (see the module comment). */
export function subjectsFromObjects(objects: readonly unknown[], options: SubjectsOptions = {}): PostureSubjects {
  const read = readObjects(objects, { defaultNamespace: options.defaultNamespace ?? 'default', source: 'manifests' });
  const inv = normalize(read.snapshot);
  const { reach, escalation } = options.rbac ?? rbacFactsOfSnapshot(read.snapshot);
  const namespaces = namespaceSubjects(inv);
  return {
    identities: identitySubjects(inv, reach, escalation),
    workloads: workloadSubjects(inv),
    namespaces,
    cluster: options.wholeCluster
      ? clusterSubjectOf(options.clusterName ?? 'manifests', inv.admissionPolicies, namespaces)
      : null,
    notes: read.notes,
    inventory: inv,
  };
}

/** The posture findings of a set of Kubernetes objects under `policy` (default: the built-in findings policy). */
export function findingsFromObjects(
  objects: readonly unknown[],
  options: SubjectsOptions & { policy?: FindingsPolicy } = {},
): PostureFinding[] {
  const s = subjectsFromObjects(objects, options);
  return evaluatePosture(s.identities, s.workloads, {
    namespaces: s.namespaces,
    cluster: s.cluster,
    ...(options.policy ? { policy: options.policy } : {}),
  });
}

function identitySubjects(
  inv: Inventory,
  reach: ReadonlyMap<string, ReachRow>,
  escalation: ReadonlyMap<string, EscalationRow>,
): IdentitySubject[] {
  const rulesOf = new Map(inv.roles.map((r) => [r.key, r.rules as PolicyRule[]]));
  const owners = new Map<string, Set<string>>();
  for (const h of inv.ownerHints)
    if (h.target.type === 'identity') owners.set(h.target.key, (owners.get(h.target.key) ?? new Set()).add(h.team));
  const workloadsOf = new Map<string, NonNullable<IdentitySubject['workloads']>>();
  for (const w of [...inv.workloads].sort((a, b) => a.key.localeCompare(b.key))) {
    const k = identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName });
    workloadsOf.set(k, [...(workloadsOf.get(k) ?? []), { kind: w.kind, name: w.name, app: applicationOf(w.labels) }]);
  }
  return inv.identities
    .filter((i) => i.kind === 'ServiceAccount')
    .map((i) => {
      const r = reach.get(i.key);
      const e = escalation.get(i.key);
      const subject = identitySubject(
        {
          key: i.key,
          namespace: i.namespace,
          name: i.name,
          builtIn: i.builtIn,
          owners: [...(owners.get(i.key) ?? [])].sort(),
        },
        {
          bindings: r?.bindings ?? null,
          capabilities: r?.capabilities ?? null,
          // As stored: escalation facts exist only beside a reach row.
          escalationDistance: r && e ? e.distance : null,
          escalationSteps: r && e ? e.steps : null,
          escalationTargets: r && e ? e.targets : null,
        },
        rulesOf,
      );
      return { ...subject, workloads: workloadsOf.get(i.key) ?? [] };
    });
}

function workloadSubjects(inv: Inventory): WorkloadSubject[] {
  const automount = new Map(inv.identities.filter((i) => i.kind === 'ServiceAccount').map((i) => [i.key, i.automountToken]));
  return inv.workloads.map((w) => ({
    key: w.key,
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    serviceAccount: w.serviceAccountName,
    automountToken: w.automountToken,
    serviceAccountAutomount:
      automount.get(identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName })) ?? null,
    images: w.images,
    podSpecFacts: w.podSpecFacts,
    runtime: null,
  }));
}

function namespaceSubjects(inv: Inventory): NamespaceSubject[] {
  const workloads = new Map<string, string[]>();
  for (const w of inv.workloads) workloads.set(w.namespace, [...(workloads.get(w.namespace) ?? []), `${w.kind}/${w.name}`]);
  return inv.namespaces.map((n) => ({
    name: n.name,
    labels: n.labels,
    networkPolicies: n.networkPolicies,
    workloads: (workloads.get(n.name) ?? []).sort(),
  }));
}
