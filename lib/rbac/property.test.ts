/**
 * Property tests: the evaluator against a brute-force oracle written separately
 * (scripts/rbac-verify/oracle.ts), on random snapshots over a small vocabulary so names collide often.
 */
import { roleKey } from '@/lib/keys';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { can, whoCan, whoCanAdmits } from './evaluator';
import { ruleAllows } from './match';
import { buildIndex } from './rbac-index';
import { serviceAccountUser } from './subjects';
import { oracleAllows } from '@/scripts/rbac-verify/oracle';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  RbacSnapshot,
  RequestAttributes,
  Role,
  RoleBinding,
  Subject,
  UserInfo,
} from './types';

const NS = ['a', 'b'];
const SA_NAMES = ['s1', 's2'];
const USERS = ['u1', 'u2', 'system:serviceaccount:a:s1'];
const GROUPS = [
  'g1',
  'g2',
  'system:authenticated',
  'system:serviceaccounts',
  'system:serviceaccounts:a',
  'system:serviceaccounts:b',
];
const VERBS = ['get', 'list', 'create', 'impersonate', '*'];
const API_GROUPS = ['', 'apps', '*'];
const RESOURCES = ['pods', 'pods/exec', 'pods/*', '*/exec', '*/log', 'deployments', 'deployments/scale', 'secrets', '*', 'users'];
const NAMES = ['x', 'y'];
const URLS = ['/a', '/a/*', '/a*', '/b', '*', '/a/b'];
const ROLE_NAMES = ['r1', 'r2', 'r3'];

const subset = <T>(arr: T[]) => fc.subarray(arr, { minLength: 0, maxLength: arr.length });
const nonEmptySubset = <T>(arr: T[]) => fc.subarray(arr, { minLength: 1, maxLength: arr.length });

const resourceRule: fc.Arbitrary<PolicyRule> = fc.record({
  verbs: subset(VERBS),
  apiGroups: subset(API_GROUPS),
  resources: subset(RESOURCES),
  resourceNames: subset(NAMES),
});
const nonResourceRule: fc.Arbitrary<PolicyRule> = fc.record({
  verbs: nonEmptySubset(VERBS),
  nonResourceURLs: nonEmptySubset(URLS),
});
const rules = fc.array(fc.oneof({ weight: 4, arbitrary: resourceRule }, { weight: 1, arbitrary: nonResourceRule }), {
  maxLength: 3,
});

const labels = fc.dictionary(fc.constantFrom('agg', 'tier'), fc.constantFrom('x', 'y'), { maxKeys: 2 });
const clusterRole: fc.Arbitrary<ClusterRole> = fc
  .record({
    name: fc.constantFrom(...ROLE_NAMES),
    labels,
    rules,
    agg: fc.option(
      fc.array(
        fc.oneof(
          fc.record({ matchLabels: labels }),
          fc.record({
            matchExpressions: fc.array(
              fc.record({
                key: fc.constantFrom('agg', 'tier'),
                operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'),
                values: subset(['x', 'y']),
              }),
              { maxLength: 2 },
            ),
          }),
        ),
        { minLength: 1, maxLength: 2 },
      ),
      { freq: 3 },
    ),
  })
  .map(({ name, labels: l, rules: r, agg }) => ({
    kind: 'ClusterRole' as const,
    metadata: { name, labels: l },
    rules: r,
    ...(agg ? { aggregationRule: { clusterRoleSelectors: agg } } : {}),
  }));
const role: fc.Arbitrary<Role> = fc
  .record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...ROLE_NAMES), rules })
  .map(({ ns, name, rules: r }) => ({ kind: 'Role' as const, metadata: { namespace: ns, name }, rules: r }));
