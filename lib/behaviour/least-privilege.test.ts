import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { can } from '@/lib/rbac/evaluator';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  RbacSnapshot,
  RequestAttributes,
  Role,
  RoleBinding,
} from '@/lib/rbac/types';
import {
  DEFAULT_MAX_NAMES,
  expandRule,
  fixNames,
  leastPrivilege,
  nameRestrictable,
  type FixInput,
  type LeastPrivilegeFix,
  type ObservedCall,
} from './least-privilege';
import type { GrantedRule } from './unused';

const SA = { namespace: 'shop', name: 'api' };
const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

const call = (
  verb: string,
  resource: string,
  namespace: string,
  name: string | null = null,
  allowed = 1,
  denied = 0,
): ObservedCall => ({
  verb,
  resource,
  namespace,
  name,
  allowed,
  denied,
});
const url = (verb: string, path: string, allowed = 1, denied = 0): ObservedCall => ({
  verb,
  resource: null,
  namespace: '',
  requestURI: path,
  allowed,
  denied,
});
const grant = (binding: string, namespace: string, rule: PolicyRule): GrantedRule => ({ binding, namespace, rule });

// The identity's own grants: edit-like rights in shop, a reader in billing, and a cluster-wide reader.
const EDIT = 'RoleBinding shop/api-edit → ClusterRole edit';
const VIEW = 'RoleBinding billing/api-view → ClusterRole view';
const NODES = 'ClusterRoleBinding api-nodes → ClusterRole node-reader';
const granted: GrantedRule[] = [
  grant(EDIT, 'shop', {
    verbs: ALL_VERBS,
    apiGroups: [''],
    resources: ['configmaps', 'secrets', 'pods', 'pods/exec', 'pods/log', 'services', 'namespaces'],
  }),
  grant(EDIT, 'shop', { verbs: ALL_VERBS, apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'] }),
  grant(EDIT, 'shop', {
    verbs: ['get', 'list', 'watch', 'create', 'update'],
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
  }),
  grant(VIEW, 'billing', { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'] }),
  grant(NODES, '', { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['nodes', 'pods'] }),
  grant(NODES, '', { verbs: ['get'], nonResourceURLs: ['/metrics', '/healthz'] }),
];
// What it holds through system:authenticated (discovery and self-reviews), as every account does.
const shared: GrantedRule[] = [
  grant('ClusterRoleBinding system:discovery → ClusterRole system:discovery (group system:authenticated)', '', {
    verbs: ['get'],
    nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version'],
  }),
  grant('ClusterRoleBinding system:basic-user → ClusterRole system:basic-user (group system:authenticated)', '', {
    verbs: ['create'],
    apiGroups: ['authorization.k8s.io'],
    resources: ['selfsubjectaccessreviews'],
  }),
];

/** A service's normal work: its ConfigMaps, its Secret by name, its Deployment scaled, a lease, nodes, metrics. */
const normalCalls: ObservedCall[] = [
  call('get', 'configmaps', 'shop', 'app-config', 40),
  call('list', 'configmaps', 'shop', null, 12),
  call('watch', 'configmaps', 'shop', null, 12),
  call('get', 'secrets', 'shop', 'db', 40),
  call('get', 'apps/deployments', 'shop', 'api', 5),
  call('patch', 'apps/deployments/scale', 'shop', 'api', 2),
  call('list', 'configmaps', 'billing', null, 3),
  call('list', 'nodes', '', null, 4),
  url('get', '/metrics', 6),
  // Discovery and a self-review: allowed through system:authenticated.
  url('get', '/api', 3),
  url('get', '/apis', 3),
  call('create', 'authorization.k8s.io/selfsubjectaccessreviews', '', null, 1),
];

const input = (over: Partial<FixInput> = {}): FixInput => ({
  serviceAccount: { ...SA, automountToken: null },
  calls: normalCalls,
  granted,
  shared,
  window: { days: 7, since: '2026-11-22T10:00:00.000Z', until: '2026-11-29T10:00:00.000Z' },
  ...over,
});

/** The generated objects as the authorizer's input, to ask it what the fix allows. */
function snapshotOf(fix: LeastPrivilegeFix): RbacSnapshot {
  const s: RbacSnapshot = { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] };
  for (const d of fix.documents) {
    if (d.kind === 'Role') s.roles.push(d as unknown as Role);
    if (d.kind === 'ClusterRole') s.clusterRoles.push(d as unknown as ClusterRole);
    if (d.kind === 'RoleBinding') s.roleBindings.push(d as unknown as RoleBinding);
    if (d.kind === 'ClusterRoleBinding') s.clusterRoleBindings.push(d as unknown as ClusterRoleBinding);
  }
  return s;
}
const allows = (fix: LeastPrivilegeFix, r: RequestAttributes) =>
  can(snapshotOf(fix), { kind: 'ServiceAccount', ...SA }, r).allowed;
const res = (
  verb: string,
  apiGroup: string,
  resource: string,
  namespace: string,
  name = '',
  subresource = '',
): RequestAttributes => ({
  verb,
  apiGroup,
  resource,
  namespace,
  name,
  ...(subresource ? { subresource } : {}),
});

describe('leastPrivilege: the Roles', () => {
  const fix = leastPrivilege(input());

  it('makes one Role per namespace it acted in and one ClusterRole for cluster-wide calls and URLs, each bound to it', () => {
    expect(fix.roles.map((r) => [r.kind, r.namespace, r.name])).toEqual([
      ['Role', 'billing', 'api-least-privilege'],
      ['Role', 'shop', 'api-least-privilege'],
      ['ClusterRole', '', 'shop:api-least-privilege'],
    ]);
    expect(fix.roles.find((r) => r.namespace === 'shop')!.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['db'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['api'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['api'], verbs: ['patch'] },
    ]);
    expect(fix.roles.find((r) => r.namespace === 'billing')!.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
    ]);
    expect(fix.roles.find((r) => r.kind === 'ClusterRole')!.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(fix.documents.map((d) => `${String(d.kind)} ${JSON.stringify(d.metadata)}`)).toHaveLength(6);
    const bindings = fix.documents.filter((d) => String(d.kind).endsWith('Binding'));
    for (const b of bindings) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'api', namespace: 'shop' }]);
    expect(bindings.map((b) => b.roleRef)).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'api-least-privilege' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'api-least-privilege' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'shop:api-least-privilege' },
    ]);
  });

  it('allows every wanted call, as the RBAC authorizer reads the generated objects', () => {
    const wanted = [
      res('get', '', 'configmaps', 'shop', 'app-config'),
      res('list', '', 'configmaps', 'shop'),
      res('watch', '', 'configmaps', 'shop'),
      res('get', '', 'secrets', 'shop', 'db'),
      res('get', 'apps', 'deployments', 'shop', 'api'),
      res('patch', 'apps', 'deployments', 'shop', 'api', 'scale'),
      res('list', '', 'configmaps', 'billing'),
      res('list', '', 'nodes', ''),
      { verb: 'get', nonResourceURL: '/metrics' },
    ];
    for (const r of wanted) expect(allows(fix, r), JSON.stringify(r)).toBe(true);
  });

  it('denies what the broad grants allowed but no call used', () => {
    const others: RequestAttributes[] = [
      res('delete', 'apps', 'deployments', 'shop', 'api'),
      res('list', '', 'secrets', 'shop'),
      res('get', '', 'secrets', 'shop', 'other'),
      res('create', '', 'pods', 'exec', 'api-0', 'exec'),
      res('create', '', 'pods', 'shop', 'api-0', 'exec'),
      res('get', '', 'configmaps', 'shop', 'someone-elses'),
      res('update', '', 'configmaps', 'shop', 'app-config'),
      res('get', '', 'configmaps', 'billing', 'x'),
      res('list', '', 'configmaps', 'payments'),
      res('list', '', 'configmaps', ''),
      res('get', '', 'nodes', '', 'node-1'),
      res('watch', '', 'nodes', ''),
      res('list', '', 'pods', ''),
      res('update', 'coordination.k8s.io', 'leases', 'shop', 'leader'),
      res('patch', 'apps', 'deployments', 'shop', 'other', 'scale'),
      res('patch', 'apps', 'deployments', 'shop', 'api'),
      { verb: 'get', nonResourceURL: '/healthz' },
      { verb: 'post', nonResourceURL: '/metrics' },
    ];
    for (const r of others) expect(allows(fix, r), JSON.stringify(r)).toBe(false);
  });

  it('never writes a wildcard, even from a cluster-admin grant', () => {
    const admin = [
      grant('ClusterRoleBinding api-admin → ClusterRole cluster-admin', '', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }),
    ];
    const adminUrls = [
      grant('ClusterRoleBinding api-admin → ClusterRole cluster-admin', '', { verbs: ['*'], nonResourceURLs: ['*'] }),
    ];
    const f = leastPrivilege(input({ granted: [...admin, ...adminUrls] }));
    const rules = f.roles.flatMap((r) => r.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules)
      for (const v of [...r.verbs, ...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.nonResourceURLs ?? [])])
        expect(v).not.toContain('*');
    expect(f.yaml).not.toContain('*');
    // cluster-admin's rules: used, but not kept whole.
    expect(f.diff.rules.map((r) => r.status)).toEqual(['narrowed', 'narrowed']);
  });

  it('gives the same YAML whatever the order of calls and grants, and the YAML reads back as the documents', () => {
    const shuffled = leastPrivilege(input({ calls: [...normalCalls].reverse(), granted: [...granted].reverse() }));
    expect(shuffled.yaml).toBe(fix.yaml);
    expect(leastPrivilege(input()).yaml).toBe(fix.yaml);
    const docs = parseAllDocuments(fix.yaml);
    expect(Array.isArray(docs) && docs.map((d) => d.toJS())).toEqual(fix.documents);
    expect(fix.yaml).toContain('  - apiGroups:\n      - ""\n');
    expect(fix.yaml.split('---\n')).toHaveLength(6);
    expect(fix.documents[0]!.metadata).toEqual({
      name: 'api-least-privilege',
      namespace: 'billing',
      labels: { 'app.kubernetes.io/managed-by': 'nhi-dashboard' },
      annotations: {
        'nhi.dev/least-privilege-for': 'system:serviceaccount:shop:api',
        'nhi.dev/observed-window': '2026-11-22T10:00:00.000Z/2026-11-29T10:00:00.000Z',
      },
    });
  });

  it('merges resources of one API group that share verbs and names, and URLs that share verbs', () => {
    const f = leastPrivilege(
      input({
        calls: [
          call('list', 'configmaps', 'shop'),
          call('list', 'services', 'shop'),
          call('watch', 'services', 'shop'),
          call('list', 'apps/deployments', 'shop'),
          url('get', '/metrics'),
          url('get', '/healthz'),
        ],
      }),
    );
    expect(f.roles.map((r) => r.rules)).toEqual([
      [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['list'] },
        { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] },
      ],
      [{ nonResourceURLs: ['/healthz', '/metrics'], verbs: ['get'] }],
    ]);
    const merged = leastPrivilege(input({ calls: [call('list', 'configmaps', 'shop'), call('list', 'services', 'shop')] }));
    expect(merged.roles[0]!.rules).toEqual([{ apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['list'] }]);
  });

  it('puts a list across all namespaces in the ClusterRole (a Role cannot allow it)', () => {
    const f = leastPrivilege(input({ calls: [call('list', 'pods', ''), call('watch', 'pods', '')] }));
    expect(f.roles).toEqual([
      expect.objectContaining({
        kind: 'ClusterRole',
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
      }),
    ]);
    expect(allows(f, res('list', '', 'pods', ''))).toBe(true);
    expect(allows(f, res('get', '', 'pods', 'shop', 'x'))).toBe(false);
  });

  it('allows reading its own Namespace with a Role in it, as the authorizer judges it', () => {
    const f = leastPrivilege(input({ calls: [call('get', 'namespaces', 'shop', 'shop')] }));
    expect(f.roles).toEqual([
      expect.objectContaining({
        kind: 'Role',
        namespace: 'shop',
        rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: ['shop'], verbs: ['get'] }],
      }),
    ]);
    expect(allows(f, res('get', '', 'namespaces', 'shop', 'shop'))).toBe(true);
  });

  it('reads the API group of dotted and dotless groups and subresources', () => {
    const f = leastPrivilege(
      input({
        calls: [
          call('get', 'coordination.k8s.io/leases', 'shop', 'leader'),
          call('update', 'coordination.k8s.io/leases', 'shop', 'leader'),
          call('get', 'pods/log', 'shop', 'api-0'),
        ],
      }),
    );
    expect(f.roles[0]!.rules).toEqual([
      { apiGroups: [''], resources: ['pods/log'], resourceNames: ['api-0'], verbs: ['get'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['leader'], verbs: ['get', 'update'] },
    ]);
  });

  it('adds create to a websocket exec (get pods/exec) when it holds create, and only then', () => {
    const f = leastPrivilege(input({ calls: [call('get', 'pods/exec', 'shop', 'api-0')] }));
    expect(f.roles[0]!.rules).toEqual([
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['api-0'], verbs: ['create', 'get'] },
    ]);
    const getOnly = [grant(EDIT, 'shop', { verbs: ['get'], apiGroups: [''], resources: ['pods/exec'] })];
    const g = leastPrivilege(input({ granted: getOnly, calls: [call('get', 'pods/exec', 'shop', 'api-0')] }));
    expect(g.roles[0]!.rules).toEqual([{ apiGroups: [''], resources: ['pods/exec'], resourceNames: ['api-0'], verbs: ['get'] }]);
  });

  it('makes nothing to apply when there was no wanted call', () => {
    const f = leastPrivilege(input({ calls: [url('get', '/api'), call('list', 'secrets', 'shop', null, 0, 3)] }));
    expect(f.roles).toEqual([]);
    expect(f.yaml).toBe('');
    expect(f.diff.rules.every((r) => r.status === 'dropped')).toBe(true);
  });
});

