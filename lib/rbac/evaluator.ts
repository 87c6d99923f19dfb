/**
 * can / whoCan / rulesFor: the RBAC authorizer's decision procedure over an index.
 *
 * Mirrors kubernetes/kubernetes `DefaultRuleResolver.VisitRulesFor` + `RBACAuthorizer.Authorize`:
 * every ClusterRoleBinding whose subjects apply to the user contributes its ClusterRole's rules in
 * every namespace and cluster-wide; RoleBindings contribute only to requests in their own namespace
 * (a cluster-wide request — namespace "" — never sees RoleBindings, whatever the role says); a
 * binding whose role is missing, or a ClusterRoleBinding referring to a Role, contributes nothing;
 * there is no deny. The first subject of a binding that applies is the one reported.
 */
import { identityKey } from '@/lib/keys';
import { ruleAllows } from './match';
import { buildIndex, type IndexedBinding, type RbacIndex } from './rbac-index';
import { subjectAppliesTo, toUserInfo } from './subjects';
import type {
  Decision,
  GrantReason,
  PolicyRule,
  RbacSnapshot,
  RequestAttributes,
  Subject,
  SubjectQuery,
  UserInfo,
} from './types';
import { isNonResource } from './types';

export function ensureIndex(input: RbacSnapshot | RbacIndex): RbacIndex {
  return 'roleList' in input ? input : buildIndex(input);
}

/** Index of the first subject of the binding that designates the user, or -1. */
export function firstApplyingSubject(user: UserInfo, binding: IndexedBinding): number {
  for (let i = 0; i < binding.subjects.length; i++) {
    if (subjectAppliesTo(user, binding.subjects[i] as Subject, binding.namespace)) return i;
  }
  return -1;
}

/** Bindings whose subjects designate the user and that `keep` accepts, in index order (ClusterRoleBindings first). */
function designatingBindings(
  index: RbacIndex,
  user: UserInfo,
  keep: (b: IndexedBinding) => boolean = () => true,
): { binding: IndexedBinding; subjectIndex: number }[] {
  const seen = new Set<number>();
  const out: { binding: IndexedBinding; subjectIndex: number }[] = [];
  const consider = (list: IndexedBinding[] | undefined) => {
    for (const b of list ?? []) {
      if (seen.has(b.id)) continue;
      seen.add(b.id);
      if (!keep(b)) continue;
      const i = firstApplyingSubject(user, b);
      if (i >= 0) out.push({ binding: b, subjectIndex: i });
    }
  };
  consider(index.bindingsByUser.get(user.name));
  for (const g of user.groups) consider(index.bindingsByGroup.get(g));
  out.sort((a, b) => a.binding.id - b.binding.id);
  return out;
}

/**
 * Every binding (any namespace) whose subjects designate the user, in index order
 * (ClusterRoleBindings first). Includes bindings whose role is missing.
 */
export function bindingsFor(index: RbacIndex, subject: SubjectQuery): { binding: IndexedBinding; subjectIndex: number }[] {
  return designatingBindings(index, toUserInfo(subject));
}

/** Bindings that take part in a decision for this namespace ("" = cluster-wide request). */
function applicableBindings(
  index: RbacIndex,
  user: UserInfo,
  namespace: string,
): { binding: IndexedBinding; subjectIndex: number }[] {
  return designatingBindings(
    index,
    user,
    (b) => b.kind === 'ClusterRoleBinding' || (namespace !== '' && b.namespace === namespace),
  );
}

export function reasonFor(binding: IndexedBinding, subjectIndex: number, ruleIndex: number): GrantReason {
  const role = binding.role;
  return {
    binding:
      binding.kind === 'RoleBinding'
        ? { kind: 'RoleBinding', namespace: binding.namespace, name: binding.name }
        : { kind: 'ClusterRoleBinding', name: binding.name },
    role:
      role?.kind === 'Role'
        ? { kind: 'Role', namespace: role.namespace, name: role.name }
        : { kind: 'ClusterRole', name: role?.name ?? binding.roleRef.name },
    ruleIndex,
    subjectIndex,
  };
}

/**
 * Would the Kubernetes RBAC authorizer allow this request by this identity?
 * Returns every (binding, rule) that allows it; `allowed` iff there is at least one.
 */
