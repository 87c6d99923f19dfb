/** TOKEN_SECRET_CREATE: create a token Secret and read it back → any ServiceAccount of the scope. */
import { addEdge, anySaNode, type GraphContext } from './context';
import { granted, union, type ActorQueries } from './grants';

export function tokenSecretCreateEdge(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const createSecret = a.may('create', '', 'secrets', scope);
  const readSecret = union(
    a.may('get', '', 'secrets', scope),
    a.may('list', '', 'secrets', scope),
    a.may('watch', '', 'secrets', scope),
  );
  if (createSecret.any.length && granted(readSecret)) {
    addEdge(ctx, {
      from: a.id,
      to: anySaNode(ctx, scope),
      kind: 'TOKEN_SECRET_CREATE',
      weight: 1,
      refs: [...createSecret.any, ...(readSecret.any.length ? readSecret.any : [...readSecret.byName.values()].flat())],
      detail: { namespace: scope },
    });
  }
}
