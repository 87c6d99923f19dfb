/**
 * ClusterRole aggregation.
 *
 * In a cluster, the authorizer never looks at `aggregationRule`: the clusterrole-aggregation
 * controller (kubernetes/kubernetes pkg/controller/clusterroleaggregation) writes the union of the
 * rules of every ClusterRole selected by any of the selectors into the aggregated role's `.rules`
 * (replacing what was there), and the authorizer reads `.rules`. The controller walks selectors in
 * order, selected roles sorted by name, skips the role itself, and drops rules deep-equal to one
 * already collected. It re-runs whenever any ClusterRole changes, so chains (admin ⊇ edit ⊇ view)
 * settle to a fixpoint.
 *
 * The engine accepts three kinds of input and therefore offers three modes:
 * - `stored`: trust `.rules` as read (a live cluster whose controller has settled).
 * - `computed`: ignore stored rules of aggregated roles and compute the controller's steady state
 *   (least fixpoint). Right for manifests whose aggregated roles carry stale or hand-written rules.
 * - `union` (default): stored rules first, then computed rules not already present. On a settled
 *   live cluster this equals `stored` (same rules, same indices); on a manifest (empty `.rules`) it
 *   equals `computed`; while the controller is catching up it errs towards "allowed", which is the
 *   safe side for a security dashboard. Rule indices in reasons refer to this effective list.
 */
import { labelSelectorMatches } from './match';
import type { ClusterRole, PolicyRule } from './types';

export type AggregationMode = 'union' | 'stored' | 'computed';

/** Semantic.DeepEqual of two rules: field by field, order-sensitive, nil == empty. */
export function ruleKey(rule: PolicyRule): string {
  return JSON.stringify([
    rule.verbs ?? [],
    rule.apiGroups ?? [],
    rule.resources ?? [],
    rule.resourceNames ?? [],
    rule.nonResourceURLs ?? [],
  ]);
}

/**
 * Effective rules of every ClusterRole, by name. Roles without an aggregationRule keep their rules.
 * `clusterRoles` must have unique names (the loader keeps the last of duplicates).
 */
export function effectiveClusterRoleRules(
  clusterRoles: readonly ClusterRole[],
  mode: AggregationMode = 'union',
): Map<string, PolicyRule[]> {
  const out = new Map<string, PolicyRule[]>();
  for (const cr of clusterRoles) out.set(cr.metadata.name, cr.rules ?? []);
  if (mode === 'stored') return out;

  const aggregated = clusterRoles.filter((cr) => cr.aggregationRule);
  if (aggregated.length === 0) return out;

  const sorted = [...clusterRoles].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
  // Selected role names per aggregated role, per selector, in controller order. Labels are fixed.
  const selections = new Map<string, string[][]>();
  for (const agg of aggregated) {
    const perSelector: string[][] = [];
    for (const selector of agg.aggregationRule?.clusterRoleSelectors ?? []) {
      perSelector.push(
        sorted
          .filter((cr) => cr.metadata.name !== agg.metadata.name && labelSelectorMatches(selector, cr.metadata.labels))
          .map((cr) => cr.metadata.name),
      );
    }
    selections.set(agg.metadata.name, perSelector);
  }

  const current = new Map<string, PolicyRule[]>();
  for (const agg of aggregated) {
    current.set(agg.metadata.name, mode === 'union' ? [...(agg.rules ?? [])] : []);
  }
  const rulesOf = (name: string): PolicyRule[] => current.get(name) ?? out.get(name) ?? [];

  // Monotone iteration: every round can only add rules, and there are finitely many distinct rules.
  for (let round = 0; round <= aggregated.length + 1; round++) {
    let changed = false;
    for (const agg of aggregated) {
      const name = agg.metadata.name;
      const seen = new Set<string>();
      const next: PolicyRule[] = [];
      const push = (r: PolicyRule) => {
        const k = ruleKey(r);
        if (!seen.has(k)) {
          seen.add(k);
          next.push(r);
        }
      };
      if (mode === 'union') for (const r of agg.rules ?? []) push(r);
      for (const selected of selections.get(name) ?? []) {
        for (const other of selected) for (const r of rulesOf(other)) push(r);
      }
      const prev = current.get(name) ?? [];
      if (next.length !== prev.length) changed = true;
      current.set(name, next);
    }
    if (!changed) break;
  }
  for (const [name, rules] of current) out.set(name, rules);
  return out;
}
