/**
 * RUN_AS: create pods or pod controllers in a namespace → any ServiceAccount of it. The same grants
 * give POD_ESCAPE (pod-escape.ts) where the namespace admits privileged pods.
 */
import { POD_CONTROLLERS } from '../capabilities';
import { addEdge, anySaNode, type GraphContext } from './context';
import { requestId, union, type ActorQueries } from './grants';
import { podEscapeEdge } from './pod-escape';

/** create pods, and create / update / patch of every pod controller. */
const RUN_AS_REQUESTS = [
  requestId('create', '', 'pods'),
  ...POD_CONTROLLERS.flatMap(([g, r]) => ['create', 'update', 'patch'].map((v) => requestId(v, g, r))),
];

export function runAsEdge(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const runAs = union(...RUN_AS_REQUESTS.map((q) => a.mayRequest(q, scope)));
  if (runAs.any.length)
    addEdge(ctx, {
      from: a.id,
      to: anySaNode(ctx, scope),
      kind: 'RUN_AS',
      weight: 1,
      refs: runAs.any,
      detail: { namespace: scope },
    });
  podEscapeEdge(ctx, a, scope, runAs.any);
}
