import { describe, expect, it } from 'vitest';
import { bindingsFor, can, rulesFor, whoCan, whoCanAdmits } from './evaluator';
import { buildIndex } from './rbac-index';
import { serviceAccountUser, toUserInfo } from './subjects';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, RbacSnapshot, Role, RoleBinding, Subject } from './types';

const RBAC = 'rbac.authorization.k8s.io';
const role = (namespace: string, name: string, rules: PolicyRule[]): Role => ({
  kind: 'Role',
  metadata: { namespace, name },
  rules,
});
const cr = (name: string, rules: PolicyRule[], extra: Partial<ClusterRole> = {}): ClusterRole => ({
  kind: 'ClusterRole',
  metadata: { name },
  rules,
  ...extra,
});
const rb = (namespace: string, name: string, ref: [string, string], subjects: Subject[]): RoleBinding => ({
  kind: 'RoleBinding',
  metadata: { namespace, name },
  roleRef: { apiGroup: RBAC, kind: ref[0], name: ref[1] },
  subjects,
});
const crb = (name: string, roleName: string, subjects: Subject[], kind = 'ClusterRole'): ClusterRoleBinding => ({
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind, name: roleName },
  subjects,
});
const sa = (name: string, namespace?: string): Subject =>
  namespace === undefined ? { kind: 'ServiceAccount', name } : { kind: 'ServiceAccount', name, namespace };
const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC, name });
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC, name });

const readPods: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
const readSecrets: PolicyRule = { verbs: ['get'], apiGroups: [''], resources: ['secrets'] };

function snap(parts: Partial<RbacSnapshot>): RbacSnapshot {
  return { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [], ...parts };
}

const getPods = (namespace?: string) => ({ verb: 'get', apiGroup: '', resource: 'pods', ...(namespace ? { namespace } : {}) });

describe('can: bindings and scopes', () => {
  const s = snap({
    roles: [role('a', 'pod-reader', [readPods])],
    clusterRoles: [cr('secret-reader', [readSecrets]), cr('health', [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }])],
    roleBindings: [
      rb('a', 'local', ['Role', 'pod-reader'], [sa('app')]),
      rb('a', 'cr-in-ns', ['ClusterRole', 'secret-reader'], [sa('app', 'a')]),
      rb('a', 'cr-health-in-ns', ['ClusterRole', 'health'], [sa('app', 'a')]),
      rb('a', 'missing', ['Role', 'nope'], [sa('app', 'a')]),
    ],
    clusterRoleBindings: [
      crb('to-role', 'pod-reader', [sa('app', 'a')], 'Role'),
      crb('sa-without-ns', 'secret-reader', [sa('app')]),
      crb('health', 'health', [group('system:authenticated')]),
    ],
  });
  const index = buildIndex(s);
  const app = { kind: 'ServiceAccount' as const, namespace: 'a', name: 'app' };

  it('a RoleBinding grants its Role only in its namespace, and a ServiceAccount subject without namespace means the binding namespace', () => {
    expect(can(index, app, getPods('a'))).toEqual({
      allowed: true,
      reasons: [
        {
          binding: { kind: 'RoleBinding', namespace: 'a', name: 'local' },
          role: { kind: 'Role', namespace: 'a', name: 'pod-reader' },
          ruleIndex: 0,
          subjectIndex: 0,
        },
      ],
    });
    expect(can(index, app, getPods('b')).allowed).toBe(false);
    expect(can(index, app, getPods()).allowed).toBe(false);
  });
  it('a RoleBinding to a ClusterRole grants it in the binding namespace only', () => {
    const get = { verb: 'get', apiGroup: '', resource: 'secrets' };
    expect(can(index, app, { ...get, namespace: 'a' }).reasons).toEqual([
      {
        binding: { kind: 'RoleBinding', namespace: 'a', name: 'cr-in-ns' },
        role: { kind: 'ClusterRole', name: 'secret-reader' },
        ruleIndex: 0,
        subjectIndex: 0,
      },
    ]);
    expect(can(index, app, { ...get, namespace: 'b' }).allowed).toBe(false);
    expect(can(index, app, get).allowed).toBe(false);
  });
  it('a ClusterRoleBinding to a Role grants nothing; a ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody; a missing role grants nothing', () => {
    expect(
      bindingsFor(index, app).map((b) => `${b.binding.kind}/${b.binding.name}:${b.binding.role ? 'resolved' : 'missing'}`),
    ).toEqual([
      'ClusterRoleBinding/to-role:missing',
      'ClusterRoleBinding/health:resolved',
      'RoleBinding/local:resolved',
      'RoleBinding/cr-in-ns:resolved',
      'RoleBinding/cr-health-in-ns:resolved',
      'RoleBinding/missing:missing',
    ]);
  });
  it('non-resource URLs are only granted by ClusterRoleBindings', () => {
    expect(can(index, app, { verb: 'get', nonResourceURL: '/healthz' }).reasons).toEqual([
      {
        binding: { kind: 'ClusterRoleBinding', name: 'health' },
        role: { kind: 'ClusterRole', name: 'health' },
        ruleIndex: 0,
        subjectIndex: 0,
      },
    ]);
    expect(can(index, { kind: 'User', name: 'x', groups: [] }, { verb: 'get', nonResourceURL: '/healthz' }).allowed).toBe(false);
  });
});

