import type { ReachBinding as Binding } from './json';

export type { Binding };

/** `RoleBinding ns/name → ClusterRole edit`, as the identity page lists it. */
export const bindingText = (b: Binding) =>
  `${b.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.name} → ${b.role}${b.roleMissing ? ' (role missing)' : ''}`;

/**
 * An identity's bindings, split by how they reach it: those that name it directly first, then one group
 * per Kubernetes group (system:authenticated, system:serviceaccounts…), alphabetically.
 */
export function bindingGroups(bindings: Binding[]): { label: string; bindings: Binding[] }[] {
  const byLabel = new Map<string, Binding[]>();
  for (const b of bindings) {
    const label = b.group ? `through group ${b.group}` : 'directly';
    byLabel.set(label, [...(byLabel.get(label) ?? []), b]);
  }
  return [...byLabel]
    .map(([label, list]) => ({ label, bindings: list }))
    .sort((a, b) => (a.label === 'directly' ? -1 : b.label === 'directly' ? 1 : a.label.localeCompare(b.label)));
}
