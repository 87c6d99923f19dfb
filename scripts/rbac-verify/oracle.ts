/**
 * Brute-force oracle for the RBAC evaluator, written separately from it as a literal reading of the
 * Kubernetes rules (no index, no caching, no shared helpers): scan every binding, resolve its role by
 * scanning the role lists, test every rule. Test-only.
 */
import type { ClusterRole, LabelSelector, PolicyRule, RbacSnapshot, RequestAttributes, UserInfo } from '@/lib/rbac/types';

function ruleKeyOf(r: PolicyRule): string {
  return JSON.stringify([r.verbs ?? [], r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);
}

function selectorSelects(sel: LabelSelector, labels: Record<string, string>): boolean {
  const ml = sel.matchLabels ?? {};
  for (const key of Object.keys(ml)) if (!(key in labels) || labels[key] !== ml[key]) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = key(labels, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(present && vals.includes(labels[e.key] as string))) return false;
    if (e.operator === 'NotIn' && present && vals.includes(labels[e.key] as string)) return false;
    if (e.operator === 'Exists' && !present) return false;
    if (e.operator === 'DoesNotExist' && present) return false;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) return false;
  }
  return true;
}

function key(o: Record<string, string>, k: string): boolean {
  return Object.keys(o).includes(k);
}

/** Rules of every ClusterRole after aggregation ("union" of stored and selected, to a fixpoint). */
export function oracleClusterRoleRules(clusterRoles: ClusterRole[]): Map<string, PolicyRule[]> {
  // Later definitions of the same name replace earlier ones.
  const byName = new Map<string, ClusterRole>();
  for (const cr of clusterRoles) byName.set(cr.metadata.name, cr);
  const rules = new Map<string, PolicyRule[]>();
  for (const [name, cr] of byName) rules.set(name, [...(cr.rules ?? [])]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, cr] of byName) {
      if (!cr.aggregationRule) continue;
      const have = new Set((rules.get(name) ?? []).map(ruleKeyOf));
      for (const [otherName, other] of byName) {
        if (otherName === name) continue;
        const picked = cr.aggregationRule.clusterRoleSelectors.some((s) => selectorSelects(s, other.metadata.labels ?? {}));
        if (!picked) continue;
        for (const r of rules.get(otherName) ?? []) {
          if (have.has(ruleKeyOf(r))) continue;
          have.add(ruleKeyOf(r));
          rules.get(name)!.push(r);
          changed = true;
        }
      }
    }
  }
  return rules;
}

function ruleGrants(rule: PolicyRule, a: RequestAttributes): boolean {
  const verbs = rule.verbs ?? [];
  if (!verbs.some((v) => v === '*' || v === a.verb)) return false;
  if ('nonResourceURL' in a) {
    return (rule.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === a.nonResourceURL || (u.endsWith('*') && a.nonResourceURL.startsWith(u.replace(/\*+$/, ''))),
    );
  }
  if (!(rule.apiGroups ?? []).some((g) => g === '*' || g === a.apiGroup)) return false;
  const wanted = a.subresource ? a.resource + '/' + a.subresource : a.resource;
  const resOk = (rule.resources ?? []).some(
    (r) => r === '*' || r === wanted || (a.subresource !== undefined && a.subresource !== '' && r === '*/' + a.subresource),
  );
  if (!resOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(a.name ?? '');
}

function subjectIs(user: UserInfo, s: { kind: string; name: string; namespace?: string }, rbNamespace: string | null): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace && s.namespace.length > 0 ? s.namespace : rbNamespace;
    if (!ns) return false;
    return user.name === 'system:serviceaccount:' + ns + ':' + s.name;
  }
  return false;
}

/** Would Kubernetes allow it? */
export function oracleAllows(snapshot: RbacSnapshot, user: UserInfo, attrs: RequestAttributes): boolean {
  const crRules = oracleClusterRoleRules(snapshot.clusterRoles);
  const requestNs = 'nonResourceURL' in attrs ? '' : (attrs.namespace ?? '');
  for (const crb of snapshot.clusterRoleBindings) {
    if (!(crb.subjects ?? []).some((s) => subjectIs(user, s, null))) continue;
    if (crb.roleRef.kind !== 'ClusterRole') continue;
    if ((crRules.get(crb.roleRef.name) ?? []).some((r) => ruleGrants(r, attrs))) return true;
  }
  if (requestNs === '') return false;
  for (const rb of snapshot.roleBindings) {
    if (rb.metadata.namespace !== requestNs) continue;
    if (!(rb.subjects ?? []).some((s) => subjectIs(user, s, rb.metadata.namespace))) continue;
    let rules: PolicyRule[] = [];
    if (rb.roleRef.kind === 'ClusterRole') rules = crRules.get(rb.roleRef.name) ?? [];
    else if (rb.roleRef.kind === 'Role') {
      const matches = snapshot.roles.filter((r) => r.metadata.namespace === requestNs && r.metadata.name === rb.roleRef.name);
      rules = matches.length ? (matches[matches.length - 1]!.rules ?? []) : [];
    }
    if (rules.some((r) => ruleGrants(r, attrs))) return true;
  }
  return false;
}
