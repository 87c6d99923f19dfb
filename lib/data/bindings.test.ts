import { describe, expect, it } from 'vitest';
import { bindingGroups, bindingText, type Binding } from './bindings';
import { reachBindingSchema } from './json';

const b = (name: string, group: string | null, extra: Partial<Binding> = {}): Binding => ({
  kind: 'ClusterRoleBinding',
  namespace: '',
  name,
  role: `ClusterRole ${name}`,
  roleMissing: false,
  group,
  ...extra,
});

describe('bindingGroups', () => {
  it('puts direct bindings first, then one entry per group, alphabetically, keeping binding order', () => {
    const groups = bindingGroups([
      b('system:basic-user', 'system:authenticated'),
      b('tekton-info', 'system:serviceaccounts', { kind: 'RoleBinding', namespace: 'tekton', role: 'Role tekton-info' }),
      b('pod-create', null, { kind: 'RoleBinding', namespace: 'default', role: 'Role create-pods' }),
      b('system:discovery', 'system:authenticated'),
    ]);
    expect(groups.map((g) => [g.label, g.bindings.map((x) => x.name)])).toEqual([
      ['directly', ['pod-create']],
      ['through group system:authenticated', ['system:basic-user', 'system:discovery']],
      ['through group system:serviceaccounts', ['tekton-info']],
    ]);
  });

  it('counts rows stored without the group field as direct (parsed at the read edge)', () => {
    const { group: _, ...stored } = b('old', null);
    const legacy = reachBindingSchema.parse(stored);
    expect(legacy.group).toBeNull();
    expect(bindingGroups([legacy]).map((g) => g.label)).toEqual(['directly']);
    expect(bindingGroups([])).toEqual([]);
  });
});

describe('bindingText', () => {
  it('names the binding with its namespace, the role, and a missing role', () => {
    expect(bindingText(b('x', null, { kind: 'RoleBinding', namespace: 'apps', role: 'Role gone', roleMissing: true }))).toBe(
      'RoleBinding apps/x → Role gone (role missing)',
    );
    expect(bindingText(b('cluster-admin', null))).toBe('ClusterRoleBinding cluster-admin → ClusterRole cluster-admin');
  });
});