describe('can: subjects and implicit groups', () => {
  const s = snap({
    clusterRoles: [cr('reader', [readPods])],
    roleBindings: [
      rb('a', 'all-sas', ['ClusterRole', 'reader'], [group('system:serviceaccounts')]),
      rb('b', 'ns-sas', ['ClusterRole', 'reader'], [group('system:serviceaccounts:x')]),
      rb('c', 'authn', ['ClusterRole', 'reader'], [group('system:authenticated')]),
      rb('d', 'user-spelled-sa', ['ClusterRole', 'reader'], [user('system:serviceaccount:x:bot')]),
      rb(
        'e',
        'lowercase-kind',
        ['ClusterRole', 'reader'],
        [
          { kind: 'user', name: 'alice' },
          { kind: 'serviceaccount', name: 'bot', namespace: 'x' },
        ],
      ),
      rb('f', 'second-subject', ['ClusterRole', 'reader'], [user('alice'), group('devs'), sa('bot', 'x')]),
    ],
  });
  const index = buildIndex(s);
  const bot = serviceAccountUser('x', 'bot');

  it('a ServiceAccount carries system:serviceaccounts, system:serviceaccounts:<ns> and system:authenticated', () => {
    expect(bot).toEqual({
      name: 'system:serviceaccount:x:bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:x', 'system:authenticated'],
    });
    for (const ns of ['a', 'b', 'c', 'd', 'f']) expect([ns, can(index, bot, getPods(ns)).allowed]).toEqual([ns, true]);
    expect(can(index, bot, getPods('e')).allowed).toBe(false);
    expect(can(index, serviceAccountUser('y', 'bot'), getPods('b')).allowed).toBe(false);
  });
  it('judges exactly the groups given (as SubjectAccessReview does)', () => {
    expect(can(index, { name: 'system:serviceaccount:x:bot', groups: [] }, getPods('a')).allowed).toBe(false);
    expect(can(index, { name: 'system:serviceaccount:x:bot', groups: [] }, getPods('d')).allowed).toBe(true);
  });
  it('users get system:authenticated by default; a Group query asks what the group alone grants', () => {
    expect(toUserInfo({ kind: 'User', name: 'alice' })).toEqual({ name: 'alice', groups: ['system:authenticated'] });
    expect(toUserInfo({ kind: 'User', name: 'system:anonymous' })).toEqual({
      name: 'system:anonymous',
      groups: ['system:unauthenticated'],
    });
    expect(can(index, { kind: 'User', name: 'alice' }, getPods('c')).allowed).toBe(true);
    expect(can(index, { kind: 'Group', name: 'devs' }, getPods('f')).reasons.map((r) => r.subjectIndex)).toEqual([1]);
    expect(can(index, { kind: 'Group', name: 'devs' }, getPods('c')).allowed).toBe(false);
  });
  it('reports the first subject that applies', () => {
    expect(can(index, { name: 'alice', groups: ['devs'] }, getPods('f')).reasons.map((r) => r.subjectIndex)).toEqual([0]);
    expect(can(index, bot, getPods('f')).reasons.map((r) => r.subjectIndex)).toEqual([2]);
  });
});

