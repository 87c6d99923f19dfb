/**
 * Comparing two identities' RBAC power, for the token-mint target: obtaining another identity's token
 * is an escalation only when that identity may do something the first one may not.
 *
 * `gains(a, b)`: some request b's rules allow is not covered by a's rules in the same scope. Coverage is
 * the API server's own escalation check (pkg/registry/rbac/validation `Covers`): each rule of b is broken
 * down into single (verb, group, resource, name) requests, and a covers one when one of its rules lists
 * that verb, group, resource (or `*`, or `*`/subresource) and name (or no names). A `*` of b is covered only
 * by a `*` of a. Rules of b from a ClusterRoleBinding must be covered by a's ClusterRoleBinding rules;
 * rules of b in a namespace by a's cluster-wide rules and a's rules in that namespace.
 */
import type { Actor, Src } from './grants';
import type { PolicyRule } from '../types';

/** The rule lists an identity holds (its roles' own arrays, shared), by where its bindings apply. */
export interface IdentityPower {
  cluster: PolicyRule[][];
  everyNamespace: PolicyRule[][];
  byNamespace: Map<string, PolicyRule[][]>;
}

const lists = (srcs: readonly Src[]) => srcs.map((s) => s.role.rules);

/** An identity actor's power, kept after the graph is built (the actor itself is not). */
export function identityPower(actor: Actor): IdentityPower {
  const byNamespace = new Map<string, PolicyRule[][]>();
  for (const [ns, srcs] of actor.byNamespace) byNamespace.set(ns, lists(srcs));
  return { cluster: lists(actor.cluster), everyNamespace: lists(actor.everyNamespace), byNamespace };
}

interface Power {
  cluster: PolicyRule[];
  everyNamespace: PolicyRule[];
  byNamespace: Map<string, PolicyRule[]>;
}

const has = (list: readonly string[] | undefined, value: string) => !!list && (list.includes('*') || list.includes(value));

function resourceCovered(owner: PolicyRule, resource: string): boolean {
  const res = owner.resources;
  if (!res) return false;
  if (res.includes('*') || res.includes(resource)) return true;
  const slash = resource.indexOf('/');
  return slash >= 0 && res.includes(`*${resource.slice(slash)}`);
}

function covers(owner: PolicyRule, verb: string, group: string, resource: string, name: string | undefined): boolean {
  if (!has(owner.verbs, verb) || !has(owner.apiGroups, group) || !resourceCovered(owner, resource)) return false;
  const names = owner.resourceNames;
  if (!names?.length) return true;
  return name !== undefined && names.includes(name);
}

function urlCovered(owner: PolicyRule, verb: string, url: string): boolean {
  if (!has(owner.verbs, verb) || !owner.nonResourceURLs) return false;
  return owner.nonResourceURLs.some((u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))));
}

/** Whether every request `rule` allows is allowed by one of `owners`. */
export function ruleCovered(owners: readonly PolicyRule[], rule: PolicyRule): boolean {
  for (const verb of rule.verbs) {
    for (const url of rule.nonResourceURLs ?? []) if (!owners.some((o) => urlCovered(o, verb, url))) return false;
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
        for (const name of names) if (!owners.some((o) => covers(o, verb, group, resource, name))) return false;
      }
  }
  return true;
}

export class PowerComparer {
  private readonly cache = new Map<string, Power | null>();
  private readonly weights = new Map<string, number>();

  constructor(private readonly powers: ReadonlyMap<string, IdentityPower>) {}

  private power(id: string): Power | null {
    let p = this.cache.get(id);
    if (p !== undefined) return p;
    const held = this.powers.get(id);
    if (!held) p = null;
    else {
      const byNamespace = new Map<string, PolicyRule[]>();
      for (const [ns, rules] of held.byNamespace) byNamespace.set(ns, rules.flat());
      p = { cluster: held.cluster.flat(), everyNamespace: held.everyNamespace.flat(), byNamespace };
    }
    this.cache.set(id, p);
    return p;
  }

  /** How much an identity may do, roughly: its rules, cluster-wide ones counting for more (for ordering candidates). */
  weight(id: string): number {
    let w = this.weights.get(id);
    if (w !== undefined) return w;
    const held = this.powers.get(id);
    const count = (rules: readonly PolicyRule[][]) => rules.reduce((n, r) => n + r.length, 0);
    w = 0;
    if (held) {
      w = count(held.cluster) * 1000 + count(held.everyNamespace) * 100;
      for (const rules of held.byNamespace.values()) w += count(rules);
    }
    this.weights.set(id, w);
    return w;
  }

  /** Whether `b` may do something `a` may not (see the module comment). */
  gains(a: string, b: string): boolean {
    if (a === b) return false;
    const pb = this.power(b);
    if (!pb) return false;
    const pa = this.power(a) ?? { cluster: [], everyNamespace: [], byNamespace: new Map() };
    for (const r of pb.cluster) if (!ruleCovered(pa.cluster, r)) return true;
    const wide = [...pa.cluster, ...pa.everyNamespace];
    for (const r of pb.everyNamespace) if (!ruleCovered(wide, r)) return true;
    for (const [ns, rules] of pb.byNamespace) {
      const owners = [...wide, ...(pa.byNamespace.get(ns) ?? [])];
      for (const r of rules) if (!ruleCovered(owners, r)) return true;
    }
    return false;
  }
}