export function can(input: RbacSnapshot | RbacIndex, subject: SubjectQuery, attrs: RequestAttributes): Decision {
  const index = ensureIndex(input);
  const user = toUserInfo(subject);
  const namespace = isNonResource(attrs) ? '' : (attrs.namespace ?? '');
  const reasons: GrantReason[] = [];
  for (const { binding, subjectIndex } of applicableBindings(index, user, namespace)) {
    const rules = binding.role?.rules;
    if (!rules) continue;
    for (let i = 0; i < rules.length; i++) {
      if (ruleAllows(rules[i] as PolicyRule, attrs)) reasons.push(reasonFor(binding, subjectIndex, i));
    }
  }
  return { allowed: reasons.length > 0, reasons };
}

export interface GrantedRule {
  rule: PolicyRule;
  reason: GrantReason;
}

/**
 * RulesFor: every rule that applies to the identity for requests in `namespace`
 * ("" = cluster-wide requests: ClusterRoleBindings only).
 */
export function rulesFor(input: RbacSnapshot | RbacIndex, subject: SubjectQuery, namespace = ''): GrantedRule[] {
  const index = ensureIndex(input);
  const user = toUserInfo(subject);
  const out: GrantedRule[] = [];
  for (const { binding, subjectIndex } of applicableBindings(index, user, namespace)) {
    const rules = binding.role?.rules ?? [];
    rules.forEach((rule, i) => out.push({ rule, reason: reasonFor(binding, subjectIndex, i) }));
  }
  return out;
}

/** A binding subject that can designate someone, with namespace filled in for ServiceAccounts. */
export interface ResolvedSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export interface WhoCanEntry {
  subject: ResolvedSubject;
  reasons: GrantReason[];
}

export function resolveSubject(subject: Subject, bindingNamespace: string): ResolvedSubject | undefined {
  if (!subject.name) return undefined;
  switch (subject.kind) {
    case 'User':
    case 'Group':
      return { kind: subject.kind, name: subject.name };
    case 'ServiceAccount': {
      const ns = subject.namespace ? subject.namespace : bindingNamespace;
      return ns ? { kind: 'ServiceAccount', namespace: ns, name: subject.name } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Who can make this request: every binding subject through which it is allowed.
 * A user is allowed exactly when their name matches a User subject (or the ServiceAccount's
 * username matches), or one of their groups matches a Group subject, listed here.
 */
export function whoCan(input: RbacSnapshot | RbacIndex, attrs: RequestAttributes): WhoCanEntry[] {
  const index = ensureIndex(input);
  const namespace = isNonResource(attrs) ? '' : (attrs.namespace ?? '');
  const candidates: IndexedBinding[] = [...index.clusterRoleBindings];
  if (namespace !== '') candidates.push(...(index.roleBindingsByNamespace.get(namespace) ?? []));
  const bySubject = new Map<string, WhoCanEntry>();
  for (const binding of candidates) {
    const rules = binding.role?.rules;
    if (!rules) continue;
    const allowing: number[] = [];
    for (let i = 0; i < rules.length; i++) if (ruleAllows(rules[i] as PolicyRule, attrs)) allowing.push(i);
    if (allowing.length === 0) continue;
    binding.subjects.forEach((s, subjectIndex) => {
      const rs = resolveSubject(s, binding.namespace);
      if (!rs) return;
      const key = identityKey(rs);
      let entry = bySubject.get(key);
      if (!entry) {
        entry = { subject: rs, reasons: [] };
        bySubject.set(key, entry);
      }
      for (const i of allowing) entry.reasons.push(reasonFor(binding, subjectIndex, i));
    });
  }
  return [...bySubject.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

/** Does a whoCan answer admit this user? (Used to cross-check whoCan against can.) */
export function whoCanAdmits(entries: WhoCanEntry[], user: UserInfo): boolean {
  return entries.some(({ subject }) => {
    if (subject.kind === 'Group') return user.groups.includes(subject.name);
    if (subject.kind === 'User') return user.name === subject.name;
    return user.name === `system:serviceaccount:${subject.namespace}:${subject.name}`;
  });
}