describe('whoCan', () => {
  const s = snap({
    roles: [role('a', 'exec', [{ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }])],
    clusterRoles: [cr('admin-ish', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]), cr('other', [readSecrets])],
    roleBindings: [
      rb('a', 'exec', ['Role', 'exec'], [sa('ops'), user('carol')]),
      rb('b', 'exec-b', ['ClusterRole', 'admin-ish'], [group('team-b')]),
    ],
    clusterRoleBindings: [crb('admins', 'admin-ish', [user('root'), sa('ghost')]), crb('readers', 'other', [group('readers')])],
  });
  const index = buildIndex(s);
  const execA = { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'a' };

  it('lists every subject through which the request is allowed, with the grants', () => {
    expect(whoCan(index, execA)).toEqual([
      {
        subject: { kind: 'ServiceAccount', namespace: 'a', name: 'ops' },
        reasons: [
          {
            binding: { kind: 'RoleBinding', namespace: 'a', name: 'exec' },
            role: { kind: 'Role', namespace: 'a', name: 'exec' },
            ruleIndex: 0,
            subjectIndex: 0,
          },
        ],
      },
      {
        subject: { kind: 'User', name: 'carol' },
        reasons: [
          {
            binding: { kind: 'RoleBinding', namespace: 'a', name: 'exec' },
            role: { kind: 'Role', namespace: 'a', name: 'exec' },
            ruleIndex: 0,
            subjectIndex: 1,
          },
        ],
      },
      {
        subject: { kind: 'User', name: 'root' },
        reasons: [
          {
            binding: { kind: 'ClusterRoleBinding', name: 'admins' },
            role: { kind: 'ClusterRole', name: 'admin-ish' },
            ruleIndex: 0,
            subjectIndex: 0,
          },
        ],
      },
    ]);
  });
  it('cluster-wide requests only see ClusterRoleBindings', () => {
    expect(whoCan(index, { ...execA, namespace: undefined }).map((e) => e.subject)).toEqual([{ kind: 'User', name: 'root' }]);
    expect(whoCan(index, { ...execA, namespace: 'b' }).map((e) => e.subject)).toEqual([
      { kind: 'Group', name: 'team-b' },
      { kind: 'User', name: 'root' },
    ]);
  });
  it('agrees with can for users', () => {
    const entries = whoCan(index, execA);
    expect(whoCanAdmits(entries, serviceAccountUser('a', 'ops'))).toBe(true);
    expect(whoCanAdmits(entries, serviceAccountUser('b', 'ops'))).toBe(false);
    expect(whoCanAdmits(entries, { name: 'carol', groups: [] })).toBe(true);
  });
});

describe('rulesFor', () => {
  it('returns the rules for a namespace with their grants', () => {
    const index = buildIndex(
      snap({
        clusterRoles: [cr('r', [readPods, readSecrets])],
        roleBindings: [rb('a', 'b1', ['ClusterRole', 'r'], [user('u')])],
      }),
    );
    expect(rulesFor(index, { kind: 'User', name: 'u' }, 'a').map((g) => [g.rule, g.reason.ruleIndex])).toEqual([
      [readPods, 0],
      [readSecrets, 1],
    ]);
    expect(rulesFor(index, { kind: 'User', name: 'u' }, '')).toEqual([]);
  });
});

describe('aggregated ClusterRoles in decisions', () => {
  it('a binding to an aggregated role grants the union of the selected roles (rule index into the effective list)', () => {
    const index = buildIndex(
      snap({
        clusterRoles: [
          cr('agg', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'x/agg': 'true' } }] } }),
          { kind: 'ClusterRole', metadata: { name: 'part-1', labels: { 'x/agg': 'true' } }, rules: [readPods] },
          { kind: 'ClusterRole', metadata: { name: 'part-2', labels: { 'x/agg': 'true' } }, rules: [readSecrets] },
        ],
        clusterRoleBindings: [crb('b', 'agg', [user('u')])],
      }),
    );
    expect(
      can(index, { kind: 'User', name: 'u' }, { verb: 'get', apiGroup: '', resource: 'secrets', namespace: 'z' }).reasons,
    ).toEqual([
      {
        binding: { kind: 'ClusterRoleBinding', name: 'b' },
        role: { kind: 'ClusterRole', name: 'agg' },
        ruleIndex: 1,
        subjectIndex: 0,
      },
    ]);
  });
});
