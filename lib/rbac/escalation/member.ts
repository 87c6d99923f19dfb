/**
 * MEMBER: 0-cost fan-out from helper nodes to what they stand for — any-sa:* → any-sa:<ns> → each
 * ServiceAccount, pod-sa / token-sa → the ServiceAccounts of running pods / of legacy token Secrets,
 * any-user / any-group → each known user / group, ns-admin:* → each namespace's ns-admin.
 */
import { splitServiceAccountUsername } from '../subjects';
import {
  addEdge,
  anyGroupNode,
  anySaNode,
  anyUserNode,
  ensureIdentityActor,
  ensureNsAdmin,
  groupNode,
  nsAdminNode,
  podSaNode,
  saNode,
  tokenMounted,
  tokenSaNode,
  userNode,
  type GraphContext,
} from './context';

export function memberEdges(ctx: GraphContext): void {
  const anySaStar = anySaNode(ctx, '*');
  for (const ns of ctx.allNamespaces) {
    const a = anySaNode(ctx, ns);
    addEdge(ctx, { from: anySaStar, to: a, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
    for (const name of ctx.sasByNs.get(ns) ?? []) {
      const s = saNode(ctx, ns, name);
      ensureIdentityActor(ctx, s);
      addEdge(ctx, { from: a, to: s, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
    }
  }
  // pod-sa and token-sa fan-out: to the ServiceAccounts of running pods / of legacy token Secrets.
  if (ctx.podsByNs.size) {
    const star = podSaNode(ctx, '*');
    for (const [ns, pods] of ctx.podsByNs) {
      const bySa = new Map<string, string[]>();
      for (const p of pods) {
        if (!tokenMounted(ctx, p)) continue;
        const sa = p.serviceAccountName ?? 'default';
        bySa.set(sa, [...(bySa.get(sa) ?? []), p.owner ? `${p.owner.kind}/${p.owner.name}` : p.name]);
      }
      const h = podSaNode(ctx, ns);
      addEdge(ctx, { from: star, to: h, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
      for (const [sa, names] of bySa) {
        const to = saNode(ctx, ns, sa);
        ensureIdentityActor(ctx, to);
        addEdge(ctx, { from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns, pods: names.sort() } });
      }
    }
  }
  if (ctx.tokenSecretsByNs.size) {
    const star = tokenSaNode(ctx, '*');
    for (const [ns, secrets] of ctx.tokenSecretsByNs) {
      const h = tokenSaNode(ctx, ns);
      addEdge(ctx, { from: star, to: h, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns } });
      const bySa = new Map<string, string[]>();
      for (const sec of secrets)
        bySa.set(sec.serviceAccountName as string, [...(bySa.get(sec.serviceAccountName as string) ?? []), sec.name]);
      for (const [sa, names] of bySa) {
        const to = saNode(ctx, ns, sa);
        ensureIdentityActor(ctx, to);
        addEdge(ctx, { from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: { namespace: ns, secrets: names.sort() } });
      }
    }
  }
  if (ctx.knownUsers.size) {
    const h = anyUserNode(ctx);
    for (const name of ctx.knownUsers) {
      if (splitServiceAccountUsername(name)) continue;
      const to = userNode(ctx, name);
      ensureIdentityActor(ctx, to);
      addEdge(ctx, { from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: {} });
    }
  }
  if (ctx.knownGroups.size) {
    const h = anyGroupNode(ctx);
    for (const name of ctx.knownGroups) {
      const to = groupNode(ctx, name);
      ensureIdentityActor(ctx, to);
      addEdge(ctx, { from: h, to, kind: 'MEMBER', weight: 0, grants: [], detail: {} });
    }
  }
  // ns-admin:* → each namespace's ns-admin; the actors of those come first, then ns-admin:*'s own.
  const nsAdminStar = nsAdminNode(ctx, '*');
  for (const ns of ctx.allNamespaces)
    addEdge(ctx, {
      from: nsAdminStar,
      to: ensureNsAdmin(ctx, ns),
      kind: 'MEMBER',
      weight: 0,
      grants: [],
      detail: { namespace: ns },
    });
  ensureNsAdmin(ctx, '*');
}
