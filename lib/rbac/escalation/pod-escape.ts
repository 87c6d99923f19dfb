/**
 * POD_ESCAPE: create pods (or pod controllers) in a namespace whose Pod Security level admits them
 * privileged, with hostPID or with a hostPath volume (no `pod-security.kubernetes.io/enforce` label, or
 * `privileged`) → the node: the pod's process leaves its container (nsenter into PID 1, or the host's
 * filesystem mounted), and holds the kubelet's credentials and the tokens of every pod on that node.
 * A target. In scope "*" the first such namespace (sorted) is named. Namespaces enforcing `baseline`
 * or `restricted` refuse all three, so they give no edge. One edge per actor (its first scope that
 * qualifies): the node is one target, and every such edge costs one action.
 */
import { addEdge, admitsHostAccess, nodeTargetNode, takeTargetEdge, type GraphContext } from './context';
import type { ActorQueries, GrantRef } from './grants';

/** `createPods`: the name-independent grants to create pods or pod controllers in `scope` (RUN_AS's). */
export function podEscapeEdge(ctx: GraphContext, a: ActorQueries, scope: string, createPods: GrantRef[]): void {
  if (!createPods.length) return;
  const ns = scope === '*' ? ctx.firstOpenNamespace : admitsHostAccess(ctx.podSecurity.get(scope)) ? scope : undefined;
  if (ns === undefined || !takeTargetEdge(a.actor, 'POD_ESCAPE', 1)) return;
  addEdge(ctx, {
    from: a.id,
    to: nodeTargetNode(ctx),
    kind: 'POD_ESCAPE',
    weight: 1,
    refs: createPods,
    detail: { namespace: ns, podSecurity: ctx.podSecurity.get(ns) ?? 'none' },
  });
}
