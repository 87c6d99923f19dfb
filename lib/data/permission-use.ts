/**
 * Permissions an identity holds but never used over its activity window (lib/behaviour/unused.ts): the rules
 * of the roles its bindings grant it, against the calls it made in the window of its runtime activity
 * (lib/data/activity.ts), so the two sections of the identity page speak of the same days.
 *
 * - Only bindings that name the identity directly are judged; bindings that reach it through a group
 *   (system:serviceaccounts, system:authenticated…) are shared with other identities, so a least-privilege
 *   fix for it cannot drop them. How many were left out is returned.
 * - Rules are the stored `rules` of the roles (RbacRole), with aggregated ClusterRoles completed the way the
 *   RBAC engine does (`union`, lib/rbac/aggregation.ts).
 * - The calls are read here rather than from `activity.actions`, which lists the 100 most frequent actions
 *   and neither the object names (needed for rules with resourceNames) nor the URL of a non-resource call.
 *   Every call counts, denied ones too: an attempt shows the workload wants the permission.
 */
import { z } from 'zod';
import { summarisePermissionUse, type GrantedRule, type ObservedAction, type PermissionUseSummary } from '@/lib/behaviour/unused';
import type { PrismaClient } from '@/lib/db/client';
import { effectiveClusterRoleRules } from '@/lib/rbac/aggregation';
import { roleKey } from '@/lib/keys';
import type { Activity } from './activity';
import { bindingText } from './bindings';
import { parseStored, reachBindingSchema, type ReachBinding } from './json';
import { rbacSnapshotFromRows } from './rbac';

export interface PermissionUse extends PermissionUseSummary {
  /** The activity window compared with; null when the identity has no runtime event (nothing to compare). */
  window: { days: number; since: string; until: string } | null;
  /** Distinct actions (verb, resource or URL, namespace) observed in the window. */
  actions: number;
  /** Bindings that reach it only through a group, left out. */
  groupBindings: number;
  /** Direct bindings whose role does not exist (they grant nothing). */
  missingRoles: string[];
}

const roleOf = (b: ReachBinding) => {
  const [kind = '', ...rest] = b.role.split(' ');
  const name = rest.join(' ');
  return kind === 'Role' ? { kind, namespace: b.namespace, name } : { kind, namespace: '', name };
};

/** The rules each direct binding grants, and the bindings whose role is missing. */
async function grantedRules(db: PrismaClient, clusterId: string, bindings: ReachBinding[]) {
  const refs = bindings.map(roleOf).filter((r) => r.kind === 'Role' || r.kind === 'ClusterRole');
  const select = { kind: true, namespace: true, name: true, rules: true, aggregationRule: true, labels: true } as const;
  const rows = refs.length ? await db.rbacRole.findMany({ where: { clusterId, deletedAt: null, OR: refs }, select }) : [];
  // An aggregated ClusterRole takes the rules of the ClusterRoles its selectors pick: all of them are needed.
  const aggregated = rows.some((r) => r.kind === 'ClusterRole' && r.aggregationRule !== null);
  const roles = aggregated
    ? [
        ...rows.filter((r) => r.kind === 'Role'),
        ...(await db.rbacRole.findMany({ where: { clusterId, deletedAt: null, kind: 'ClusterRole' }, select })),
      ]
    : rows;
  const { snapshot } = rbacSnapshotFromRows({ roles, bindings: [], serviceAccounts: [], namespaces: [] });
  const rules = new Map<string, GrantedRule['rule'][]>();
  for (const [name, list] of effectiveClusterRoleRules(snapshot.clusterRoles))
    rules.set(roleKey({ kind: 'ClusterRole', name }), list);
  for (const r of snapshot.roles)
    rules.set(roleKey({ kind: 'Role', namespace: r.metadata.namespace, name: r.metadata.name }), r.rules);

  const granted: GrantedRule[] = [];
  const missingRoles: string[] = [];
  for (const b of bindings) {
    const list = rules.get(roleKey(roleOf(b)));
    if (!list) {
      missingRoles.push(bindingText(b));
      continue;
    }
    const binding = bindingText(b);
    const namespace = b.kind === 'RoleBinding' ? b.namespace : '';
    for (const rule of list) granted.push({ binding, namespace, rule });
  }
  return { granted, missingRoles };
}

/** The identity's calls in the window, one row per verb, resource (or URL), namespace and, where a rule names objects, object. */
async function observedActions(
  db: PrismaClient,
  scope: { clusterId: string; namespace: string; name: string },
  window: { since: string; until: string },
  names: string[],
): Promise<ObservedAction[]> {
  return db.$queryRaw<ObservedAction[]>`
    SELECT coalesce(e.verb, '') AS verb, nullif(e.resource, '') AS resource, coalesce(e.namespace, '') AS namespace,
           CASE WHEN e.name = ANY(${names}::text[]) THEN e.name END AS name,
           CASE WHEN coalesce(e.resource, '') = '' THEN split_part(e.event->>'requestURI', '?', 1) END AS "requestURI",
           count(*) FILTER (WHERE e.key LIKE '%:ResponseComplete' OR e.key LIKE '%:Panic')::int AS calls
    FROM "RuntimeEvent" e
    WHERE e."clusterId" = ${scope.clusterId}::uuid AND e.source = 'audit'
      AND e."saNamespace" = ${scope.namespace} AND e."saName" = ${scope.name}
      AND e.at > ${new Date(window.since)} AND e.at <= ${new Date(window.until)}
    GROUP BY 1, 2, 3, 4, 5`;
}

/**
 * What a ServiceAccount holds through its own bindings and which of it its calls used over `activity`'s
 * window. Null when the id names no ServiceAccount.
 */
export async function permissionUse(
  db: PrismaClient,
  identityId: string,
  activity: Pick<Activity, 'days' | 'window'>,
): Promise<PermissionUse | null> {
  if (!z.uuid().safeParse(identityId).success) return null;
  const identity = await db.identity.findUnique({
    where: { id: identityId },
    select: { clusterId: true, kind: true, namespace: true, name: true, reach: { select: { bindings: true } } },
  });
  if (!identity || identity.kind !== 'ServiceAccount') return null;
  const all = identity.reach
    ? parseStored(z.array(reachBindingSchema), identity.reach.bindings, `IdentityReach.bindings of identity ${identityId}`)
    : [];
  const direct = all.filter((b) => b.group === null);
  const { granted, missingRoles } = await grantedRules(db, identity.clusterId, direct);
  const names = [...new Set(granted.flatMap((g) => g.rule.resourceNames ?? []))];
  const observed = activity.window ? await observedActions(db, identity, activity.window, names) : [];
  const actions = new Set(observed.map((a) => `${a.verb}\u0000${a.resource ?? a.requestURI ?? ''}\u0000${a.namespace ?? ''}`));
  return {
    window: activity.window && { days: activity.days, ...activity.window },
    actions: actions.size,
    groupBindings: all.length - direct.length,
    missingRoles,
    ...summarisePermissionUse(granted, observed),
  };
}
