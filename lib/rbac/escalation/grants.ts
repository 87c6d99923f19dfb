/**
 * Actors and what their rules allow. An actor holds rule sources per scope (cluster-wide, every
 * namespace, one namespace); a question is one request (verb, group, resource, subresource) asked
 * in a scope, and its answer lists the rules allowing it, for any name or per name. Rules become
 * GrantReasons only when an edge keeps them (`dedupe`).
 */
import { ANY_GROUP, ANY_RESOURCE, ANY_VERB } from '../capabilities';
import { reasonFor } from '../evaluator';
import { ruleAllows } from '../match';
import type { IndexedBinding, IndexedRole } from '../rbac-index';
import type { GrantReason, PolicyRule, ResourceAttributes } from '../types';

/** A source of rules for an actor: a role reached through a binding, or a role it could bind. */
export interface Src {
  id: number;
  role: IndexedRole;
  binding?: IndexedBinding;
  subjectIndex: number;
  /** Reason template for roles not yet bound (role grants, namespace admin). */
  virtual?: GrantReason;
  /** The reasons made so far, per rule index: edges share them instead of holding copies. */
  reasons?: Map<number, GrantReason>;
}

/** One rule of one source allowing a request. Turned into a GrantReason only when an edge is kept. */
export interface GrantRef {
  src: Src;
  rule: number;
}

export interface Actor {
  id: string;
  /** Sources applying cluster-wide, to cluster-scoped resources and in every namespace. */
  cluster: Src[];
  /** Sources applying in every namespace but not to cluster-scoped resources (RoleBindings everywhere). */
  everyNamespace: Src[];
  byNamespace: Map<string, Src[]>;
  /** Roles the actor is bound to, with the scope of the binding ("*", "*ns" or a namespace). */
  boundRoles: { role: IndexedRole; scope: string }[];
  /** Target edges it has, by edge kind (see `takeTargetEdge`); -1: no more. */
  targetEdges?: Record<string, number>;
}

type Scope = '*' | string;

export interface NameGrants {
  /** Rules allowing it whatever the name. */
  any: GrantRef[];
  /** Rules allowing only listed names. */
  byName: Map<string, GrantRef[]>;
}

const NO_REFS: GrantRef[] = [];
const NO_NAMES: Map<string, GrantRef[]> = new Map();

/** Empty results share frozen-by-convention empties; they are replaced on first write. */
export function emptyGrants(): NameGrants {
  return { any: NO_REFS, byName: NO_NAMES };
}

export function allows(g: NameGrants, name: string): GrantRef[] | undefined {
  if (g.any.length) return g.any;
  return g.byName.get(name);
}

export function granted(g: NameGrants): boolean {
  return g.any.length > 0 || g.byName.size > 0;
}

// The requests edges are derived from, registered once; each role is matched against all of them
// once (cached), so an actor's query only looks up its roles' hits.
const QUERIES: ResourceAttributes[] = [];
const QUERY_INDEX = new Map<string, Map<string, Map<string, Map<string, number>>>>();
function queryId(verb: string, group: string, resource: string, subresource = ''): number {
  let byGroup = QUERY_INDEX.get(verb);
  if (!byGroup) QUERY_INDEX.set(verb, (byGroup = new Map()));
  let byResource = byGroup.get(group);
  if (!byResource) byGroup.set(group, (byResource = new Map()));
  let bySub = byResource.get(resource);
  if (!bySub) byResource.set(resource, (bySub = new Map()));
  let i = bySub.get(subresource);
  if (i === undefined) {
    i = QUERIES.length;
    bySub.set(subresource, i);
    QUERIES.push({ verb, apiGroup: group, resource, ...(subresource ? { subresource } : {}) });
  }
  return i;
}

/** The id of a request, for `ActorQueries.mayRequest`. */
export function requestId(verb: string, group: string, resource: string, subresource?: string): number {
  return queryId(verb, group, resource, subresource);
}

interface RuleHit {
  rule: number;
  names?: string[];
}
const roleQueryHits = new WeakMap<IndexedRole, (RuleHit[] | undefined)[]>();

function hitsFor(role: IndexedRole, q: number): RuleHit[] | undefined {
  let table = roleQueryHits.get(role);
  if (!table) {
    table = [];
    roleQueryHits.set(role, table);
  }
  if (q in table) return table[q];
  const attrs = QUERIES[q] as ResourceAttributes;
  let hits: RuleHit[] | undefined;
  for (let i = 0; i < role.rules.length; i++) {
    const rule = role.rules[i] as PolicyRule;
    const names = rule.resourceNames ?? [];
    if (names.length === 0) {
      if (ruleAllows(rule, attrs)) (hits ??= []).push({ rule: i });
    } else if (ruleAllows(rule, { ...attrs, name: names[0] as string })) (hits ??= []).push({ rule: i, names });
  }
  table[q] = hits;
  return hits;
}

/**
 * Which names the actor may use a request on in a scope. `clusterScoped` requests only see
 * ClusterRoleBinding-level sources; namespaced ones in scope "*" see sources valid in every namespace.
 */
function query(actor: Actor, q: number, scope: Scope, clusterScoped: boolean): NameGrants {
  const out = emptyGrants();
  visitSources(actor.cluster, q, out);
  if (!clusterScoped) {
    visitSources(actor.everyNamespace, q, out);
    if (scope !== '*') visitSources(actor.byNamespace.get(scope), q, out);
  }
  return out;
}

