import { describe, expect, it } from 'vitest';
import { parseBindingArg, parseRoleArg } from './what-if';

describe('nhi what-if arguments', () => {
  it('reads --remove-binding', () => {
    expect(parseBindingArg('RoleBinding/shop/api-edit')).toEqual({ kind: 'RoleBinding', namespace: 'shop', name: 'api-edit' });
    expect(parseBindingArg('ClusterRoleBinding//api-admin')).toEqual({
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: 'api-admin',
    });
    expect(parseBindingArg('clusterrolebinding/system:basic-user')).toEqual({
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: 'system:basic-user',
    });
    expect(() => parseBindingArg('RoleBinding/api-edit')).toThrow(/expected RoleBinding\/NAMESPACE\/NAME/);
    expect(() => parseBindingArg('Secret/shop/x')).toThrow(/expected/);
  });

  it('reads --add-role', () => {
    expect(parseRoleArg('ClusterRole/view')).toEqual({ roleKind: 'ClusterRole', roleName: 'view' });
    expect(parseRoleArg('ClusterRole/edit@shop')).toEqual({ roleKind: 'ClusterRole', roleName: 'edit', namespace: 'shop' });
    expect(parseRoleArg('Role/shop/config-reader')).toEqual({ roleKind: 'Role', roleName: 'config-reader', namespace: 'shop' });
    expect(parseRoleArg('Role/shop/config-reader@shop')).toEqual({
      roleKind: 'Role',
      roleName: 'config-reader',
      namespace: 'shop',
    });
    expect(() => parseRoleArg('Role/shop/config-reader@billing')).toThrow(/in its own namespace/);
    expect(() => parseRoleArg('Role/config-reader')).toThrow(/expected ClusterRole\/NAME/);
    expect(() => parseRoleArg('ClusterRole/view@')).toThrow(/not a namespace name/);
  });
});
