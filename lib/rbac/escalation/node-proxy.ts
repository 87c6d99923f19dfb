/**
 * NODE_PROXY: nodes/proxy → kubelet exec in every pod → cluster-admin; on named nodes only, → the
 * ServiceAccounts of the bare pods running there (token mounted).
 */
import { addEdge, ensureIdentityActor, saNode, tokenMounted, type GraphContext } from './context';
import { union, type ActorQueries, type GrantRef } from './grants';
import { CLUSTER_ADMIN } from './model';

export function nodeProxyEdges(ctx: GraphContext, a: ActorQueries): void {
  const from = a.id;
  const proxy = union(a.mayCluster('get', '', 'nodes', 'proxy'), a.mayCluster('create', '', 'nodes', 'proxy'));
  if (proxy.any.length) {
    addEdge(ctx, { from, to: CLUSTER_ADMIN, kind: 'NODE_PROXY', weight: 1, refs: proxy.any, detail: {} });
    return;
  }
  if (!proxy.byName.size) return;
  const bySa = new Map<string, { ns: string; sa: string; pods: string[]; grants: GrantRef[] }>();
  for (const p of ctx.snapshot.pods ?? []) {
    if (!p.nodeName || p.owner || !tokenMounted(ctx, p)) continue;
    const gr = proxy.byName.get(p.nodeName);
    if (!gr) continue;
    const sa = p.serviceAccountName ?? 'default';
    const key = `${p.namespace}/${sa}`;
    const e = bySa.get(key) ?? bySa.set(key, { ns: p.namespace, sa, pods: [], grants: [] }).get(key)!;
    e.pods.push(p.name);
    e.grants.push(...gr);
  }
  for (const e of bySa.values()) {
    const to = saNode(ctx, e.ns, e.sa);
    ensureIdentityActor(ctx, to);
    addEdge(ctx, { from, to, kind: 'NODE_PROXY', weight: 1, refs: e.grants, detail: { namespace: e.ns, pods: e.pods.sort() } });
  }
}
