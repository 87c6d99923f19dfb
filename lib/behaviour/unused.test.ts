import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '@/lib/rbac/types';
import {
  covers,
  parseResourceText,
  requestOf,
  ruleUses,
  summarisePermissionUse,
  type GrantedRule,
  type ObservedAction,
} from './unused';

const crb = (rule: PolicyRule, binding = 'ClusterRoleBinding api-read → ClusterRole read'): GrantedRule => ({
  binding,
  namespace: '',
  rule,
});
const rb = (namespace: string, rule: PolicyRule): GrantedRule => ({
  binding: `RoleBinding ${namespace}/api-edit → ClusterRole edit`,
  namespace,
  rule,
});
const act = (
  verb: string,
  resource: string | null,
  namespace: string | null,
  more: Partial<ObservedAction> = {},
): ObservedAction => ({
  verb,
  resource,
  namespace,
  calls: 1,
  ...more,
});

describe('parseResourceText', () => {
  it('reads one segment as a core resource', () => {
    expect(parseResourceText('secrets')).toEqual({ group: '', resource: 'secrets', subresource: '' });
  });
  it('reads two segments as resource/subresource unless the first is a group', () => {
    expect(parseResourceText('pods/exec')).toEqual({ group: '', resource: 'pods', subresource: 'exec' });
    expect(parseResourceText('apps/deployments')).toEqual({ group: 'apps', resource: 'deployments', subresource: '' });
    expect(parseResourceText('batch/jobs')).toEqual({ group: 'batch', resource: 'jobs', subresource: '' });
    expect(parseResourceText('policy/poddisruptionbudgets')).toEqual({
      group: 'policy',
      resource: 'poddisruptionbudgets',
      subresource: '',
    });
    expect(parseResourceText('rbac.authorization.k8s.io/clusterroles')).toEqual({
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
      subresource: '',
    });
    expect(parseResourceText('serviceaccounts/token')).toEqual({ group: '', resource: 'serviceaccounts', subresource: 'token' });
  });
  it('reads three segments as group/resource/subresource, and refuses empty or longer texts', () => {
    expect(parseResourceText('apps/deployments/scale')).toEqual({ group: 'apps', resource: 'deployments', subresource: 'scale' });
    expect(parseResourceText('')).toBeNull();
    expect(parseResourceText('a//b')).toBeNull();
    expect(parseResourceText('a/b/c/d')).toBeNull();
  });
});

describe('requestOf', () => {
  it('makes a resource request with namespace and name', () => {
    expect(requestOf(act('get', 'secrets', 'shop', { name: 'db' }))).toEqual({
      verb: 'get',
      apiGroup: '',
      resource: 'secrets',
      namespace: 'shop',
      name: 'db',
    });
  });
  it('makes a non-resource request from the URL path, without its query string', () => {
    expect(requestOf(act('get', null, null, { requestURI: '/healthz?verbose=1' }))).toEqual({
      verb: 'get',
      nonResourceURL: '/healthz',
    });
  });
  it('gives null when neither a resource nor a URL is known', () => {
    expect(requestOf(act('get', null, null))).toBeNull();
    expect(requestOf(act('get', '', ''))).toBeNull();
  });
});

describe('covers', () => {
  const secretsRead: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'] };

  it('applies a ClusterRoleBinding rule in every namespace and to cluster-scoped calls', () => {
    expect(covers(crb(secretsRead), act('get', 'secrets', 'shop'))).toBe(true);
    expect(covers(crb(secretsRead), act('list', 'secrets', ''))).toBe(true);
    expect(covers(crb(secretsRead), act('delete', 'secrets', 'shop'))).toBe(false);
    expect(covers(crb(secretsRead), act('get', 'configmaps', 'shop'))).toBe(false);
  });

  it("applies a RoleBinding rule only to calls in the binding's namespace", () => {
    expect(covers(rb('shop', secretsRead), act('get', 'secrets', 'shop'))).toBe(true);
    expect(covers(rb('shop', secretsRead), act('get', 'secrets', 'billing'))).toBe(false);
    // Listing across every namespace is a cluster-scoped call: a RoleBinding never grants it.
    expect(covers(rb('shop', secretsRead), act('list', 'secrets', ''))).toBe(false);
    expect(covers(rb('shop', secretsRead), act('list', 'secrets', null))).toBe(false);
  });

  it('matches wildcards for verbs, groups and resources', () => {
    const all = crb({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    expect(covers(all, act('delete', 'apps/deployments', 'shop'))).toBe(true);
    expect(covers(all, act('create', 'pods/exec', 'shop'))).toBe(true);
    expect(covers(all, act('get', 'nodes', ''))).toBe(true);
    // A resource wildcard says nothing of non-resource URLs.
    expect(covers(all, act('get', null, null, { requestURI: '/metrics' }))).toBe(false);
  });

  it('tells the API group apart', () => {
    const deployments = crb({ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] });
    expect(covers(deployments, act('get', 'apps/deployments', 'shop'))).toBe(true);
    expect(covers(deployments, act('get', 'extensions/deployments', 'shop'))).toBe(false);
    const core = crb({ verbs: ['get'], apiGroups: [''], resources: ['deployments'] });
    expect(covers(core, act('get', 'apps/deployments', 'shop'))).toBe(false);
  });

  it('matches subresources only when the rule names them', () => {
    const pods = crb({ verbs: ['create', 'get'], apiGroups: [''], resources: ['pods'] });
    expect(covers(pods, act('create', 'pods/exec', 'shop'))).toBe(false);
    const exec = crb({ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] });
    expect(covers(exec, act('create', 'pods/exec', 'shop'))).toBe(true);
    expect(covers(exec, act('create', 'pods', 'shop'))).toBe(false);
    const scale = crb({ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] });
    expect(covers(scale, act('update', 'apps/deployments/scale', 'shop'))).toBe(true);
    expect(covers(scale, act('update', 'apps/deployments', 'shop'))).toBe(false);
    // `*/scale` is every resource's scale subresource; `pods/*` is not every pod subresource.
    expect(
      covers(
        crb({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }),
        act('update', 'apps/statefulsets/scale', 'shop'),
      ),
    ).toBe(true);
    expect(covers(crb({ verbs: ['create'], apiGroups: [''], resources: ['pods/*'] }), act('create', 'pods/exec', 'shop'))).toBe(
      false,
    );
  });

  it('matches resourceNames only against the named object', () => {
    const one = crb({ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] });
    expect(covers(one, act('get', 'secrets', 'shop', { name: 'db' }))).toBe(true);
    expect(covers(one, act('get', 'secrets', 'shop', { name: 'other' }))).toBe(false);
    // A call that names no object (list) is not covered by a rule limited to names.
    expect(covers(one, act('get', 'secrets', 'shop'))).toBe(false);
    expect(covers(one, act('list', 'secrets', 'shop', { name: null }))).toBe(false);
  });

  it('matches non-resource URLs exactly or by a trailing star, and only through ClusterRoleBindings', () => {
    const health = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(covers(crb(health), act('get', null, null, { requestURI: '/healthz' }))).toBe(true);
    expect(covers(crb(health), act('get', null, null, { requestURI: '/apis/apps/v1' }))).toBe(true);
    expect(covers(crb(health), act('get', null, null, { requestURI: '/healthz/etcd' }))).toBe(false);
    expect(covers(crb(health), act('post', null, null, { requestURI: '/healthz' }))).toBe(false);
    expect(covers(rb('shop', health), act('get', null, null, { requestURI: '/healthz' }))).toBe(false);
    // A non-resource rule never covers a resource call.
    expect(covers(crb({ verbs: ['*'], nonResourceURLs: ['*'] }), act('get', 'pods', 'shop'))).toBe(false);
  });
});

