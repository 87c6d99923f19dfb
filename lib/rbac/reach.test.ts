import { describe, expect, it } from 'vitest';
import { corpusPath, listFiles, loadManifestObjects } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { can } from './evaluator';
import { snapshotFromObjects } from './load';
import { buildIndex } from './rbac-index';
import { listIdentities, reachOf, type HeldCapability } from './reach';
import type { RbacSnapshot } from './types';

const RBAC = 'rbac.authorization.k8s.io';
const summary = (caps: HeldCapability[]) =>
  caps.map(
    (c) =>
      `${c.id}@${c.scope.kind === 'cluster' ? '*' : c.scope.namespace}${c.effective ? '' : `(nominal:${(c.ineffectiveBecause ?? []).join('+')})`}`,
  );

describe('reach: hand-made', () => {
  const s: RbacSnapshot = {
    roles: [
      {
        kind: 'Role',
        metadata: { namespace: 'apps', name: 'deployer' },
        rules: [{ verbs: ['create', 'get'], apiGroups: ['apps'], resources: ['deployments'] }],
      },
    ],
    clusterRoles: [
      {
        kind: 'ClusterRole',
        metadata: { name: 'secret-reader' },
        rules: [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'] }],
      },
      {
        kind: 'ClusterRole',
        metadata: { name: 'node-stuff' },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes/proxy', 'pods/*'] }],
      },
      {
        kind: 'ClusterRole',
        metadata: { name: 'binder' },
        rules: [{ verbs: ['bind'], apiGroups: [RBAC], resources: ['clusterroles'] }],
      },
      {
        kind: 'ClusterRole',
        metadata: { name: 'rb-writer' },
        rules: [{ verbs: ['create'], apiGroups: [RBAC], resources: ['rolebindings'] }],
      },
    ],
    roleBindings: [
      {
        kind: 'RoleBinding',
        metadata: { namespace: 'apps', name: 'deploy' },
        roleRef: { kind: 'Role', name: 'deployer' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci' }],
      },
      {
        kind: 'RoleBinding',
        metadata: { namespace: 'apps', name: 'nodes-in-ns' },
        roleRef: { kind: 'ClusterRole', name: 'node-stuff' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'apps' }],
      },
      {
        kind: 'RoleBinding',
        metadata: { namespace: 'apps', name: 'bind-here' },
        roleRef: { kind: 'ClusterRole', name: 'binder' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'apps' }],
      },
      {
        kind: 'RoleBinding',
        metadata: { namespace: 'apps', name: 'gone' },
        roleRef: { kind: 'Role', name: 'nope' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'apps' }],
      },
    ],
    clusterRoleBindings: [
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'read-all-secrets' },
        roleRef: { kind: 'ClusterRole', name: 'secret-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'apps' }],
      },
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'rb-everywhere' },
        roleRef: { kind: 'ClusterRole', name: 'rb-writer' },
        subjects: [{ kind: 'Group', name: 'system:serviceaccounts:apps' }],
      },
    ],
    serviceAccounts: [
      { namespace: 'apps', name: 'ci' },
      { namespace: 'apps', name: 'idle' },
    ],
  };
  const index = buildIndex(s);

  it('lists bindings, scopes, and capabilities with effective vs nominal', () => {
    const r = reachOf(index, { kind: 'ServiceAccount', namespace: 'apps', name: 'ci' });
    expect(r.bindings.map((b) => `${b.kind}/${b.namespace ?? ''}/${b.name}${b.roleMissing ? ' (missing role)' : ''}`)).toEqual([
      'ClusterRoleBinding//read-all-secrets',
      'ClusterRoleBinding//rb-everywhere',
      'RoleBinding/apps/deploy',
      'RoleBinding/apps/nodes-in-ns',
      'RoleBinding/apps/bind-here',
      'RoleBinding/apps/gone (missing role)',
    ]);
    expect(r.allNamespaces).toBe(true);
    expect(r.namespaces).toEqual(['apps']);
    expect(r.clusterRules.map((g) => g.reason.binding.name)).toEqual(['read-all-secrets', 'rb-everywhere']);
    expect(summary(r.capabilities)).toEqual([
      'secrets-read@*',
      'rbac-bindings-modify@*',
      'workloads-modify@apps',
      'pods-exec@apps(nominal:resource-subresource-wildcard)',
      'pods-attach@apps(nominal:resource-subresource-wildcard)',
      'pods-portforward@apps(nominal:resource-subresource-wildcard)',
      'pods-services-proxy@apps(nominal:resource-subresource-wildcard)',
      'nodes-proxy@apps(nominal:cluster-scoped-resource-in-rolebinding)',
      'rbac-bind@apps',
      'rbac-grant@apps',
    ]);
    // rbac-grant combines create rolebindings (cluster-wide, via a group) with bind (namespace).
    const grant = r.capabilities.find((c) => c.id === 'rbac-grant')!;
    expect(grant.grants.map((g) => g.binding.name)).toEqual(['rb-everywhere', 'bind-here']);
    expect(grant.severity).toBe('high');
    expect(r.capabilities.find((c) => c.id === 'secrets-read')!.severity).toBe('critical');
  });
  it('agrees with can() on what is effective', () => {
    const ci = { kind: 'ServiceAccount' as const, namespace: 'apps', name: 'ci' };
    expect(can(index, ci, { verb: 'get', apiGroup: '', resource: 'nodes', subresource: 'proxy' }).allowed).toBe(false);
    expect(
      can(index, ci, { verb: 'get', apiGroup: '', resource: 'nodes', subresource: 'proxy', namespace: 'apps' }).allowed,
    ).toBe(true);
    expect(can(index, ci, { verb: 'get', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'apps' }).allowed).toBe(
      false,
    );
  });
  it('an identity with group bindings only shares them', () => {
    const r = reachOf(index, { kind: 'ServiceAccount', namespace: 'apps', name: 'idle' });
    expect(r.bindings.map((b) => b.name)).toEqual(['rb-everywhere']);
    expect(summary(r.capabilities)).toEqual(['rbac-bindings-modify@*']);
  });
  it('lists identities from ServiceAccounts and binding subjects', () => {
    expect(listIdentities(index)).toEqual([
      { kind: 'Group', name: 'system:serviceaccounts:apps' },
      { kind: 'ServiceAccount', namespace: 'apps', name: 'ci' },
      { kind: 'ServiceAccount', namespace: 'apps', name: 'idle' },
    ]);
  });
});

function loadCorpus(...dirs: string[]): RbacSnapshot {
  return loadCorpusWith(dirs);
}

/** Corpus directories plus extra objects. */
function loadCorpusWith(dirs: string[], ...extra: unknown[]): RbacSnapshot {
  const objects = dirs.flatMap((d) => listFiles(corpusPath(d)).flatMap((f) => loadManifestObjects(f)));
  return snapshotFromObjects([...objects, ...extra]).snapshot;
}

describeWithCorpus('reach: Kubernetes bootstrap policy', () => {
  const snapshot = loadCorpus('rbac/kubernetes-bootstrap');
  const index = buildIndex(snapshot);
  const ids = (caps: HeldCapability[]) => caps.filter((c) => c.effective && c.scope.kind === 'cluster').map((c) => c.id);

  it('system:controller:generic-garbage-collector and namespace-controller can act on every resource', () => {
    for (const name of ['generic-garbage-collector', 'namespace-controller']) {
      const sa = { kind: 'ServiceAccount' as const, namespace: 'kube-system', name };
      expect(
        can(index, sa, {
          verb: 'delete',
          apiGroup: 'any.example.com',
          resource: 'widgets',
          namespace: 'x',
          name: 'w',
        }).reasons.map((r) => r.role.name),
      ).toEqual([`system:controller:${name}`]);
      expect(ids(reachOf(index, sa).capabilities)).toContain('critical-resources-delete');
    }
  });
  it('clusterrole-aggregation-controller can escalate cluster roles', () => {
    const r = reachOf(index, { kind: 'ServiceAccount', namespace: 'kube-system', name: 'clusterrole-aggregation-controller' });
    expect(ids(r.capabilities)).toEqual(['rbac-escalate', 'rbac-roles-modify']);
  });
  it('system:masters is bound to cluster-admin', () => {
    const r = reachOf(index, { kind: 'Group', name: 'system:masters' });
    expect(r.bindings.map((b) => `${b.name}->${b.roleRef.name}`)).toEqual(['cluster-admin->cluster-admin']);
    expect(ids(r.capabilities)).toContain('cluster-admin');
  });
  it('an ordinary authenticated user holds no sensitive capability', () => {
    expect(reachOf(index, { kind: 'User', name: 'nobody' }).capabilities).toEqual([]);
  });
  it('the self-reviews every identity holds cluster-wide reach no namespace; a ClusterRoleBinding to view reaches all', () => {
    const ordinary = reachOf(index, { kind: 'ServiceAccount', namespace: 'apps', name: 'robot' });
    expect(ordinary.clusterRules.length).toBeGreaterThan(0); // system:basic-user, system:discovery… through groups
    expect(ordinary.allNamespaces).toBe(false);
    expect(ordinary.bindings.find((b) => b.name === 'system:basic-user')?.group).toBe('system:authenticated');
    expect(ordinary.bindings.every((b) => b.group !== undefined)).toBe(true);
    expect(ordinary.namespaces).toEqual([]);
    const viewer = buildIndex(
      loadCorpusWith(['rbac/kubernetes-bootstrap'], {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'robot-view' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'apps' }],
      }),
    );
    const viewing = reachOf(viewer, { kind: 'ServiceAccount', namespace: 'apps', name: 'robot' });
    expect(viewing.allNamespaces).toBe(true);
    expect(viewing.bindings.find((b) => b.name === 'robot-view')).not.toHaveProperty('group');
  });
});

describeWithCorpus('reach: operators’ RBAC (rbac/charts)', () => {
  it('flux: kustomize-controller and helm-controller are bound to cluster-admin', () => {
    const index = buildIndex(loadCorpus('rbac/kubernetes-bootstrap', 'rbac/charts/flux'));
    for (const name of ['kustomize-controller', 'helm-controller']) {
      const r = reachOf(index, { kind: 'ServiceAccount', namespace: 'flux-system', name });
      expect(r.bindings.some((b) => b.name === 'cluster-reconciler' && b.roleRef.name === 'cluster-admin')).toBe(true);
      expect(r.capabilities.find((c) => c.id === 'cluster-admin')).toMatchObject({ scope: { kind: 'cluster' }, effective: true });
    }
  });
  it('argo-cd: the application-controller ClusterRole is */*/* (and every non-resource URL)', () => {
    const index = buildIndex(loadCorpus('rbac/charts/argo-cd'));
    const sa = { kind: 'ServiceAccount' as const, namespace: 'argocd', name: 'argocd-application-controller' };
    const r = reachOf(index, sa);
    expect(r.capabilities.find((c) => c.id === 'cluster-admin')).toMatchObject({
      effective: true,
      grants: [
        {
          binding: { kind: 'ClusterRoleBinding', name: 'argocd-application-controller' },
          role: { kind: 'ClusterRole', name: 'argocd-application-controller' },
          ruleIndex: 0,
          subjectIndex: 0,
        },
      ],
    });
    expect(can(index, sa, { verb: 'post', nonResourceURL: '/anything' }).allowed).toBe(true);
  });
  it('cert-manager: the controller reads and writes Secrets cluster-wide', () => {
    const index = buildIndex(loadCorpus('rbac/charts/cert-manager'));
    const sa = { kind: 'ServiceAccount' as const, namespace: 'cert-manager', name: 'cert-manager' };
    const r = reachOf(index, sa);
    expect(r.capabilities.find((c) => c.id === 'secrets-read')).toMatchObject({ scope: { kind: 'cluster' }, effective: true });
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'delete']) {
      expect([verb, can(index, sa, { verb, apiGroup: '', resource: 'secrets', namespace: 'any-ns' }).allowed]).toEqual([
        verb,
        true,
      ]);
    }
  });
});
