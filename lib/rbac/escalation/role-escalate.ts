/**
 * ROLE_ESCALATE: escalate + update a role it is bound to, or create + escalate + bind a new role
 * holding every permission → every permission where the binding applies (ns-admin or cluster-admin).
 */
import { addEdge, ensureNsAdmin, RBAC, type GraphContext } from './context';
import { allows, choosableName, firstGrants, roleRefOf, union, type ActorQueries } from './grants';
import { CLUSTER_ADMIN } from './model';

/** A new Role in `scope` bound by a new RoleBinding → ns-admin:<scope>. */
export function newRoleEscalateEdge(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const createRb = a.may('create', RBAC, 'rolebindings', scope);
  const createR = a.may('create', RBAC, 'roles', scope);
  const escR = a.may('escalate', RBAC, 'roles', scope);
  const bindR = a.may('bind', RBAC, 'roles', scope);
  if (createR.any.length && createRb.any.length && choosableName(escR, bindR)) {
    addEdge(ctx, {
      from: a.id,
      to: ensureNsAdmin(ctx, scope),
      kind: 'ROLE_ESCALATE',
      weight: 1,
      refs: [...createR.any, ...createRb.any, ...firstGrants(escR), ...firstGrants(bindR)],
      detail: { scope },
    });
  }
}

/** A new ClusterRole bound by a new ClusterRoleBinding → cluster-admin. */
export function newClusterRoleEscalateEdge(ctx: GraphContext, a: ActorQueries): void {
  const createCrb = a.mayCluster('create', RBAC, 'clusterrolebindings');
  if (!createCrb.any.length) return;
  const bindCr = a.mayCluster('bind', RBAC, 'clusterroles');
  const createCr = a.mayCluster('create', RBAC, 'clusterroles');
  const escCr = a.mayCluster('escalate', RBAC, 'clusterroles');
  if (createCr.any.length && choosableName(escCr, bindCr)) {
    addEdge(ctx, {
      from: a.id,
      to: CLUSTER_ADMIN,
      kind: 'ROLE_ESCALATE',
      weight: 1,
      refs: [...createCr.any, ...createCrb.any, ...firstGrants(escCr), ...firstGrants(bindCr)],
      detail: { scope: '*' },
    });
  }
}

/** A role the actor is bound to, made to hold every permission. */
export function boundRoleEscalateEdges(ctx: GraphContext, a: ActorQueries): void {
  for (const b of a.actor.boundRoles) {
    const role = b.role;
    const isCluster = role.kind === 'ClusterRole';
    const scope = isCluster ? '*' : (role.namespace as string);
    const esc = isCluster ? a.mayCluster('escalate', RBAC, 'clusterroles') : a.may('escalate', RBAC, 'roles', scope);
    const upd = isCluster
      ? union(a.mayCluster('update', RBAC, 'clusterroles'), a.mayCluster('patch', RBAC, 'clusterroles'))
      : union(a.may('update', RBAC, 'roles', scope), a.may('patch', RBAC, 'roles', scope));
    const e = allows(esc, role.name);
    const u = allows(upd, role.name);
    if (!e || !u) continue;
    const to = b.scope === '*' ? CLUSTER_ADMIN : ensureNsAdmin(ctx, b.scope === '*ns' ? '*' : b.scope);
    addEdge(ctx, {
      from: a.id,
      to,
      kind: 'ROLE_ESCALATE',
      weight: 1,
      refs: [...e, ...u],
      detail: { role: roleRefOf(role), scope: b.scope },
    });
  }
}