describe('ruleUses and summarisePermissionUse', () => {
  const granted: GrantedRule[] = [
    rb('shop', { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'] }),
    rb('shop', {
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      apiGroups: [''],
      resources: ['secrets'],
    }),
    rb('shop', { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }),
    crb({ verbs: ['*'], apiGroups: ['apps'], resources: ['deployments'] }),
    crb({ verbs: ['get'], nonResourceURLs: ['/metrics'] }),
  ];
  const observed: ObservedAction[] = [
    act('get', 'configmaps', 'shop', { calls: 5 }),
    act('list', 'configmaps', 'shop', { calls: 2 }),
    act('watch', 'configmaps', 'shop', { calls: 1 }),
    act('get', 'secrets', 'shop', { calls: 3, name: 'db' }),
    act('get', 'secrets', 'shop', { calls: 4, name: 'tls' }),
    act('get', 'secrets', 'billing', { calls: 9 }),
    act('patch', 'apps/deployments', 'shop', { calls: 7 }),
    act('get', null, null, { calls: 2, requestURI: '/version' }),
  ];

  it('lists per rule the calls it covered, names folded away, and the verbs never used', () => {
    const uses = ruleUses(granted, observed);
    expect(uses.map((u) => [u.calls, u.usedVerbs, u.unusedVerbs])).toEqual([
      [8, ['get', 'list', 'watch'], []],
      [7, ['get'], ['list', 'watch', 'create', 'update', 'patch', 'delete']],
      [0, [], ['create']],
      [7, ['patch'], []],
      [0, [], ['get']],
    ]);
    // The two named gets of secrets are one covered action; the call in billing is not this RoleBinding's.
    expect(uses[1]!.covered).toEqual([{ verb: 'get', target: 'secrets', namespace: 'shop', calls: 7 }]);
    expect(uses[0]!.covered.map((c) => c.verb)).toEqual(['get', 'list', 'watch']);
    expect(uses[1]!.text).toBe('verbs=[get,list,watch,create,update,patch,delete] apiGroups=[""] resources=[secrets]');
    expect(uses[1]!.binding).toBe('RoleBinding shop/api-edit → ClusterRole edit');
  });

  it('says which rules were never used and which were used only in part', () => {
    const s = summarisePermissionUse(granted, observed);
    expect([s.granted, s.used]).toEqual([5, 3]);
    expect(s.unused.map((u) => u.text)).toEqual([
      'verbs=[create] apiGroups=[""] resources=[pods/exec]',
      'verbs=[get] nonResourceURLs=[/metrics]',
    ]);
    expect(s.partial.map((u) => u.text)).toEqual([
      'verbs=[get,list,watch,create,update,patch,delete] apiGroups=[""] resources=[secrets]',
    ]);
  });

  it('counts a rule as used when a call reached it even though the request never completed (0 calls)', () => {
    const s = summarisePermissionUse([granted[2]!], [act('create', 'pods/exec', 'shop', { calls: 0 })]);
    expect([s.used, s.unused.length, s.partial.length]).toEqual([1, 0, 0]);
  });

  it('calls every rule unused without observed actions, and is empty without rules', () => {
    const s = summarisePermissionUse(granted, []);
    expect([s.granted, s.used, s.unused.length, s.partial.length]).toEqual([5, 0, 5, 0]);
    expect(summarisePermissionUse([], observed)).toEqual({ granted: 0, used: 0, unused: [], partial: [] });
  });

  it('lets two rules cover the same call', () => {
    const twice = [
      crb({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }),
      crb({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }),
    ];
    const s = summarisePermissionUse(twice, [act('get', 'pods', 'shop')]);
    expect([s.used, s.unused.length]).toEqual([2, 0]);
  });
});
