import { describe, expect, it } from 'vitest';
import { can } from '@/lib/rbac/evaluator';
import { generateCluster, generatedObjects, generatedSnapshot, sampleTuples, toSubjectAccessReview } from './generate';
import { snapshotFromObjects } from '@/lib/rbac/load';
import { buildIndex } from '@/lib/rbac/rbac-index';
import { oracleAllows } from './oracle';
import type { PolicyRule, Subject } from '@/lib/rbac/types';

const PATH_SEGMENT_BAD = /[/%]|^\.\.?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The API server's validation (pkg/apis/rbac/validation), restated for the generated objects. */
function ruleProblems(rule: PolicyRule, namespaced: boolean): string[] {
  const p: string[] = [];
  if (!rule.verbs.length) p.push('verbs');
  if ((rule.nonResourceURLs ?? []).length) {
    if (namespaced) p.push('nonResourceURLs in a namespaced rule');
    if ((rule.apiGroups ?? []).length || (rule.resources ?? []).length || (rule.resourceNames ?? []).length) p.push('mixed rule');
    return p;
  }
  if (!(rule.apiGroups ?? []).length) p.push('apiGroups');
  if (!(rule.resources ?? []).length) p.push('resources');
  if ((rule.resourceNames ?? []).length && (rule.resources ?? []).length > 1) p.push('resourceNames with several resources');
  return p;
}

function subjectProblems(s: Subject, namespaced: boolean): string[] {
  const p: string[] = [];
  if (!s.name) p.push('name');
  if (s.kind === 'ServiceAccount') {
    if (!DNS_SUBDOMAIN.test(s.name)) p.push('service account name');
    if (s.apiGroup) p.push('service account apiGroup');
    if (!namespaced && !s.namespace) p.push('service account namespace');
  } else if (s.kind === 'User' || s.kind === 'Group') {
    if (s.apiGroup !== 'rbac.authorization.k8s.io') p.push('apiGroup');
    if (s.name === 'system:masters' || s.name.startsWith('system:node')) p.push('special authorizer subject');
  } else p.push('kind');
  return p;
}

describe('generateCluster', () => {
  const gen = generateCluster({ seed: 7, namespaces: 6, serviceAccounts: 60, roles: 80, bindings: 300 });

  it('is deterministic for a seed', () => {
    expect(generateCluster({ seed: 7, namespaces: 6, serviceAccounts: 60, roles: 80, bindings: 300 })).toEqual(gen);
    expect(generateCluster({ seed: 8, namespaces: 6, serviceAccounts: 60, roles: 80, bindings: 300 })).not.toEqual(gen);
  });

  it('produces objects the Kubernetes API accepts', () => {
    const problems: string[] = [];
    for (const ns of gen.namespaces) if (!DNS_LABEL.test(ns)) problems.push(`namespace ${ns}`);
    for (const r of gen.roles) {
      if (PATH_SEGMENT_BAD.test(r.metadata.name)) problems.push(`role name ${r.metadata.name}`);
      r.rules.forEach((rule, i) =>
        ruleProblems(rule, true).forEach((p) => problems.push(`Role ${r.metadata.name} rules[${i}]: ${p}`)),
      );
    }
    for (const r of gen.clusterRoles) {
      if (PATH_SEGMENT_BAD.test(r.metadata.name)) problems.push(`clusterrole name ${r.metadata.name}`);
      r.rules.forEach((rule, i) =>
        ruleProblems(rule, false).forEach((p) => problems.push(`ClusterRole ${r.metadata.name} rules[${i}]: ${p}`)),
      );
    }
    for (const b of [...gen.roleBindings, ...gen.clusterRoleBindings]) {
      const namespaced = b.kind === 'RoleBinding';
      if (b.roleRef.apiGroup !== 'rbac.authorization.k8s.io') problems.push(`${b.metadata.name} roleRef.apiGroup`);
      if (!namespaced && b.roleRef.kind !== 'ClusterRole') problems.push(`${b.metadata.name} roleRef.kind`);
      b.subjects.forEach((s) => subjectProblems(s, namespaced).forEach((p) => problems.push(`${b.metadata.name}: ${p}`)));
      if (
        !namespaced &&
        b.subjects.some((s) => s.kind === 'Group' && ['system:authenticated', 'system:serviceaccounts'].includes(s.name))
      ) {
        problems.push(`${b.metadata.name}: cluster-wide group in a ClusterRoleBinding`);
      }
    }
    for (const o of generatedObjects(gen)) {
      const name = (o.metadata as { name: string }).name;
      if (!name.startsWith(gen.prefix) && name !== 'default') problems.push(`unprefixed ${name}`);
    }
    expect(problems).toEqual([]);
  });

  it('covers the interesting shapes', () => {
    const rules = [...gen.roles, ...gen.clusterRoles].flatMap((r) => r.rules);
    const resources = rules.flatMap((r) => r.resources ?? []);
    expect(resources.some((r) => r === '*')).toBe(true);
    expect(resources.some((r) => r.startsWith('*/'))).toBe(true);
    expect(resources.some((r) => r.endsWith('/*'))).toBe(true);
    expect(resources.some((r) => /^[a-z]+\/[a-z]+$/.test(r))).toBe(true);
    expect(rules.some((r) => (r.resourceNames ?? []).length > 0)).toBe(true);
    expect(rules.some((r) => (r.nonResourceURLs ?? []).length > 0)).toBe(true);
    expect(gen.clusterRoles.some((r) => r.aggregationRule)).toBe(true);
    const subjects = [...gen.roleBindings, ...gen.clusterRoleBindings].flatMap((b) => b.subjects);
    for (const kind of ['ServiceAccount', 'User', 'Group']) expect(subjects.some((s) => s.kind === kind)).toBe(true);
    expect(subjects.some((s) => s.kind === 'ServiceAccount' && !s.namespace)).toBe(true);
    expect(subjects.some((s) => s.kind === 'User' && s.name.startsWith('system:serviceaccount:'))).toBe(true);
    expect(subjects.some((s) => s.kind === 'Group' && s.name.startsWith('system:serviceaccounts:'))).toBe(true);
  });

  it('round-trips through the loader without issues', () => {
    const { snapshot, issues } = snapshotFromObjects(generatedObjects(gen));
    expect(issues).toEqual([]);
    const direct = generatedSnapshot(gen);
    expect(snapshot.roles.length).toBe(direct.roles.length);
    expect(snapshot.clusterRoles.length).toBe(direct.clusterRoles.length);
    expect(snapshot.roleBindings.length).toBe(direct.roleBindings.length);
    expect(snapshot.clusterRoleBindings.length).toBe(direct.clusterRoleBindings.length);
  });
});