function visitSources(list: Src[] | undefined, q: number, out: NameGrants): void {
  if (!list) return;
  for (const src of list) {
    const hits = hitsFor(src.role, q);
    if (!hits) continue;
    for (const h of hits) {
      const ref = { src, rule: h.rule };
      if (!h.names) {
        if (out.any === NO_REFS) out.any = [];
        out.any.push(ref);
      } else {
        if (out.byName === NO_NAMES) out.byName = new Map();
        for (const n of h.names) {
          const arr = out.byName.get(n);
          if (arr) arr.push(ref);
          else out.byName.set(n, [ref]);
        }
      }
    }
  }
}

export function union(...gs: NameGrants[]): NameGrants {
  const nonEmpty = gs.filter(granted);
  if (nonEmpty.length === 0) return emptyGrants();
  if (nonEmpty.length === 1) return nonEmpty[0] as NameGrants;
  const any: GrantRef[] = [];
  const byName = new Map<string, GrantRef[]>();
  for (const g of nonEmpty) {
    any.push(...g.any);
    for (const [n, r] of g.byName) byName.set(n, [...(byName.get(n) ?? []), ...r]);
  }
  return { any, byName: byName.size ? byName : NO_NAMES };
}

/**
 * The questions edge families ask about one actor: `may` for a namespaced request in a scope ("*":
 * every namespace, or a namespace), `mayCluster` for a cluster-scoped one (only ClusterRoleBinding-level
 * sources count). Each answer is a fresh NameGrants; the rule matching behind it is cached per role.
 * (Remembering answers per scope as well was measured slower: most are asked once.)
 */
export class ActorQueries {
  readonly id: string;

  constructor(readonly actor: Actor) {
    this.id = actor.id;
  }

  may(verb: string, group: string, resource: string, scope: Scope, subresource?: string): NameGrants {
    return query(this.actor, queryId(verb, group, resource, subresource), scope, false);
  }

  /** `may` for a request registered once with `requestId` (hot paths ask the same requests for every scope). */
  mayRequest(request: number, scope: Scope): NameGrants {
    return query(this.actor, request, scope, false);
  }

  mayCluster(verb: string, group: string, resource: string, subresource?: string): NameGrants {
    return query(this.actor, queryId(verb, group, resource, subresource), '*', true);
  }

  /** Scopes with namespaced sources: "*" (cluster-wide or every-namespace sources), then each namespace. */
  scopes(): string[] {
    const scopes: string[] = [];
    if (this.actor.cluster.length || this.actor.everyNamespace.length) scopes.push('*');
    for (const ns of this.actor.byNamespace.keys()) scopes.push(ns);
    return scopes;
  }

  /** Whether it may impersonate some ServiceAccount in some namespace. */
  mayImpersonateSomeServiceAccount(): boolean {
    if (granted(this.may('impersonate', '', 'serviceaccounts', '*'))) return true;
    for (const ns of this.actor.byNamespace.keys()) if (granted(this.may('impersonate', '', 'serviceaccounts', ns))) return true;
    return false;
  }
}

const SUPER_RULE: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };
export const SUPER_ROLE: IndexedRole = {
  key: 'ClusterRole//(every permission)',
  kind: 'ClusterRole',
  name: '(every permission)',
  rules: [SUPER_RULE],
  source: { kind: 'ClusterRole', metadata: { name: '(every permission)' }, rules: [SUPER_RULE] },
  id: -1,
};
const PROBE: ResourceAttributes = { verb: ANY_VERB, apiGroup: ANY_GROUP, resource: ANY_RESOURCE };

export function isSuperRole(role: IndexedRole): boolean {
  return role.rules.some((r) => ruleAllows(r, PROBE));
}

/** The attacker names the new role: fine if either verb is unrestricted or both allow a common name. */
export function choosableName(a: NameGrants, b: NameGrants): boolean {
  if (!granted(a) || !granted(b)) return false;
  if (a.any.length && b.any.length) return true;
  if (a.any.length) return b.byName.size > 0;
  if (b.any.length) return a.byName.size > 0;
  for (const n of a.byName.keys()) if (b.byName.has(n)) return true;
  return false;
}

export function firstGrants(g: NameGrants): GrantRef[] {
  if (g.any.length) return g.any;
  const first = g.byName.values().next();
  return first.done ? [] : first.value;
}

export function roleRefOf(role: IndexedRole): { kind: string; namespace?: string; name: string } {
  return role.kind === 'Role'
    ? { kind: 'Role', namespace: role.namespace, name: role.name }
    : { kind: 'ClusterRole', name: role.name };
}

export function virtualReason(role: IndexedRole): GrantReason {
  return {
    binding: { kind: 'ClusterRoleBinding', name: '(to be created)' },
    role:
      role.kind === 'Role'
        ? { kind: 'Role', namespace: role.namespace, name: role.name }
        : { kind: 'ClusterRole', name: role.name },
    ruleIndex: 0,
    subjectIndex: 0,
  };
}

export function syntheticReason(ns: string): GrantReason {
  return {
    binding: { kind: 'RoleBinding', namespace: ns, name: '(any permission)' },
    role: { kind: 'ClusterRole', name: 'cluster-admin' },
    ruleIndex: 0,
    subjectIndex: 0,
  };
}

/** Distinct grants, as reasons. */
export function dedupe(refs: GrantRef[]): GrantReason[] {
  const seen = new Set<number>();
  const out: GrantReason[] = [];
  for (const { src, rule } of refs) {
    const k = src.id * 65536 + rule;
    if (seen.has(k)) continue;
    seen.add(k);
    src.reasons ??= new Map();
    let reason = src.reasons.get(rule);
    if (!reason) {
      reason = src.binding
        ? reasonFor(src.binding, src.subjectIndex, rule)
        : { ...(src.virtual as GrantReason), ruleIndex: rule };
      src.reasons.set(rule, reason);
    }
    out.push(reason);
  }
  return out;
}
