/** RUN_AS: create pods or pod controllers in a namespace → any ServiceAccount of it. */
import { POD_CONTROLLERS } from '../capabilities';
import { addEdge, anySaNode, type GraphContext } from './context';
import { union, type ActorQueries } from './grants';

export function runAsEdge(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const runAs = union(
    a.may('create', '', 'pods', scope),
    ...POD_CONTROLLERS.flatMap(([g, r]) => ['create', 'update', 'patch'].map((v) => a.may(v, g, r, scope))),
  );
  if (runAs.any.length)
    addEdge(ctx, {
      from: a.id,
      to: anySaNode(ctx, scope),
      kind: 'RUN_AS',
      weight: 1,
      refs: runAs.any,
      detail: { namespace: scope },
    });
}
