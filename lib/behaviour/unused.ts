/**
 * Posture meets behaviour: which of an identity's granted RBAC rules its observed calls needed, and which
 * it held but never used over the activity window (the input for a least-privilege Role). Pure: the caller
 * (lib/data/permission-use.ts) loads the rules and the calls.
 *
 * A rule covers a call when the RBAC authorizer's `ruleAllows` (lib/rbac/match.ts) says so and, for a rule
 * granted by a RoleBinding, the call was made in that binding's namespace (a RoleBinding never covers a
 * cluster-scoped call, nor a non-resource URL). A ClusterRoleBinding's rules cover every namespace.
 */
import { formatRule } from '@/lib/rbac/explain';
import { ruleAllows } from '@/lib/rbac/match';
import type { PolicyRule, RequestAttributes } from '@/lib/rbac/types';

/** One rule of a role, as one binding grants it to the identity. */
export interface GrantedRule {
  /** How it is granted, e.g. `RoleBinding shop/api-edit → ClusterRole edit`. */
  binding: string;
  /** The RoleBinding's namespace; '' for a ClusterRoleBinding (every namespace and cluster-scoped). */
  namespace: string;
  rule: PolicyRule;
}

/** A distinct action observed in the window, as the RuntimeEvent store writes it. */
export interface ObservedAction {
  verb: string;
  /** `[group/]resource[/subresource]`, e.g. `secrets`, `apps/deployments`, `pods/exec`; null for a non-resource URL. */
  resource: string | null;
  /** null or '' when cluster-scoped (or the call named no namespace). */
  namespace: string | null;
  /** The object's name, needed to judge rules with resourceNames; null or absent when the call named none. */
  name?: string | null;
  /** The path of a non-resource request (e.g. `/healthz`, a query string is ignored). */
  requestURI?: string | null;
  calls: number;
}

/** Observed actions a rule covered, names folded away. */
export interface CoveredAction {
  verb: string;
  /** The resource text, or the URL path of a non-resource request. */
  target: string;
  namespace: string;
  calls: number;
}

export interface RuleUse extends GrantedRule {
  /** The rule in words (`verbs=[get,list] apiGroups=[""] resources=[secrets]`). */
  text: string;
  /** Calls it covered. */
  calls: number;
  covered: CoveredAction[];
  /** Verbs of the covered calls, sorted. */
  usedVerbs: string[];
  /** Verbs the rule lists that no covered call used (`*` counts as used once anything is covered). */
  unusedVerbs: string[];
}

export interface PermissionUseSummary {
  /** Granted rules (one per binding and rule). */
  granted: number;
  /** Rules that covered at least one call. */
  used: number;
  /** Rules that covered nothing: what a least-privilege Role would drop. */
  unused: RuleUse[];
  /** Rules that covered calls, but some of whose verbs were never used. */
  partial: RuleUse[];
}

/** API groups without a dot, so that `apps/deployments` is read as group + resource, not resource + subresource. */
export const DOTLESS_GROUPS: ReadonlySet<string> = new Set(['apps', 'batch', 'policy', 'autoscaling', 'extensions']);

/**
 * Splits the stored resource text into group, resource and subresource. Two segments are ambiguous
 * (`pods/exec` vs `apps/deployments`): the first is a group when it holds a dot or is a dotless built-in group.
 * Three segments are group/resource/subresource. Null for an empty text.
 */
export function parseResourceText(text: string): { group: string; resource: string; subresource: string } | null {
  const parts = text.split('/');
  if (parts.some((p) => p === '')) return null;
  if (parts.length === 1) return { group: '', resource: parts[0]!, subresource: '' };
  if (parts.length === 2) {
    const [first, second] = parts as [string, string];
    return first.includes('.') || DOTLESS_GROUPS.has(first)
      ? { group: first, resource: second, subresource: '' }
      : { group: '', resource: first, subresource: second };
  }
  if (parts.length === 3) return { group: parts[0]!, resource: parts[1]!, subresource: parts[2]! };
  return null;
}

/** The request an observed action stands for; null when it cannot be told (no resource and no URL). */
export function requestOf(a: ObservedAction): RequestAttributes | null {
  if (!a.resource) {
    const path = a.requestURI?.split('?')[0];
    return path ? { verb: a.verb, nonResourceURL: path } : null;
  }
  const ref = parseResourceText(a.resource);
  if (!ref) return null;
  return {
    verb: a.verb,
    apiGroup: ref.group,
    resource: ref.resource,
    ...(ref.subresource ? { subresource: ref.subresource } : {}),
    namespace: a.namespace ?? '',
    name: a.name ?? '',
  };
}

/** Does this granted rule cover the action (the rule allows it, and a RoleBinding's only in its namespace)? */
export function covers(g: GrantedRule, a: ObservedAction, request: RequestAttributes | null = requestOf(a)): boolean {
  if (!request) return false;
  if (g.namespace !== '' && (a.resource === null || a.resource === '' || (a.namespace ?? '') !== g.namespace)) return false;
  return ruleAllows(g.rule, request);
}

const targetOf = (a: ObservedAction) => a.resource || a.requestURI?.split('?')[0] || '(unknown)';

/** Per granted rule, the observed actions it covered and the verbs it never used, in the order given. */
export function ruleUses(granted: readonly GrantedRule[], observed: readonly ObservedAction[]): RuleUse[] {
  const requests = observed.map((a) => ({ action: a, request: requestOf(a) }));
  return granted.map((g) => {
    const byKey = new Map<string, CoveredAction>();
    for (const { action, request } of requests) {
      if (!covers(g, action, request)) continue;
      const c = { verb: action.verb, target: targetOf(action), namespace: action.namespace ?? '' };
      const key = `${c.verb}\u0000${c.target}\u0000${c.namespace}`;
      const entry = byKey.get(key) ?? { ...c, calls: 0 };
      entry.calls += action.calls;
      byKey.set(key, entry);
    }
    const covered = [...byKey.values()].sort(
      (a, b) =>
        b.calls - a.calls ||
        a.verb.localeCompare(b.verb) ||
        a.target.localeCompare(b.target) ||
        a.namespace.localeCompare(b.namespace),
    );
    const usedVerbs = [...new Set(covered.map((c) => c.verb))].sort();
    const unusedVerbs = g.rule.verbs.filter((v) => (v === '*' ? covered.length === 0 : !usedVerbs.includes(v)));
    return {
      ...g,
      text: formatRule(g.rule),
      calls: covered.reduce((n, c) => n + c.calls, 0),
      covered,
      usedVerbs,
      unusedVerbs,
    };
  });
}

/** The summary the identity page, its route and `nhi activity` show. */
export function summarisePermissionUse(
  granted: readonly GrantedRule[],
  observed: readonly ObservedAction[],
): PermissionUseSummary {
  const uses = ruleUses(granted, observed);
  const used = uses.filter((u) => u.covered.length > 0);
  return {
    granted: uses.length,
    used: used.length,
    unused: uses.filter((u) => u.covered.length === 0),
    partial: used.filter((u) => u.unusedVerbs.length > 0),
  };
}
