/**
 * Rule matching, exactly as the Kubernetes RBAC authorizer does it.
 *
 * Behaviour follows kubernetes/kubernetes `plugin/pkg/auth/authorizer/rbac/rbac.go` (RuleAllows)
 * and `pkg/apis/rbac/v1/evaluation_helpers.go` (VerbMatches, APIGroupMatches, ResourceMatches,
 * ResourceNameMatches, NonResourceURLMatches). Points worth knowing, all covered by tests:
 *
 * - `*` is a wildcard for verbs, apiGroups and resources; `""` is the core API group.
 * - A requested subresource is matched as the combined string `resource/subresource`; a rule may
 *   also name `* /subresource` (without the space) to cover that subresource of every resource.
 * - `resource/*` is NOT a wildcard: upstream deliberately refuses it (kubernetes/kubernetes#78936,
 *   kubernetes/enhancements#4961), so `pods/*` only matches a literal subresource named `*`.
 *   Scanners that read it as "all pod subresources" are wrong about what Kubernetes allows; the
 *   *lenient* reading below reproduces their view so the dashboard can say "declared but ignored".
 * - An empty resourceNames list matches every name (including the empty name of list/create);
 *   a non-empty one only matches requests that carry one of those names. `*` is not special there.
 * - nonResourceURLs: `*` matches everything; a trailing `*` is a prefix match; otherwise exact.
 * - A resource rule never matches a non-resource request and vice versa (checked fields differ).
 */
import type { LabelSelector, PolicyRule, RequestAttributes, ResourceAttributes } from './types';
import { isNonResource } from './types';

export const VERB_ALL = '*';
export const API_GROUP_ALL = '*';
export const RESOURCE_ALL = '*';
export const NON_RESOURCE_ALL = '*';

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs ?? []) {
    if (v === VERB_ALL || v === verb) return true;
  }
  return false;
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups ?? []) {
    if (g === API_GROUP_ALL || g === group) return true;
  }
  return false;
}

/**
 * `combined` is `resource` or `resource/subresource`; `subresource` is the requested subresource
 * ("" when none).
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === RESOURCE_ALL || r === combined) return true;
    if (subresource.length === 0) continue;
    // "*/<subresource>": exactly two characters longer than the subresource.
    if (r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  for (const n of names) if (n === name) return true;
  return false;
}

export function nonResourceURLMatches(rule: PolicyRule, url: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === NON_RESOURCE_ALL || u === url) return true;
    if (u.endsWith('*') && url.startsWith(trimRightStars(u))) return true;
  }
  return false;
}

/** Go's strings.TrimRight(s, "*"): removes every trailing `*`. */
function trimRightStars(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 42) end--;
  return s.slice(0, end);
}

export function combinedResource(attrs: ResourceAttributes): string {
  return attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
}

/** RuleAllows: does this one rule allow the request? */
export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (isNonResource(attrs)) {
    return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.nonResourceURL);
  }
  const sub = attrs.subresource ?? '';
  return (
    verbMatches(rule, attrs.verb) &&
    apiGroupMatches(rule, attrs.apiGroup) &&
    resourceMatches(rule, combinedResource(attrs), sub) &&
    resourceNameMatches(rule, attrs.name ?? '')
  );
}

/**
 * The reading many scanners use: like `ruleAllows`, but `resource/*` also covers every subresource
 * of `resource`. Never use this to answer "is it allowed" — only to flag rules whose author meant
 * more than Kubernetes grants.
 */
export function ruleAllowsLenient(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (ruleAllows(rule, attrs)) return true;
  if (isNonResource(attrs) || !attrs.subresource) return false;
  if (!verbMatches(rule, attrs.verb) || !apiGroupMatches(rule, attrs.apiGroup)) return false;
  if (!resourceNameMatches(rule, attrs.name ?? '')) return false;
  const wanted = `${attrs.resource}/*`;
  return (rule.resources ?? []).includes(wanted);
}

/**
 * Label selector semantics of metav1.LabelSelectorAsSelector: matchLabels AND every
 * matchExpression. An empty selector matches everything. Unknown operators match nothing
 * (the API server rejects them, so this only guards hand-written input).
 */
export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(l, k) || l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const value = l[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
