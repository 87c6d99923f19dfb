/**
 * IMPERSONATE_SA / IMPERSONATE_USER / IMPERSONATE_GROUP: send requests as another identity.
 * Impersonating group system:masters reaches cluster-admin; a group needs some user to ride on.
 */
import { MASTERS_GROUP, splitServiceAccountUsername } from '../subjects';
import {
  addEdge,
  anyGroupNode,
  anyUserNode,
  ensureIdentityActor,
  groupNode,
  serviceAccountEdges,
  userNode,
  type GraphContext,
} from './context';
import { allows, firstGrants, granted, type ActorQueries } from './grants';
import { CLUSTER_ADMIN } from './model';

/** ServiceAccounts of the scope (impersonate serviceaccounts is namespaced). */
export function impersonateSaEdges(ctx: GraphContext, a: ActorQueries, scope: string): void {
  serviceAccountEdges(ctx, a.id, 'IMPERSONATE_SA', a.may('impersonate', '', 'serviceaccounts', scope), scope);
}

/** Users and groups (cluster-scoped: ClusterRoleBinding-level rules only). */
export function impersonateUserAndGroupEdges(ctx: GraphContext, a: ActorQueries): void {
  const from = a.id;
  const impUser = a.mayCluster('impersonate', '', 'users');
  const impGroup = a.mayCluster('impersonate', '', 'groups');
  const impSaAny = granted(a.mayCluster('impersonate', '', 'serviceaccounts'));
  const canRideUser = granted(impUser) || impSaAny || a.mayImpersonateSomeServiceAccount();
  if (impUser.any.length) {
    if (ctx.knownUsers.size)
      addEdge(ctx, { from, to: anyUserNode(ctx), kind: 'IMPERSONATE_USER', weight: 1, refs: impUser.any, detail: {} });
  } else {
    for (const [name, gr] of impUser.byName) {
      if (splitServiceAccountUsername(name) || !ctx.knownUsers.has(name)) continue;
      const to = userNode(ctx, name);
      ensureIdentityActor(ctx, to);
      addEdge(ctx, { from, to, kind: 'IMPERSONATE_USER', weight: 1, refs: gr, detail: {} });
    }
  }
  if (granted(impGroup) && canRideUser) {
    const masters = allows(impGroup, MASTERS_GROUP);
    if (masters)
      addEdge(ctx, {
        from,
        to: CLUSTER_ADMIN,
        kind: 'IMPERSONATE_GROUP',
        weight: 1,
        refs: [...masters, ...firstGrants(impUser)],
        detail: { role: { kind: 'Group', name: MASTERS_GROUP } },
      });
    if (impGroup.any.length) {
      if (ctx.knownGroups.size)
        addEdge(ctx, { from, to: anyGroupNode(ctx), kind: 'IMPERSONATE_GROUP', weight: 1, refs: impGroup.any, detail: {} });
    } else {
      for (const [name, gr] of impGroup.byName) {
        if (!ctx.knownGroups.has(name)) continue;
        const to = groupNode(ctx, name);
        ensureIdentityActor(ctx, to);
        addEdge(ctx, { from, to, kind: 'IMPERSONATE_GROUP', weight: 1, refs: gr, detail: {} });
      }
    }
  }
}