describe('leastPrivilege: resourceNames', () => {
  const rulesOf = (calls: ObservedCall[], maxNames?: number) =>
    leastPrivilege(input({ calls }), maxNames === undefined ? {} : { maxNames }).roles.flatMap((r) => r.rules);

  it('limits by name when every call named the same few objects, verbs sharing the names in one rule', () => {
    expect(
      rulesOf([
        call('get', 'configmaps', 'shop', 'b'),
        call('get', 'configmaps', 'shop', 'a'),
        call('update', 'configmaps', 'shop', 'a'),
        call('update', 'configmaps', 'shop', 'b'),
        call('delete', 'configmaps', 'shop', 'c'),
      ]),
    ).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a', 'b'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['c'], verbs: ['delete'] },
    ]);
  });

  it(`does not limit by name past ${DEFAULT_MAX_NAMES} objects (or maxNames), and says why`, () => {
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => call('get', 'secrets', 'shop', n));
    expect(rulesOf(many)).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    expect(leastPrivilege(input({ calls: many })).notes).toEqual([
      `get secrets in shop: not limited by name (6 objects, more than ${DEFAULT_MAX_NAMES})`,
    ]);
    expect(rulesOf(many.slice(0, 5))).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['a', 'b', 'c', 'd', 'e'], verbs: ['get'] },
    ]);
    expect(rulesOf(many.slice(0, 2), 1)).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
  });

  it('does not limit by name when some call named no object', () => {
    const calls = [call('patch', 'configmaps', 'shop', 'a'), call('patch', 'configmaps', 'shop', null)];
    expect(rulesOf(calls)).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['patch'] }]);
    expect(leastPrivilege(input({ calls })).notes).toEqual([
      'patch configmaps in shop: not limited by name (some calls named no object)',
    ]);
  });

  it('never limits list, watch, deletecollection or the create of an object, even when the audit event named one', () => {
    expect(
      rulesOf([
        call('list', 'configmaps', 'shop', 'a'),
        call('watch', 'configmaps', 'shop', 'a'),
        call('deletecollection', 'configmaps', 'shop', 'a'),
        call('create', 'configmaps', 'shop', 'a'),
      ]),
    ).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'deletecollection', 'list', 'watch'] }]);
    expect(nameRestrictable('list', '')).toBe(false);
    expect(nameRestrictable('watch', '')).toBe(false);
    expect(nameRestrictable('create', '')).toBe(false);
    expect(nameRestrictable('get', '')).toBe(true);
  });

  it('limits the create of a subresource by name (the name is in the path)', () => {
    expect(rulesOf([call('create', 'pods/exec', 'shop', 'api-0')])).toEqual([
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['api-0'], verbs: ['create'] },
    ]);
    expect(nameRestrictable('create', 'exec')).toBe(true);
  });
});

