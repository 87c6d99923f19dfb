/**
 * SECRET_READ: get, list or watch any Secret of a namespace (or of every namespace, scope "*") → the
 * Secrets of that namespace. A target: reading them is the action. Grants limited to named Secrets
 * do not count (they read those Secrets only; legacy tokens among them are TOKEN_GET edges).
 * An actor keeps at most two such edges (the "*" one alone when it has it): the search for another
 * namespace's Secrets needs no more than two namespaces per node, one of them not the reader's own.
 */
import { addEdge, secretsNode, takeTargetEdge, type GraphContext } from './context';
import { requestId, union, type ActorQueries, type NameGrants } from './grants';

/** What an actor may do with Secrets in a scope, asked once for SECRET_READ, NS_CONTROL and the legacy-token edges. */
export interface SecretGrants {
  get: NameGrants;
  /** list or watch */
  list: NameGrants;
}

const GET = requestId('get', '', 'secrets');
const LIST = requestId('list', '', 'secrets');
const WATCH = requestId('watch', '', 'secrets');

export function secretGrants(a: ActorQueries, scope: string): SecretGrants {
  return {
    get: a.mayRequest(GET, scope),
    list: union(a.mayRequest(LIST, scope), a.mayRequest(WATCH, scope)),
  };
}

/** Adds the edge when allowed; returns the grants allowing to read any Secret of the scope. */
export function secretReadEdge(ctx: GraphContext, a: ActorQueries, scope: string, s: SecretGrants): NameGrants {
  const read = union(s.list, s.get);
  if (read.any.length && takeTargetEdge(a.actor, 'SECRET_READ', scope === '*' ? 0 : 2)) {
    addEdge(ctx, {
      from: a.id,
      to: secretsNode(ctx, scope),
      kind: 'SECRET_READ',
      weight: 1,
      refs: read.any,
      detail: { namespace: scope },
    });
  }
  return read;
}
