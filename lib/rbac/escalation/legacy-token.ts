/**
 * TOKEN_LIST / TOKEN_GET: list/watch or get a legacy token Secret → its ServiceAccount. Reading any
 * Secret goes through the token-sa:<scope> helper (or any-sa:<scope> with `assumeLegacyTokens`);
 * reading named Secrets reaches the ServiceAccounts of those token Secrets. Listing any Secret makes
 * a separate TOKEN_GET edge pointless.
 */
import type { EdgeKind } from './model';
import { addEdge, anySaNode, ensureIdentityActor, hasTokens, nsOf, saNode, tokenSaNode, type GraphContext } from './context';
import type { ActorQueries, NameGrants } from './grants';
import type { SecretGrants } from './secret-read';

/** `secrets`: the actor's get and list/watch grants on Secrets in the scope (secretGrants). */
export function legacyTokenEdges(ctx: GraphContext, a: ActorQueries, scope: string, secrets: SecretGrants): void {
  const from = a.id;
  const getS = secrets.get;
  const listS = secrets.list;
  const tokenKinds: [EdgeKind, NameGrants][] = [
    ['TOKEN_LIST', listS],
    ['TOKEN_GET', getS],
  ];
  for (const [kind, g] of tokenKinds) {
    if (kind === 'TOKEN_GET' && listS.any.length) break;
    if (g.any.length) {
      if (ctx.assumeLegacyTokens)
        addEdge(ctx, { from, to: anySaNode(ctx, scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
      else if (hasTokens(ctx, scope))
        addEdge(ctx, { from, to: tokenSaNode(ctx, scope), kind, weight: 1, refs: g.any, detail: { namespace: scope } });
      continue;
    }
    if (!g.byName.size) continue;
    for (const ns of nsOf(ctx, scope)) {
      for (const sec of ctx.tokenSecretsByNs.get(ns) ?? []) {
        const gr = g.byName.get(sec.name);
        if (!gr) continue;
        const to = saNode(ctx, ns, sec.serviceAccountName as string);
        ensureIdentityActor(ctx, to);
        addEdge(ctx, { from, to, kind, weight: 1, refs: gr, detail: { namespace: ns, secrets: [sec.name] } });
      }
    }
  }
}
