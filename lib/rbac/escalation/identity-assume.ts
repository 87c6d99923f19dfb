/** IDENTITY_ASSUME: a node → its kubelet user; a pod → its ServiceAccount (token mounted). */
import { nodeUser } from '../subjects';
import { addEdge, addNode, enqueueIdentityActor, ensureIdentityActor, saNode, tokenMounted, type GraphContext } from './context';
import { nodeIds } from './model';

/** Node → kubelet user. Runs before any other actor is made: the user's actor carries the system:nodes group. */
export function nodeIdentityEdges(ctx: GraphContext): void {
  for (const n of ctx.snapshot.nodes ?? []) {
    const nid = addNode(ctx, { id: nodeIds.node(n), kind: 'Node', label: `Node ${n}` });
    const u = nodeUser(n);
    const uid = addNode(ctx, {
      id: nodeIds.user(u.name),
      kind: 'User',
      label: `User ${u.name}`,
      identity: { kind: 'User', name: u.name },
    });
    enqueueIdentityActor(ctx, uid, u);
    addEdge(ctx, { from: nid, to: uid, kind: 'IDENTITY_ASSUME', weight: 1, grants: [], detail: {} });
  }
}

/** Bare pod → its ServiceAccount, when the token is mounted (workload templates are reached through RUN_AS). */
export function podIdentityEdges(ctx: GraphContext): void {
  for (const p of ctx.snapshot.pods ?? []) {
    if (p.owner) continue;
    const pid = addNode(ctx, { id: nodeIds.pod(p.namespace, p.name), kind: 'Pod', label: `Pod ${p.namespace}/${p.name}` });
    if (tokenMounted(ctx, p)) {
      const sa = saNode(ctx, p.namespace, p.serviceAccountName ?? 'default');
      ensureIdentityActor(ctx, sa);
      addEdge(ctx, {
        from: pid,
        to: sa,
        kind: 'IDENTITY_ASSUME',
        weight: 1,
        grants: [],
        detail: { namespace: p.namespace, pods: [p.name] },
      });
    }
  }
}
