import { describe, expect, it } from 'vitest';
import {
  coverageOf,
  foreignGenerated,
  hasPrefix,
  newRunPrefix,
  pickWhoCanQueries,
  sampleCorpusTuples,
  sarGrantingBinding,
} from './agreement';
import { can } from '@/lib/rbac/evaluator';
import { generateCluster, generatedSnapshot } from './generate';
import { snapshotFromObjects } from '@/lib/rbac/load';
import { buildIndex } from '@/lib/rbac/rbac-index';
import { nonRbacAuthorizerFor } from '@/lib/rbac/subjects';

describe('run prefixes', () => {
  it('are fresh nhi-gen-<5 chars> names and match only their own objects', () => {
    const p = newRunPrefix();
    expect(p).toMatch(/^nhi-gen-[a-z0-9]{5}$/);
    expect(newRunPrefix()).not.toBe(p);
    expect(hasPrefix(`${p}-ns-1`, p)).toBe(true);
    expect(hasPrefix(`${p}:cr:3`, p)).toBe(true);
    expect(hasPrefix(`${p}x-ns-1`, p)).toBe(false);
    expect(hasPrefix('nhi-gen-other-ns-1', p)).toBe(false);
  });

  it('tell identities of other runs apart from this run and from probes', () => {
    const foreign = foreignGenerated('nhi-gen-aaaaa');
    expect(foreign({ name: 'system:serviceaccount:nhi-gen-bbbbb-ns-0:default', groups: [] })).toBe(true);
    expect(foreign({ name: 'x', groups: ['nhi-gen-bbbbb:group-1'] })).toBe(true);
    expect(
      foreign({
        name: 'system:serviceaccount:nhi-gen-aaaaa-ns-0:default',
        groups: ['system:serviceaccounts:nhi-gen-aaaaa-ns-0'],
      }),
    ).toBe(false);
    expect(foreign({ name: 'nhi-gen.probe-user-0', groups: ['system:authenticated'] })).toBe(false);
    expect(foreign({ name: 'alice', groups: [] })).toBe(false);
    expect(foreignGenerated()({ name: 'nhi-gen-aaaaa-user-1@example.test', groups: [] })).toBe(true);
  });
});

describe('sarGrantingBinding', () => {
  it('reads the binding an RBAC allow names', () => {
    expect(
      sarGrantingBinding(
        'RBAC: allowed by ClusterRoleBinding "cluster-reconciler" of ClusterRole "cluster-admin" to ServiceAccount "kc/flux"',
      ),
    ).toEqual({
      kind: 'ClusterRoleBinding',
      namespace: '',
      name: 'cluster-reconciler',
    });
    expect(
      sarGrantingBinding('RBAC: allowed by RoleBinding "pod-exec/default" of Role "exec" to ServiceAccount "sa/default"'),
    ).toEqual({
      kind: 'RoleBinding',
      namespace: 'default',
      name: 'pod-exec',
    });
    expect(sarGrantingBinding('')).toBeUndefined();
  });
});

describe('sampleCorpusTuples', () => {
  const objects = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin' },
      rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cluster-admin' },
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'Group', name: 'system:masters' }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'info' },
      rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/healthz/*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'info' },
      roleRef: { kind: 'ClusterRole', name: 'info' },
      subjects: [
        { kind: 'Group', name: 'system:unauthenticated' },
        { kind: 'Group', name: 'system:authenticated' },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'exec', namespace: 'shop' },
      rules: [
        { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] },
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'exec', namespace: 'shop' },
      roleRef: { kind: 'Role', name: 'exec' },
      subjects: [
        { kind: 'ServiceAccount', name: 'debugger' },
        { kind: 'User', name: 'alice' },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'node-reader' },
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes', 'nodes/*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'nodes' },
      roleRef: { kind: 'ClusterRole', name: 'node-reader' },
      subjects: [
        { kind: 'Group', name: 'system:nodes' },
        { kind: 'User', name: 'system:node:n1' },
      ],
    },
    // A generated object (of another run): not sampled from.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'nhi-gen-zzzzz-crb-1' },
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: 'nhi-gen-zzzzz-user-0' }],
    },
  ];
  const { snapshot, issues } = snapshotFromObjects(objects);
  const index = buildIndex(snapshot);

  it('is balanced, deterministic, and never asks about identities other authorizers decide', () => {
    expect(issues).toEqual([]);
    const tuples = sampleCorpusTuples(index, 400, 5);
    expect(tuples).toHaveLength(400);
    expect(sampleCorpusTuples(index, 400, 5)).toEqual(tuples);
    const allowed = tuples.filter((t) => can(index, t.user, t.attrs).allowed).length;
    expect(allowed).toBe(200);
    expect(tuples.filter((t) => nonRbacAuthorizerFor(t.user))).toEqual([]);
    expect(tuples.some((t) => t.user.name === 'nhi-gen-zzzzz-user-0')).toBe(false);
    // Node user names come without system:nodes; system:nodes members with a non-node name.
    expect(tuples.some((t) => t.user.groups.includes('system:nodes') && !t.user.name.startsWith('system:node:'))).toBe(true);
    expect(tuples.some((t) => t.user.name === 'system:anonymous' && t.user.groups.join() === 'system:unauthenticated')).toBe(
      true,
    );
    expect(tuples.some((t) => 'nonResourceURL' in t.attrs)).toBe(true);
    expect(tuples.some((t) => !('nonResourceURL' in t.attrs) && t.attrs.subresource === 'exec')).toBe(true);
  });

  it('coverage and whoCan queries summarise what was sampled', () => {
    const tuples = sampleCorpusTuples(index, 200, 6);
    const decisions = tuples.map((t) => can(index, t.user, t.attrs));
    const coverage = coverageOf(index, tuples, decisions);
    expect(coverage.allowed).toBe(100);
    expect(coverage.denied).toBe(100);
    expect(coverage['via implicit group']).toBeGreaterThan(0);
    expect(coverage['via ServiceAccount subject without namespace']).toBeGreaterThan(0);
    const queries = pickWhoCanQueries(tuples, decisions, 8, 1);
    expect(queries.length).toBe(8);
    expect(new Set(queries.map((q) => JSON.stringify(q))).size).toBe(8);
  });

  it('works on a generated cluster too', () => {
    const gen = generateCluster({ seed: 3 });
    const idx = buildIndex(generatedSnapshot(gen));
    const tuples = sampleCorpusTuples(idx, 100, 1, {
      includeBinding: () => true,
      namespaces: gen.namespaces,
      ignoreUser: () => false,
    });
    expect(tuples).toHaveLength(100);
    expect(tuples.filter((t) => can(idx, t.user, t.attrs).allowed)).toHaveLength(50);
  });
});