const subject: fc.Arbitrary<Subject> = fc.oneof(
  fc
    .record({ kind: fc.constant('ServiceAccount'), name: fc.constantFrom(...SA_NAMES), namespace: fc.constantFrom('', ...NS) })
    .map((s) => (s.namespace ? s : { kind: s.kind, name: s.name })),
  fc.record({ kind: fc.constant('User'), name: fc.constantFrom(...USERS) }),
  fc.record({ kind: fc.constant('Group'), name: fc.constantFrom(...GROUPS) }),
  fc.record({ kind: fc.constantFrom('user', 'group', 'Robot'), name: fc.constantFrom('u1', 'g1') }),
);
const roleRef = fc.record({
  kind: fc.constantFrom('Role', 'ClusterRole', 'Other'),
  name: fc.constantFrom(...ROLE_NAMES, 'missing'),
});
const roleBinding: fc.Arbitrary<RoleBinding> = fc
  .record({
    ns: fc.constantFrom(...NS),
    name: fc.constantFrom('b1', 'b2', 'b3'),
    roleRef,
    subjects: fc.array(subject, { maxLength: 3 }),
  })
  .map(({ ns, name, roleRef: ref, subjects }) => ({
    kind: 'RoleBinding' as const,
    metadata: { namespace: ns, name },
    roleRef: ref,
    subjects,
  }));
const clusterRoleBinding: fc.Arbitrary<ClusterRoleBinding> = fc
  .record({ name: fc.constantFrom('c1', 'c2', 'c3'), roleRef, subjects: fc.array(subject, { maxLength: 3 }) })
  .map(({ name, roleRef: ref, subjects }) => ({
    kind: 'ClusterRoleBinding' as const,
    metadata: { name },
    roleRef: ref,
    subjects,
  }));

const snapshot: fc.Arbitrary<RbacSnapshot> = fc.record({
  roles: fc.array(role, { maxLength: 4 }),
  clusterRoles: fc.array(clusterRole, { maxLength: 4 }),
  roleBindings: fc.array(roleBinding, { maxLength: 5 }),
  clusterRoleBindings: fc.array(clusterRoleBinding, { maxLength: 4 }),
});

const userInfo: fc.Arbitrary<UserInfo> = fc.oneof(
  fc
    .record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...SA_NAMES) })
    .map(({ ns, name }) => serviceAccountUser(ns, name)),
  fc.record({ name: fc.constantFrom(...USERS, ''), groups: subset(GROUPS) }),
);

const attrs: fc.Arbitrary<RequestAttributes> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        verb: fc.constantFrom('get', 'list', 'create', 'impersonate', 'delete'),
        apiGroup: fc.constantFrom('', 'apps', 'batch'),
        resource: fc.constantFrom('pods', 'deployments', 'secrets', 'users'),
        subresource: fc.option(fc.constantFrom('exec', 'log', 'scale', '*'), { nil: undefined }),
        namespace: fc.option(fc.constantFrom(...NS), { nil: undefined }),
        name: fc.option(fc.constantFrom(...NAMES, 'z'), { nil: undefined }),
      })
      .map((a) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as unknown as RequestAttributes),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      verb: fc.constantFrom('get', 'post'),
      nonResourceURL: fc.constantFrom('/a', '/a/b', '/ab', '/b', '/c'),
    }),
  },
);

describe('evaluator = brute-force oracle', () => {
  it('can() decides like the oracle, and every reason is a rule that allows the request', () => {
    fc.assert(
      fc.property(snapshot, userInfo, attrs, (s, user, a) => {
        const index = buildIndex(s);
        const d = can(index, user, a);
        expect(d.allowed).toBe(oracleAllows(s, user, a));
        expect(d.allowed).toBe(d.reasons.length > 0);
        for (const r of d.reasons) {
          expect(ruleAllows(index.roles.get(roleKey(r.role))!.rules[r.ruleIndex]!, a)).toBe(true);
        }
      }),
      { numRuns: 3000, seed: 424242 },
    );
  });

  it('whoCan() admits exactly the users can() allows', () => {
    fc.assert(
      fc.property(snapshot, fc.array(userInfo, { minLength: 1, maxLength: 5 }), attrs, (s, users, a) => {
        const index = buildIndex(s);
        const entries = whoCan(index, a);
        for (const u of users) expect(whoCanAdmits(entries, u)).toBe(can(index, u, a).allowed);
      }),
      { numRuns: 1500, seed: 1717 },
    );
  });
});
