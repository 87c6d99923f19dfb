import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { chooseCluster } from '@/lib/data/clusters';
import { rbacSnapshotFromRows, type RbacRows } from '@/lib/data/rbac';
import { AppError } from '@/lib/errors';
import { buildIndex } from '@/lib/rbac/rbac-index';
import {
  formatCanResult,
  formatWhoCanResult,
  inferApiGroup,
  parseRequest,
  parseResource,
  parseSubject,
  parseVerb,
  registerRbacCommands,
  runCan,
  runWhoCan,
  toAttributes,
  type ParsedResource,
} from './rbac';

describe('parseSubject', () => {
  it('reads the four forms, ServiceAccounts with their implicit groups', () => {
    const sa = parseSubject('system:serviceaccount:flux-system:kustomize-controller');
    expect(sa.query).toEqual({ kind: 'ServiceAccount', namespace: 'flux-system', name: 'kustomize-controller' });
    expect(sa.user).toEqual({
      name: 'system:serviceaccount:flux-system:kustomize-controller',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:flux-system', 'system:authenticated'],
    });
    expect(parseSubject('sa:payments/payments-api').label).toBe('system:serviceaccount:payments:payments-api');
    expect(parseSubject('serviceaccount:payments/payments.api').query).toEqual({
      kind: 'ServiceAccount',
      namespace: 'payments',
      name: 'payments.api',
    });
    expect(parseSubject('user:alice@example.com').user).toEqual({ name: 'alice@example.com', groups: ['system:authenticated'] });
    expect(parseSubject('user:system:anonymous').user).toEqual({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect(parseSubject('user:system:kube-scheduler').label).toBe('user:system:kube-scheduler');
    // A user name spelling a ServiceAccount is that ServiceAccount.
    expect(parseSubject('user:system:serviceaccount:a:b').query).toEqual({ kind: 'ServiceAccount', namespace: 'a', name: 'b' });
    expect(parseSubject('group:system:serviceaccounts:kube-system').user).toEqual({
      name: '',
      groups: ['system:serviceaccounts:kube-system'],
    });
    expect(parseSubject('Group:devs').label).toBe('group:devs');
  });

  it.each([
    ['', /SUBJECT is empty/],
    ['alice', /unrecognised subject "alice": use system:serviceaccount/],
    ['robot:x', /unrecognised subject/],
    ['sa:payments', /expected sa:NAMESPACE\/NAME/],
    ['sa:/x', /expected sa:NAMESPACE\/NAME/],
    ['sa:ns/', /expected sa:NAMESPACE\/NAME/],
    ['sa:a/b/c', /expected sa:NAMESPACE\/NAME/],
    ['sa:Payments/api', /invalid namespace "Payments"/],
    ['sa:payments/API', /invalid ServiceAccount name "API"/],
    ['system:serviceaccount:ns', /expected system:serviceaccount:NAMESPACE:NAME/],
    ['system:serviceaccount:ns:a:b', /expected system:serviceaccount:NAMESPACE:NAME/],
    ['user:', /expected user:NAME/],
    ['group:  ', /expected group:NAME/],
  ])('rejects %j', (input, message) => {
    expect(() => parseSubject(input)).toThrow(AppError);
    expect(() => parseSubject(input)).toThrow(message);
  });
});

describe('parseVerb', () => {
  it('accepts Kubernetes verbs and *', () => {
    for (const v of ['get', 'deletecollection', 'impersonate', '*', 'impersonate-on:user-info']) expect(parseVerb(v)).toBe(v);
  });
  it.each(['', 'GET', 'get pods', 'g*', '-x'])('rejects %j', (v) => {
    expect(() => parseVerb(v)).toThrow(AppError);
  });
});

describe('parseResource', () => {
  it('infers built-in groups (core included), keeps explicit groups and subresources', () => {
    expect(parseResource('pods')).toEqual({ kind: 'resource', resource: 'pods', apiGroup: '', groupFrom: 'built-in' });
    expect(parseResource('secrets')).toMatchObject({ resource: 'secrets', apiGroup: '' });
    expect(parseResource('pods/exec')).toEqual({
      kind: 'resource',
      resource: 'pods',
      subresource: 'exec',
      apiGroup: '',
      groupFrom: 'built-in',
    });
    expect(parseResource('deployments')).toMatchObject({ resource: 'deployments', apiGroup: 'apps', groupFrom: 'built-in' });
    expect(parseResource('deployments.apps')).toMatchObject({ resource: 'deployments', apiGroup: 'apps', groupFrom: 'given' });
    expect(parseResource('deployments.apps/scale')).toMatchObject({
      resource: 'deployments',
      subresource: 'scale',
      apiGroup: 'apps',
    });
    expect(parseResource('certificates.cert-manager.io')).toMatchObject({
      resource: 'certificates',
      apiGroup: 'cert-manager.io',
      groupFrom: 'given',
    });
    expect(parseResource('clusterroles')).toMatchObject({ apiGroup: 'rbac.authorization.k8s.io' });
    expect(parseResource('serviceaccounts/token')).toMatchObject({
      resource: 'serviceaccounts',
      subresource: 'token',
      apiGroup: '',
    });
    expect(parseResource('*')).toEqual({ kind: 'resource', resource: '*', apiGroup: '*', groupFrom: 'wildcard' });
    expect(parseResource('*.apps')).toMatchObject({ resource: '*', apiGroup: 'apps', groupFrom: 'given' });
    expect(parseResource('pods/*')).toMatchObject({ resource: 'pods', subresource: '*' });
    // Not built in, no group: left to the cluster's rules.
    expect(parseResource('widgets')).toEqual({ kind: 'resource', resource: 'widgets', apiGroup: undefined, groupFrom: 'rules' });
  });

  it('reads non-resource URLs', () => {
    expect(parseResource('/healthz')).toEqual({ kind: 'nonResource', url: '/healthz' });
    expect(parseResource('/apis/apps/v1')).toEqual({ kind: 'nonResource', url: '/apis/apps/v1' });
  });

  it.each(['', 'Pods', 'pods/', 'pods/exec/x', 'pods/Exec', 'pods.Apps', '/a b', 'pod s'])('rejects %j', (input) => {
    expect(() => parseResource(input)).toThrow(AppError);
  });

  it('infers a group from the rules when exactly one names the resource', () => {
    const widgets = parseResource('widgets') as ParsedResource;
    expect(inferApiGroup(widgets, ['example.com'])).toBe('example.com');
    expect(() => inferApiGroup(widgets, [])).toThrow(
      /unknown resource "widgets": no rule of this cluster names it; write it as RESOURCE.GROUP/,
    );
    expect(() => inferApiGroup(widgets, ['a.io', 'b.io'])).toThrow(/several API groups \(a.io, b.io\): write widgets.GROUP/);
    expect(() => inferApiGroup(parseResource('pod') as ParsedResource, [])).toThrow(/did you mean pods\?/);
    expect(inferApiGroup(parseResource('pods') as ParsedResource, ['ignored'])).toBe('');
  });
});

describe('parseRequest / toAttributes', () => {
  it('builds resource and non-resource attributes', () => {
    expect(toAttributes(parseRequest({ verb: 'get', resource: 'secrets', namespace: 'payments', name: 'db' }), '')).toEqual({
      verb: 'get',
      apiGroup: '',
      resource: 'secrets',
      namespace: 'payments',
      name: 'db',
    });
    expect(toAttributes(parseRequest({ verb: 'create', resource: 'pods/exec' }), '')).toEqual({
      verb: 'create',
      apiGroup: '',
      resource: 'pods',
      subresource: 'exec',
    });
    expect(toAttributes(parseRequest({ verb: 'get', resource: '/metrics' }), '')).toEqual({
      verb: 'get',
      nonResourceURL: '/metrics',
    });
  });

  it('rejects options that do not apply, and bad namespaces', () => {
    expect(() => parseRequest({ verb: 'get', resource: '/healthz', namespace: 'default' })).toThrow(
      /does not apply to a non-resource URL/,
    );
    expect(() => parseRequest({ verb: 'get', resource: '/healthz', name: 'x' })).toThrow(/--name does not apply/);
    expect(() => parseRequest({ verb: 'get', resource: 'pods', namespace: 'Default' })).toThrow(/invalid namespace "Default"/);
    expect(() => parseRequest({ verb: 'get', resource: 'pods', namespace: 'a'.repeat(64) })).toThrow(AppError);
    expect(() => parseRequest({ verb: 'get', resource: 'pods', name: '' })).toThrow(/--name needs a non-empty value/);
  });
});

/** A collected cluster's RBAC, as loadRbacView makes it from the inventory's rows. */
function view(rows: Pick<RbacRows, 'roles' | 'bindings'>) {
  const { snapshot, issues } = rbacSnapshotFromRows({ ...rows, serviceAccounts: [], namespaces: [] });
  expect(issues).toEqual([]);
  return { cluster: 'prod', index: buildIndex(snapshot) };
}

const rows: Pick<RbacRows, 'roles' | 'bindings'> = {
  roles: [
    {
      kind: 'ClusterRole',
      namespace: '',
      name: 'cluster-admin',
      rules: [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ],
      aggregationRule: null,
      labels: {},
    },
    {
      kind: 'Role',
      namespace: 'shop',
      name: 'exec',
      rules: [{ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }],
      aggregationRule: null,
      labels: {},
    },
    {
      kind: 'ClusterRole',
      namespace: '',
      name: 'widgets',
      rules: [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }],
      aggregationRule: null,
      labels: {},
    },
  ],
  bindings: [
    {
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: 'reconciler',
      roleRefKind: 'ClusterRole',
      roleRefName: 'cluster-admin',
      subjects: [{ kind: 'ServiceAccount', name: 'kc', namespace: 'flux' }],
    },
    {
      kind: 'RoleBinding',
      namespace: 'shop',
      name: 'debug',
      roleRefKind: 'Role',
      roleRefName: 'exec',
      subjects: [
        { kind: 'Group', name: 'system:serviceaccounts:shop' },
        { kind: 'User', name: 'alice' },
      ],
    },
    {
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: 'widgets',
      roleRefKind: 'ClusterRole',
      roleRefName: 'widgets',
      subjects: [{ kind: 'Group', name: 'devs' }],
    },
  ],
};

describe('runCan / runWhoCan on inventory rows', () => {
  it('answers with the granting binding, role and rule', async () => {
    const db = view(rows);
    const yes = runCan(db, { subject: 'sa:flux/kc', verb: '*', resource: '*' });
    expect(yes.allowed).toBe(true);
    expect(yes.cluster).toBe('prod');
    expect(yes.reasons.map((r) => `${r.binding.name}/${r.role.name}#${r.ruleIndex}`)).toEqual(['reconciler/cluster-admin#0']);
    expect(formatCanResult(yes)).toMatch(/^yes\n {2}system:serviceaccount:flux:kc can \* \* \(any group\) cluster-wide/);
    expect(formatCanResult(yes)).toContain(
      'ClusterRoleBinding reconciler (subject ServiceAccount flux/kc) → ClusterRole cluster-admin rule #0: verbs=[*] apiGroups=[*] resources=[*]',
    );

    const viaGroup = runCan(db, { subject: 'sa:shop/default', verb: 'create', resource: 'pods/exec', namespace: 'shop' });
    expect(viaGroup.allowed).toBe(true);
    expect(viaGroup.reasons[0]?.subject).toEqual({ kind: 'Group', name: 'system:serviceaccounts:shop' });

    const no = runCan(db, { subject: 'user:alice', verb: 'create', resource: 'pods/exec' });
    expect(no.allowed).toBe(false);
    expect(formatCanResult(no)).toMatch(/^no\n/);
    expect(formatCanResult(no)).toContain('no ClusterRoleBinding grants it');

    // Group inferred from the rules for a resource that is not built in.
    expect(runCan(db, { subject: 'group:devs', verb: 'get', resource: 'widgets' }).request).toEqual({
      verb: 'get',
      apiGroup: 'example.com',
      resource: 'widgets',
    });
    expect(() => runCan(db, { subject: 'group:devs', verb: 'get', resource: 'gadgets' })).toThrow(/unknown resource "gadgets"/);

    const masters = runCan(db, { subject: 'group:system:masters', verb: 'get', resource: 'pods' });
    expect(masters.note).toMatch(/system:masters/);
  });

  it('who-can lists subjects with their bindings', async () => {
    const result = runWhoCan(view(rows), { verb: 'create', resource: 'pods/exec', namespace: 'shop' });
    expect(result.subjects.map((s) => `${s.subject.kind}:${s.subject.name}`)).toEqual([
      'Group:system:serviceaccounts:shop',
      'ServiceAccount:kc',
      'User:alice',
    ]);
    const text = formatWhoCanResult(result);
    expect(text).toContain('every ServiceAccount in namespace shop');
    expect(text).toContain('RoleBinding shop/debug → Role shop/exec (rule #0)');
    expect(text).toMatch(/3 subjects$/);
  });

  it('needs --cluster when the inventory holds several clusters, and names them', () => {
    const clusters = [{ name: 'prod' }, { name: 'staging' }];
    const kindOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof AppError ? `${e.kind} ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(kindOf(() => chooseCluster(clusters))).toBe(
      'invalid_input the inventory holds 2 clusters; choose one with --cluster NAME: prod, staging',
    );
    expect(kindOf(() => chooseCluster(clusters, 'qa'))).toBe(
      'invalid_input no cluster named "qa" in the inventory; clusters: prod, staging',
    );
    expect(chooseCluster(clusters, 'staging').name).toBe('staging');
    // An empty inventory is not an input error (exit 1, not 2).
    expect(kindOf(() => chooseCluster([]))).toMatch(/^unavailable the inventory holds no cluster yet/);
    expect(new AppError('unavailable', 'x').exitCode).toBe(1);
    expect(new AppError('invalid_input', 'x').exitCode).toBe(2);
  });
});

describe('registerRbacCommands', () => {
  async function run(args: string[]): Promise<{ code: number | undefined; err: string }> {
    let err = '';
    const program = new Command('nhi').exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
    registerRbacCommands(program);
    try {
      await program.parseAsync(['node', 'nhi', ...args]);
      return { code: undefined, err };
    } catch (e) {
      if (e instanceof CommanderError) return { code: e.exitCode, err };
      throw e;
    }
  }

  it('exits with 2 on bad input, before opening any database', async () => {
    const bad = await run(['can', 'alice', 'get', 'pods']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('nhi can: unrecognised subject "alice"');
    expect((await run(['can', 'sa:a/b', 'GET', 'pods'])).code).toBe(2);
    expect((await run(['who-can', 'get', '/healthz', '-n', 'default'])).code).toBe(2);
    expect((await run(['who-can', 'get', 'Pods'])).code).toBe(2);
    // Commander's own input errors too.
    expect((await run(['can', 'sa:a/b', 'get'])).code).toBe(2);
    expect((await run(['who-can', 'get', 'pods', '--bogus'])).code).toBe(2);
    expect((await run(['who-can', 'get', 'pods', 'extra'])).code).toBe(2);
  });
});