describe('sampleTuples', () => {
  const gen = generateCluster({ seed: 11, namespaces: 5, serviceAccounts: 50, roles: 60, bindings: 200 });
  const snapshot = generatedSnapshot(gen);
  const index = buildIndex(snapshot);
  const tuples = sampleTuples(gen, 2000, 99, index);

  it('yields the requested number, deterministically, about half allowed, and can() agrees with the oracle on all', () => {
    expect(tuples.length).toBe(2000);
    expect(sampleTuples(gen, 2000, 99, index)).toEqual(tuples);
    expect(sampleTuples(gen, 40, 5).length).toBe(40);
    let allowed = 0;
    for (const t of tuples) {
      const d = can(index, t.user, t.attrs).allowed;
      expect(d).toBe(oracleAllows(snapshot, t.user, t.attrs));
      if (d) allowed++;
    }
    expect(allowed).toBe(1000);
  });

  it('covers subresources, names, cluster-wide requests, non-resource URLs and ServiceAccount users', () => {
    const res = tuples.map((t) => t.attrs).filter((a) => 'resource' in a);
    expect(res.some((a) => 'subresource' in a && a.subresource)).toBe(true);
    expect(res.some((a) => 'name' in a && a.name)).toBe(true);
    expect(res.some((a) => !('namespace' in a) || !a.namespace)).toBe(true);
    expect(tuples.some((t) => 'nonResourceURL' in t.attrs)).toBe(true);
    expect(
      tuples.some((t) => t.user.name.startsWith('system:serviceaccount:') && t.user.groups.includes('system:serviceaccounts')),
    ).toBe(true);
  });

  it('maps a tuple to a SubjectAccessReview', () => {
    expect(
      toSubjectAccessReview({
        user: {
          name: 'system:serviceaccount:a:b',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:a', 'system:authenticated'],
        },
        attrs: { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'a', name: 'p' },
      }),
    ).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'system:serviceaccount:a:b',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:a', 'system:authenticated'],
        resourceAttributes: { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace: 'a', name: 'p' },
      },
    });
    expect(
      toSubjectAccessReview({ user: { name: 'u', groups: [] }, attrs: { verb: 'get', nonResourceURL: '/healthz' } }),
    ).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'u', groups: [], nonResourceAttributes: { path: '/healthz', verb: 'get' } },
    });
  });
});