describe('leastPrivilege: which calls count', () => {
  it('does not grant what was denied, unless the owner asks', () => {
    const calls = [call('get', 'configmaps', 'shop', 'a'), call('list', 'secrets', 'shop', null, 0, 4)];
    const f = leastPrivilege(input({ calls }));
    expect(f.roles.flatMap((r) => r.rules)).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get'] },
    ]);
    expect(f.actions.find((a) => a.verb === 'list')).toMatchObject({ decision: 'denied', calls: 4 });
    expect(f.diff.added).toEqual([]);
    expect(allows(f, res('list', '', 'secrets', 'shop'))).toBe(false);

    const asked = leastPrivilege(input({ calls }), { includeDenied: true });
    expect(asked.roles.flatMap((r) => r.rules)).toContainEqual({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] });
    expect(asked.actions.find((a) => a.verb === 'list')).toMatchObject({ decision: 'denied-granted' });
    expect(asked.diff.added).toEqual([expect.objectContaining({ verb: 'list', target: 'secrets', namespace: 'shop', calls: 4 })]);
  });

  it('splits an action allowed for some objects and denied for others', () => {
    const f = leastPrivilege(
      input({ calls: [call('get', 'secrets', 'shop', 'db', 3, 0), call('get', 'secrets', 'shop', 'vault', 0, 2)] }),
    );
    expect(f.roles[0]!.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['db'], verbs: ['get'] }]);
    expect(f.actions.map((a) => [a.decision, a.calls, a.names])).toEqual([
      ['granted', 3, ['db']],
      ['denied', 2, ['vault']],
    ]);
  });

  it('leaves out what its groups allow (discovery, self-reviews): those bindings stay', () => {
    const f = leastPrivilege(input());
    const sharedActions = f.actions.filter((a) => a.decision === 'shared');
    expect(sharedActions.map((a) => `${a.verb} ${a.target}`).sort()).toEqual([
      'create authorization.k8s.io/selfsubjectaccessreviews',
      'get /api',
      'get /apis',
    ]);
    expect(sharedActions[0]!.reason).toMatch(/^stays allowed by ClusterRoleBinding system:/);
    expect(f.yaml).not.toContain('selfsubjectaccessreviews');
    expect(f.yaml).not.toContain('/api\n');
  });

  it('never grants more than it holds now: an allowed call no current rule allows is left out', () => {
    const f = leastPrivilege(
      input({ calls: [call('get', 'configmaps', 'shop', 'a'), call('delete', 'batch/jobs', 'shop', 'old')] }),
    );
    expect(f.roles.flatMap((r) => r.rules)).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get'] },
    ]);
    expect(f.actions.find((a) => a.target === 'batch/jobs')).toMatchObject({
      decision: 'not-granted',
      reason: 'allowed in the window, but no binding it holds now allows it',
    });
    // A RoleBinding's rule does not cover the same call in another namespace.
    const other = leastPrivilege(input({ calls: [call('delete', 'configmaps', 'billing', 'x')] }));
    expect(other.roles).toEqual([]);
    expect(other.actions[0]!.decision).toBe('not-granted');
  });

  it('grants a request still running at the end of the window (it passed authorization), not one merely received', () => {
    const running: ObservedCall = { ...call('watch', 'pods', 'shop', null, 0), started: true };
    const f = leastPrivilege(input({ calls: [running] }));
    expect(f.roles[0]!.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['watch'] }]);
    expect(f.actions).toEqual([expect.objectContaining({ decision: 'granted', calls: 0 })]);
    expect(leastPrivilege(input({ calls: [call('watch', 'pods', 'shop', null, 0)] })).roles).toEqual([]);
  });

  it('cannot grant a call whose resource or URL was not recorded', () => {
    const f = leastPrivilege(input({ calls: [{ verb: 'get', resource: null, namespace: '', allowed: 2, denied: 0 }] }));
    expect(f.roles).toEqual([]);
    expect(f.actions).toEqual([expect.objectContaining({ decision: 'unknown', calls: 2, target: '(unknown)' })]);
  });

  it('folds names per action and lists the busiest first', () => {
    const f = leastPrivilege(input());
    expect(f.actions[0]).toMatchObject({
      verb: 'get',
      target: 'configmaps',
      namespace: 'shop',
      calls: 40,
      names: ['app-config'],
    });
    expect(f.actions.find((a) => a.verb === 'list' && a.target === 'configmaps' && a.namespace === 'shop')).toMatchObject({
      names: [],
      unnamed: true,
    });
  });
});

