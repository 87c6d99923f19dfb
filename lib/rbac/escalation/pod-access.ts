/**
 * POD_EXEC / POD_ATTACH / POD_PATCH / POD_EPHEMERAL: on a running pod → the pod's ServiceAccount.
 * Name-independent grants go through the pod-sa:<scope> helper; named ones to the ServiceAccounts of
 * the bare pods they name (with a mounted token).
 */
import type { EdgeKind } from './model';
import { addEdge, ensureIdentityActor, hasPods, nsOf, podSaNode, saNode, tokenMounted, type GraphContext } from './context';
import { union, type ActorQueries, type GrantRef, type NameGrants } from './grants';

export function podAccessEdges(ctx: GraphContext, a: ActorQueries, scope: string): void {
  const from = a.id;
  const podAccess: [EdgeKind, NameGrants][] = [
    ['POD_EXEC', union(a.may('create', '', 'pods', scope, 'exec'), a.may('get', '', 'pods', scope, 'exec'))],
    ['POD_ATTACH', union(a.may('create', '', 'pods', scope, 'attach'), a.may('get', '', 'pods', scope, 'attach'))],
    ['POD_PATCH', union(a.may('patch', '', 'pods', scope), a.may('update', '', 'pods', scope))],
    [
      'POD_EPHEMERAL',
      union(a.may('patch', '', 'pods', scope, 'ephemeralcontainers'), a.may('update', '', 'pods', scope, 'ephemeralcontainers')),
    ],
  ];
  for (const [kind, g] of podAccess) {
    if (g.any.length) {
      if (hasPods(ctx, scope))
        addEdge(ctx, { from, to: podSaNode(ctx, scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
      continue;
    }
    if (!g.byName.size) continue;
    for (const ns of nsOf(ctx, scope)) {
      const bySa = new Map<string, { pods: string[]; grants: GrantRef[] }>();
      for (const p of ctx.podsByNs.get(ns) ?? []) {
        if (p.owner || !tokenMounted(ctx, p)) continue;
        const gr = g.byName.get(p.name);
        if (!gr) continue;
        const sa = p.serviceAccountName ?? 'default';
        const e = bySa.get(sa) ?? bySa.set(sa, { pods: [], grants: [] }).get(sa)!;
        e.pods.push(p.name);
        e.grants.push(...gr);
      }
      for (const [sa, e] of bySa) {
        const to = saNode(ctx, ns, sa);
        ensureIdentityActor(ctx, to);
        addEdge(ctx, { from, to, kind, weight: 1, refs: e.grants, detail: { namespace: ns, pods: e.pods.sort() } });
      }
    }
  }
}
