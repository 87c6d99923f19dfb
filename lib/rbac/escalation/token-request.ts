/** TOKEN_REQUEST: create serviceaccounts/token → that ServiceAccount (any of the scope, or the named ones). */
import { serviceAccountEdges, type GraphContext } from './context';
import type { ActorQueries } from './grants';

export function tokenRequestEdges(ctx: GraphContext, a: ActorQueries, scope: string): void {
  serviceAccountEdges(ctx, a.id, 'TOKEN_REQUEST', a.may('create', '', 'serviceaccounts', scope, 'token'), scope);
}