describe('leastPrivilege: the diff against the rules held now', () => {
  it('says of each rule held whether it is kept, narrowed or dropped, with the verbs dropped', () => {
    const own = [
      grant('RoleBinding shop/api-config → Role shop/config', 'shop', {
        verbs: ['get', 'list'],
        apiGroups: [''],
        resources: ['configmaps'],
      }),
      grant('RoleBinding shop/api-db → Role shop/db', 'shop', {
        verbs: ['get'],
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['db'],
      }),
      grant('RoleBinding shop/api-db → Role shop/db', 'shop', {
        verbs: ['get', 'list', 'delete'],
        apiGroups: [''],
        resources: ['secrets'],
      }),
      grant('RoleBinding shop/api-lease → Role shop/lease', 'shop', {
        verbs: ['get', 'update'],
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
      }),
      grant(NODES, '', { verbs: ['list'], apiGroups: [''], resources: ['nodes'] }),
      grant(NODES, '', { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }),
      grant(NODES, '', { verbs: ['get'], nonResourceURLs: ['/metrics', '/healthz'] }),
    ];
    const f = leastPrivilege(
      input({
        granted: own,
        calls: [
          call('get', 'configmaps', 'shop', 'a'),
          call('get', 'configmaps', 'shop', null),
          call('list', 'configmaps', 'shop'),
          call('get', 'secrets', 'shop', 'db'),
          call('list', 'nodes', ''),
          call('list', 'pods', 'shop'),
          url('get', '/metrics'),
        ],
      }),
    );
    expect(f.diff.rules.map((r) => [r.text, r.status, r.droppedVerbs])).toEqual([
      ['verbs=[get,list] apiGroups=[""] resources=[configmaps]', 'kept', []],
      ['verbs=[get] apiGroups=[""] resources=[secrets] resourceNames=[db]', 'kept', []],
      // Its get covered the same call (limited by name now); list and delete never used.
      ['verbs=[get,list,delete] apiGroups=[""] resources=[secrets]', 'narrowed', ['list', 'delete']],
      ['verbs=[get,update] apiGroups=[coordination.k8s.io] resources=[leases]', 'dropped', ['get', 'update']],
      ['verbs=[list] apiGroups=[""] resources=[nodes]', 'kept', []],
      // Cluster-wide pods: its calls were in one namespace only, so they move to a Role there.
      ['verbs=[get,list,watch] apiGroups=[""] resources=[pods]', 'narrowed', ['get', 'watch']],
      ['verbs=[get] nonResourceURLs=[/metrics,/healthz]', 'narrowed', []],
    ]);
    expect(f.diff).toMatchObject({ kept: 3, narrowed: 3, dropped: 1, added: [] });
    expect(f.diff.rules[3]!.note).toBe('no wanted call in the window needed it');
    expect(f.diff.rules[5]!.note).toBe(
      'only what its calls used is kept; verbs never used: get, watch; namespaced calls move to Roles of their namespaces',
    );
    expect(f.diff.rules[2]!.covered).toEqual([{ verb: 'get', target: 'secrets', namespace: 'shop', calls: 1 }]);
  });

  it('calls a rule narrowed when the fix limits by name what it allowed for any name', () => {
    const f = leastPrivilege(
      input({
        granted: [grant(EDIT, 'shop', { verbs: ['get'], apiGroups: [''], resources: ['secrets'] })],
        calls: [call('get', 'secrets', 'shop', 'db')],
      }),
    );
    expect(f.diff.rules.map((r) => r.status)).toEqual(['narrowed']);
  });

  it('expands a concrete rule into the requests it allows, and refuses wildcards and prefixes', () => {
    expect(expandRule({ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods/log'] }, 'shop')).toEqual([
      { verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'shop', name: '' },
      { verb: 'list', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'shop', name: '' },
      { verb: 'get', apiGroup: 'apps', resource: 'pods', subresource: 'log', namespace: 'shop', name: '' },
      { verb: 'list', apiGroup: 'apps', resource: 'pods', subresource: 'log', namespace: 'shop', name: '' },
    ]);
    expect(expandRule({ verbs: ['get'], nonResourceURLs: ['/a'] }, '')).toEqual([{ verb: 'get', nonResourceURL: '/a' }]);
    expect(expandRule({ verbs: ['*'], apiGroups: [''], resources: ['pods'] }, '')).toBeNull();
    expect(expandRule({ verbs: ['get'], apiGroups: ['*'], resources: ['pods'] }, '')).toBeNull();
    expect(expandRule({ verbs: ['get'], apiGroups: [''], resources: ['*/scale'] }, '')).toBeNull();
    expect(expandRule({ verbs: ['get'], nonResourceURLs: ['/api/*'] }, '')).toBeNull();
  });
});

describe('leastPrivilege: automountServiceAccountToken', () => {
  const workloads = [
    { kind: 'Deployment', namespace: 'shop', name: 'api', automountToken: null },
    { kind: 'CronJob', namespace: 'shop', name: 'report', automountToken: true },
    { kind: 'Pod', namespace: 'shop', name: 'debug', automountToken: null },
    { kind: 'StatefulSet', namespace: 'shop', name: 'cache', automountToken: false },
  ];

  it('advises turning it off for the ServiceAccount and each workload when no API call was seen in the window', () => {
    const f = leastPrivilege(input({ calls: [], workloads, granted }));
    expect(f.automount?.reason).toBe('no API call by shop/api in the 7 days up to 2026-11-29 10:00 UTC: its pods need no token');
    expect(f.automount?.serviceAccount).toEqual({
      kind: 'ServiceAccount',
      namespace: 'shop',
      name: 'api',
      current: null,
      patch: { automountServiceAccountToken: false },
      command: `kubectl patch serviceaccount api -n shop --type merge -p '{"automountServiceAccountToken":false}'`,
      note: 'new pods that do not say otherwise get no token',
    });
    expect(f.automount?.workloads.map((w) => [w.kind, w.name, w.patch, w.command])).toEqual([
      [
        'CronJob',
        'report',
        { spec: { jobTemplate: { spec: { template: { spec: { automountServiceAccountToken: false } } } } } },
        `kubectl patch cronjob report -n shop --type merge -p '{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"automountServiceAccountToken":false}}}}}}'`,
      ],
      [
        'Deployment',
        'api',
        { spec: { template: { spec: { automountServiceAccountToken: false } } } },
        `kubectl patch deployment api -n shop --type merge -p '{"spec":{"template":{"spec":{"automountServiceAccountToken":false}}}}'`,
      ],
      ['Pod', 'debug', null, null],
    ]);
    expect(f.automount?.workloads[2]!.note).toBe(
      "a Pod's pod spec cannot be changed: recreate it with automountServiceAccountToken: false",
    );
    // The ServiceAccount is in the YAML to apply; no Role (nothing was called), and every rule held is dropped.
    expect(f.roles).toEqual([]);
    expect(f.documents).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'api', namespace: 'shop' },
        automountServiceAccountToken: false,
      },
    ]);
    expect(f.diff.dropped).toBe(granted.length);
  });

  it('leaves the ServiceAccount out when it already says false', () => {
    const f = leastPrivilege(input({ calls: [], workloads, serviceAccount: { ...SA, automountToken: false } }));
    expect(f.automount?.serviceAccount).toBeNull();
    expect(f.automount?.workloads).toHaveLength(3);
    expect(f.yaml).toBe('');
  });

  it('gives no advice when it made API calls (even denied ones), or when there is no window to judge by', () => {
    expect(leastPrivilege(input({ workloads })).automount).toBeNull();
    expect(leastPrivilege(input({ workloads, calls: [call('list', 'secrets', 'shop', null, 0, 1)] })).automount).toBeNull();
    expect(leastPrivilege(input({ workloads, calls: [], window: null })).automount).toBeNull();
  });
});

