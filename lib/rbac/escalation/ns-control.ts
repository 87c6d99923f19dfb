/**
 * NS_CONTROL: what the `admin` role is about — reading every Secret, running pods and granting roles in a
 * namespace (or in every namespace, scope "*") — held by an actor → control of that namespace. A target,
 * reached at no cost: the actor already holds it.
 */
import { addEdge, nsControlNode, RBAC, type GraphContext } from './context';
import type { ActorQueries, NameGrants } from './grants';

/** `readSecrets`: what allows reading any Secret of the scope (from secretReadEdge). */
export function nsControlEdge(ctx: GraphContext, a: ActorQueries, scope: string, readSecrets: NameGrants): void {
  if (!readSecrets.any.length) return;
  const pods = a.may('create', '', 'pods', scope);
  if (!pods.any.length) return;
  const bindings = a.may('create', RBAC, 'rolebindings', scope);
  if (!bindings.any.length) return;
  addEdge(ctx, {
    from: a.id,
    to: nsControlNode(ctx, scope),
    kind: 'NS_CONTROL',
    weight: 0,
    // One grant per requirement names what gives the control (all of them would repeat most roles).
    refs: [readSecrets.any[0]!, pods.any[0]!, bindings.any[0]!],
    detail: { namespace: scope },
  });
}
