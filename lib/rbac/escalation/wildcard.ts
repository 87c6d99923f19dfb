/** WILDCARD: already holds every permission (cluster → cluster-admin, namespace → ns-admin). */
import { ANY_GROUP, ANY_RESOURCE, ANY_VERB } from '../capabilities';
import { addEdge, ensureNsAdmin, type GraphContext } from './context';
import type { ActorQueries } from './grants';
import { CLUSTER_ADMIN } from './model';

/** Every permission in a namespace, or in all of them (scope "*") → ns-admin:<scope>. */
export function namespaceWildcardEdge(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const wild = a.may(ANY_VERB, ANY_GROUP, ANY_RESOURCE, scope);
  if (wild.any.length) {
    addEdge(ctx, {
      from: a.id,
      to: ensureNsAdmin(ctx, scope),
      kind: 'WILDCARD',
      weight: 0,
      refs: wild.any,
      detail: { namespace: scope },
    });
  }
}

/** Every permission through ClusterRoleBindings → cluster-admin. */
export function clusterWildcardEdge(ctx: GraphContext, a: ActorQueries): void {
  const wild = a.mayCluster(ANY_VERB, ANY_GROUP, ANY_RESOURCE);
  if (wild.any.length)
    addEdge(ctx, { from: a.id, to: CLUSTER_ADMIN, kind: 'WILDCARD', weight: 0, refs: wild.any, detail: { scope: '*' } });
}
