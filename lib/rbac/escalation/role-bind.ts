/**
 * ROLE_BIND: create a binding to a role it may bind → that role (held in the binding's scope), or
 * straight to the power a super-role gives. RoleBindings and ClusterRoleBindings differ only in
 * where the binding applies (a namespace, every namespace "*ns", or cluster-wide "*") and so in what
 * a super-role reaches (ns-admin or cluster-admin); RoleBindings can also bind Roles of their namespace.
 */
import type { IndexedRole } from '../rbac-index';
import { addEdge, ensureNsAdmin, ensureRoleActor, nsOf, RBAC, type GraphContext } from './context';
import { allows, dedupe, emptyGrants, granted, roleRefOf, type ActorQueries, type GrantRef, type NameGrants } from './grants';
import { CLUSTER_ADMIN } from './model';

/** RoleBindings in `scope` (a namespace, or "*": a RoleBinding in every namespace). */
export function roleBindingEdges(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const createRb = a.may('create', RBAC, 'rolebindings', scope);
  if (!createRb.any.length) return;
  const bindCr = a.may('bind', RBAC, 'clusterroles', scope);
  const bindR = a.may('bind', RBAC, 'roles', scope);
  const rbScope = scope === '*' ? '*ns' : scope;
  if (bindSuperClusterRole(ctx, a.id, createRb.any, bindCr, rbScope, () => ensureNsAdmin(ctx, scope))) return;
  for (const ns of nsOf(ctx, scope)) {
    for (const name of ctx.superRolesByNs.get(ns) ?? []) {
      const gr = allows(bindR, name);
      if (!gr) continue;
      addEdge(ctx, {
        from: a.id,
        to: ensureNsAdmin(ctx, ns),
        kind: 'ROLE_BIND',
        weight: 1,
        refs: [...createRb.any, ...gr],
        detail: { role: { kind: 'Role', namespace: ns, name }, scope: ns },
      });
      break;
    }
  }
  bindRoleEdges(ctx, a.id, createRb.any, bindableRoles(ctx, bindCr, bindR, scope, rbScope));
}

/** ClusterRoleBindings (cluster-scoped: ClusterRoleBinding-level rules only). */
export function clusterRoleBindingEdges(ctx: GraphContext, a: ActorQueries): void {
  const createCrb = a.mayCluster('create', RBAC, 'clusterrolebindings');
  if (!createCrb.any.length) return;
  const bindCr = a.mayCluster('bind', RBAC, 'clusterroles');
  if (bindSuperClusterRole(ctx, a.id, createCrb.any, bindCr, '*', () => CLUSTER_ADMIN)) return;
  bindRoleEdges(ctx, a.id, createCrb.any, bindableRoles(ctx, bindCr, emptyGrants(), '*', '*'));
}

/** The first super ClusterRole it may bind: every permission wherever the binding applies. */
function bindSuperClusterRole(
  ctx: GraphContext,
  from: string,
  createBinding: GrantRef[],
  bindCr: NameGrants,
  scope: string,
  target: () => string,
): boolean {
  for (const name of ctx.superClusterRoles) {
    const gr = allows(bindCr, name);
    if (!gr) continue;
    addEdge(ctx, {
      from,
      to: target(),
      kind: 'ROLE_BIND',
      weight: 1,
      refs: [...createBinding, ...gr],
      detail: { role: { kind: 'ClusterRole', name }, scope },
    });
    return true;
  }
  return false;
}

interface BindTarget {
  role: IndexedRole;
  /** Where the new binding applies: "*", "*ns" or a namespace. */
  scope: string;
  gr: GrantRef[];
}

/**
 * Roles it may bind, in index order: ClusterRoles (applying in `clusterRoleScope`) and Roles of
 * `scope` (every namespace for "*"), each applying in its own namespace.
 */
function bindableRoles(
  ctx: GraphContext,
  bindCr: NameGrants,
  bindR: NameGrants,
  scope: string,
  clusterRoleScope: string,
): BindTarget[] {
  const targets: BindTarget[] = [];
  if (!granted(bindCr) && !granted(bindR)) return targets;
  for (const role of ctx.index.roleList) {
    if (role.kind === 'ClusterRole') {
      const gr = allows(bindCr, role.name);
      if (gr) targets.push({ role, scope: clusterRoleScope, gr });
    } else if (scope === '*' || role.namespace === scope) {
      const gr = allows(bindR, role.name);
      if (gr) targets.push({ role, scope: role.namespace as string, gr });
    }
  }
  return targets;
}

/** An edge to each bindable role's node; the role becomes an actor holding it in the binding's scope. */
function bindRoleEdges(ctx: GraphContext, from: string, createBinding: GrantRef[], targets: BindTarget[]): void {
  for (const t of targets) {
    const grants = dedupe([...createBinding, ...t.gr]);
    addEdge(ctx, {
      from,
      to: ensureRoleActor(ctx, t.scope, t.role, grants),
      kind: 'ROLE_BIND',
      weight: 1,
      grants,
      detail: { role: roleRefOf(t.role), scope: t.scope },
    });
  }
}
