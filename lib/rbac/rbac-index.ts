/**
 * A read-only index over an RbacSnapshot so repeated questions are cheap:
 * roles by key with their effective (aggregated) rules, bindings resolved to those roles, and
 * bindings by the user names and group names their subjects designate.
 */
import { roleKey } from '@/lib/keys';
import { effectiveClusterRoleRules, type AggregationMode } from './aggregation';
import { subjectUsername } from './subjects';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, RbacSnapshot, Role, RoleBinding, RoleRef, Subject } from './types';

export interface IndexedRole {
  /** `Role/<ns>/<name>` or `ClusterRole//<name>` (lib/keys.ts) */
  key: string;
  kind: 'Role' | 'ClusterRole';
  namespace?: string;
  name: string;
  /** Effective rules: stored rules, plus aggregated ones for ClusterRoles (see aggregation.ts). */
  rules: PolicyRule[];
  source: Role | ClusterRole;
  /** Dense id, for per-role caches. */
  id: number;
}

export interface IndexedBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  /** "" for ClusterRoleBindings. */
  namespace: string;
  name: string;
  roleRef: RoleRef;
  subjects: Subject[];
  labels: Record<string, string>;
  /** The role the binding grants; undefined when missing or not resolvable (grants nothing). */
  role: IndexedRole | undefined;
  source: RoleBinding | ClusterRoleBinding;
  /** Dense id: ClusterRoleBindings first (in snapshot order), then RoleBindings. */
  id: number;
}

export interface RbacIndex {
  snapshot: RbacSnapshot;
  aggregation: AggregationMode;
  roles: Map<string, IndexedRole>;
  roleList: IndexedRole[];
  bindings: IndexedBinding[];
  clusterRoleBindings: IndexedBinding[];
  roleBindingsByNamespace: Map<string, IndexedBinding[]>;
  /** Bindings with a User or ServiceAccount subject designating this user name. */
  bindingsByUser: Map<string, IndexedBinding[]>;
  /** Bindings with a Group subject of this name. */
  bindingsByGroup: Map<string, IndexedBinding[]>;
  /** Bindings referring to each role key (resolved or not). */
  bindingsByRoleKey: Map<string, IndexedBinding[]>;
  /** Every namespace mentioned anywhere in the snapshot, sorted. */
  namespaces: string[];
}

export interface IndexOptions {
  aggregation?: AggregationMode;
}

/** The role a binding's roleRef resolves to, as GetRoleReferenceRules would look it up. */
export function roleRefKey(roleRef: RoleRef, bindingNamespace: string): string {
  return roleRef.kind === 'Role'
    ? roleKey({ kind: 'Role', namespace: bindingNamespace, name: roleRef.name })
    : roleKey({ kind: roleRef.kind, name: roleRef.name });
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const arr = m.get(k);
  if (arr) arr.push(v);
  else m.set(k, [v]);
}

export function buildIndex(snapshot: RbacSnapshot, options: IndexOptions = {}): RbacIndex {
  const aggregation = options.aggregation ?? 'union';
  const roles = new Map<string, IndexedRole>();
  const roleList: IndexedRole[] = [];
  const addRole = (r: IndexedRole) => {
    const prev = roles.get(r.key);
    if (prev) {
      // Duplicate object key: the last one wins, as a later apply would.
      r.id = prev.id;
      roleList[prev.id] = r;
    } else {
      r.id = roleList.length;
      roleList.push(r);
    }
    roles.set(r.key, r);
  };

  const lastClusterRoles = new Map<string, ClusterRole>();
  for (const cr of snapshot.clusterRoles) lastClusterRoles.set(cr.metadata.name, cr);
  const effective = effectiveClusterRoleRules([...lastClusterRoles.values()], aggregation);
  for (const cr of lastClusterRoles.values()) {
    addRole({
      key: roleKey({ kind: 'ClusterRole', name: cr.metadata.name }),
      kind: 'ClusterRole',
      name: cr.metadata.name,
      rules: effective.get(cr.metadata.name) ?? cr.rules ?? [],
      source: cr,
      id: -1,
    });
  }
  for (const r of snapshot.roles) {
    addRole({
      key: roleKey({ kind: 'Role', namespace: r.metadata.namespace, name: r.metadata.name }),
      kind: 'Role',
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      rules: r.rules ?? [],
      source: r,
      id: -1,
    });
  }

  const bindings: IndexedBinding[] = [];
  const clusterRoleBindings: IndexedBinding[] = [];
  const roleBindingsByNamespace = new Map<string, IndexedBinding[]>();
  const bindingsByUser = new Map<string, IndexedBinding[]>();
  const bindingsByGroup = new Map<string, IndexedBinding[]>();
  const bindingsByRoleKey = new Map<string, IndexedBinding[]>();
  const namespaces = new Set<string>();

  const addBinding = (b: Omit<IndexedBinding, 'id' | 'role'>) => {
    const key = roleRefKey(b.roleRef, b.namespace);
    // ClusterRoleBindings can only reach ClusterRoles: a Role reference looks up namespace "" and fails.
    const role = b.roleRef.kind === 'Role' && b.kind === 'ClusterRoleBinding' ? undefined : roles.get(key);
    const ib: IndexedBinding = { ...b, role, id: bindings.length };
    bindings.push(ib);
    if (ib.kind === 'ClusterRoleBinding') clusterRoleBindings.push(ib);
    else {
      push(roleBindingsByNamespace, ib.namespace, ib);
      namespaces.add(ib.namespace);
    }
    push(bindingsByRoleKey, key, ib);
    const users = new Set<string>();
    const groups = new Set<string>();
    for (const s of ib.subjects) {
      if (s.kind === 'Group') groups.add(s.name);
      else {
        const u = subjectUsername(s, ib.namespace);
        if (u !== undefined) users.add(u);
      }
      if (s.kind === 'ServiceAccount' && s.namespace) namespaces.add(s.namespace);
    }
    for (const u of users) push(bindingsByUser, u, ib);
    for (const g of groups) push(bindingsByGroup, g, ib);
  };

  for (const crb of snapshot.clusterRoleBindings) {
    addBinding({
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: crb.metadata.name,
      roleRef: crb.roleRef,
      subjects: crb.subjects ?? [],
      labels: crb.metadata.labels ?? {},
      source: crb,
    });
  }
  for (const rb of snapshot.roleBindings) {
    addBinding({
      kind: 'RoleBinding',
      namespace: rb.metadata.namespace,
      name: rb.metadata.name,
      roleRef: rb.roleRef,
      subjects: rb.subjects ?? [],
      labels: rb.metadata.labels ?? {},
      source: rb,
    });
  }

  for (const r of snapshot.roles) namespaces.add(r.metadata.namespace);
  for (const ns of snapshot.namespaces ?? []) namespaces.add(ns);
  for (const sa of snapshot.serviceAccounts ?? []) namespaces.add(sa.namespace);
  for (const s of snapshot.secrets ?? []) namespaces.add(s.namespace);
  for (const p of snapshot.pods ?? []) namespaces.add(p.namespace);
  namespaces.delete('');

  return {
    snapshot,
    aggregation,
    roles,
    roleList,
    bindings,
    clusterRoleBindings,
    roleBindingsByNamespace,
    bindingsByUser,
    bindingsByGroup,
    bindingsByRoleKey,
    namespaces: [...namespaces].sort(),
  };
}
