/**
 * Plain-text and structured explanations of decisions: which binding (and which of its subjects),
 * which role, which rule. Used by the CLI (`nhi can`, `nhi who-can`) and the agreement reports.
 */
import type { RbacIndex, IndexedBinding } from './rbac-index';
import { roleKey } from '@/lib/keys';
import type { GrantReason, PolicyRule, RequestAttributes, Subject, UserInfo } from './types';
import { isNonResource } from './types';

/** A grant reason with the binding subject and the rule it names. */
export interface ExplainedReason {
  binding: GrantReason['binding'];
  role: GrantReason['role'];
  ruleIndex: number;
  rule: PolicyRule | undefined;
  subjectIndex: number;
  subject: Subject | undefined;
  /** Whether the role is an aggregated ClusterRole (its rules are written by the aggregation controller). */
  aggregated: boolean;
  text: string;
}

const bindingMaps = new WeakMap<RbacIndex, Map<string, IndexedBinding>>();

/** The indexed binding a reason names. */
export function bindingOf(index: RbacIndex, reason: GrantReason): IndexedBinding | undefined {
  let map = bindingMaps.get(index);
  if (!map) {
    map = new Map(
      index.bindings.map((b) => [
        roleKey({ kind: b.kind, namespace: b.kind === 'RoleBinding' ? b.namespace : '', name: b.name }),
        b,
      ]),
    );
    bindingMaps.set(index, map);
  }
  return map.get(roleKey(reason.binding));
}

export function formatRule(rule: PolicyRule | undefined): string {
  if (!rule) return '(rule not found)';
  const parts = [`verbs=[${rule.verbs.join(',')}]`];
  if (rule.nonResourceURLs?.length) parts.push(`nonResourceURLs=[${rule.nonResourceURLs.join(',')}]`);
  if (rule.apiGroups?.length) parts.push(`apiGroups=[${rule.apiGroups.map((g) => (g === '' ? '""' : g)).join(',')}]`);
  if (rule.resources?.length) parts.push(`resources=[${rule.resources.join(',')}]`);
  if (rule.resourceNames?.length) parts.push(`resourceNames=[${rule.resourceNames.join(',')}]`);
  return parts.join(' ');
}

export function formatSubject(s: Subject | undefined): string {
  if (!s) return '(subject not found)';
  return s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace ? `${s.namespace}/` : ''}${s.name}` : `${s.kind} ${s.name}`;
}

function ref(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

export function explainReason(index: RbacIndex, reason: GrantReason): ExplainedReason {
  const binding = bindingOf(index, reason);
  const role = index.roles.get(roleKey(reason.role));
  const rule = role?.rules[reason.ruleIndex];
  const subject = binding?.subjects[reason.subjectIndex];
  const aggregated = role?.kind === 'ClusterRole' && role.source.kind === 'ClusterRole' && !!role.source.aggregationRule;
  const text =
    `${ref(reason.binding.kind, reason.binding.namespace, reason.binding.name)} (subject ${formatSubject(subject)})` +
    ` → ${ref(reason.role.kind, reason.role.namespace, reason.role.name)}${aggregated ? ' (aggregated)' : ''}` +
    ` rule #${reason.ruleIndex}: ${formatRule(rule)}`;
  return {
    binding: reason.binding,
    role: reason.role,
    ruleIndex: reason.ruleIndex,
    rule,
    subjectIndex: reason.subjectIndex,
    subject,
    aggregated,
    text,
  };
}

/** `get pods/exec (core) name=x in namespace ns` or `get /healthz`. */
export function formatRequest(attrs: RequestAttributes): string {
  if (isNonResource(attrs)) return `${attrs.verb} ${attrs.nonResourceURL}`;
  const res = `${attrs.resource}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
  const group = attrs.apiGroup === '' ? 'core' : attrs.apiGroup === '*' ? 'any group' : attrs.apiGroup;
  return (
    `${attrs.verb} ${res} (${group})` +
    (attrs.name ? ` name=${attrs.name}` : '') +
    (attrs.namespace ? ` in namespace ${attrs.namespace}` : ' cluster-wide')
  );
}

export function formatUser(user: UserInfo): string {
  return `${user.name || '(no user name)'} groups=[${user.groups.join(',')}]`;
}