describe('leastPrivilege: the bindings it replaces', () => {
  it('deletes a binding that names only it, and edits one that names others', () => {
    const f = leastPrivilege(
      input({
        bindings: [
          { kind: 'RoleBinding', namespace: 'shop', name: 'api-edit', role: 'ClusterRole edit', otherSubjects: 0 },
          { kind: 'ClusterRoleBinding', namespace: '', name: 'api-nodes', role: 'ClusterRole node-reader', otherSubjects: 2 },
          { kind: 'RoleBinding', namespace: 'billing', name: 'api-view', role: 'ClusterRole view', otherSubjects: null },
        ],
      }),
    );
    expect(f.replaces.map((b) => [b.action, b.command])).toEqual([
      ['remove-subject', 'kubectl edit clusterrolebinding api-nodes  # remove ServiceAccount shop/api from its subjects'],
      ['remove-subject', 'kubectl edit rolebinding api-view -n billing  # remove ServiceAccount shop/api from its subjects'],
      ['delete', 'kubectl delete rolebinding api-edit -n shop'],
    ]);
  });

  it('names its objects after the ServiceAccount', () => {
    expect(fixNames({ namespace: 'shop', name: 'api' })).toEqual({
      role: 'api-least-privilege',
      clusterRole: 'shop:api-least-privilege',
    });
  });
});
