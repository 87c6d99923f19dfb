import { describe, expect, it } from 'vitest';
import { defaultWeightsFile, loadWeights } from '@/lib/risk/weights';
import type { ClusterRole, ClusterRoleBinding, RbacSnapshot, Role, RoleBinding, Subject } from '@/lib/rbac/types';
import { applyChanges, factorFamily, simulate, type WhatIfChanges, type WhatIfModel } from './engine';

const weights = loadWeights(defaultWeightsFile);
const RBAC = 'rbac.authorization.k8s.io';
const sa = (ns: string, name: string): Subject => ({ kind: 'ServiceAccount', namespace: ns, name });
const CLUSTER_ADMIN: ClusterRole = {
  kind: 'ClusterRole',
  metadata: { name: 'cluster-admin' },
  rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
};
const VIEW: ClusterRole = {
  kind: 'ClusterRole',
  metadata: { name: 'view' },
  rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps', 'pods'] }],
};
const POD_MAKER: Role = {
  kind: 'Role',
  metadata: { namespace: 'ops', name: 'pod-maker' },
  rules: [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }],
};
const APP_RW: Role = {
  kind: 'Role',
  metadata: { namespace: 'shop', name: 'app-rw' },
  rules: [{ verbs: ['get', 'list', 'update', 'delete'], apiGroups: [''], resources: ['configmaps'] }],
};
const crb = (name: string, role: string, subject: Subject): ClusterRoleBinding => ({
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
  subjects: [subject],
});
const rb = (ns: string, name: string, kind: 'Role' | 'ClusterRole', role: string, subject: Subject): RoleBinding => ({
  kind: 'RoleBinding',
  metadata: { namespace: ns, name },
  roleRef: { apiGroup: RBAC, kind, name: role },
  subjects: [subject],
});

/**
 * shop/api: cluster-admin through a ClusterRoleBinding, plus configmaps in shop. ops/deployer is cluster-admin
 * too (the target of a pod-creating path in ops). Namespaces carry Pod Security `restricted` so that no node target
 * muddles the counts.
 */
function cluster(): RbacSnapshot {
  return {
    roles: [POD_MAKER, APP_RW],
    clusterRoles: [CLUSTER_ADMIN, VIEW],
    roleBindings: [rb('shop', 'api-rw', 'Role', 'app-rw', sa('shop', 'api'))],
    clusterRoleBindings: [
      crb('api-admin', 'cluster-admin', sa('shop', 'api')),
      crb('deployer-admin', 'cluster-admin', sa('ops', 'deployer')),
    ],
    serviceAccounts: [
      { namespace: 'shop', name: 'api' },
      { namespace: 'ops', name: 'deployer' },
    ],
    namespaces: ['shop', 'ops'],
    podSecurity: { shop: 'restricted', ops: 'restricted' },
  };
}

function model(snapshot: RbacSnapshot = cluster(), extra: Partial<WhatIfModel> = {}): WhatIfModel {
  return {
    snapshot,
    identity: { namespace: 'shop', name: 'api', builtIn: false, owners: ['team-shop'], workloads: [] },
    risk: { findings: [], anomalies: [], workloads: [], owned: true, href: '/identities/x' },
    weights,
    ...extra,
  };
}
const none: WhatIfChanges = { removeBindings: [], addBindings: [] };

describe('what-if engine', () => {
  it('changes nothing without changes', () => {
    const r = simulate(model(), none);
    expect(r.delta.score.change).toBe(0);
    expect(r.delta.findings).toEqual({ resolved: [], appeared: [] });
    expect(r.delta.permissions).toEqual([]);
    expect(r.before.escalation.distance).toBe(0);
    expect(r.before.findings.map((f) => f.ruleId)).toEqual(['NHI-POS-001', 'NHI-POS-002']);
  });

  it('removing the cluster-admin binding removes the path and resolves the NHI-POS rules', () => {
    const r = simulate(model(), {
      removeBindings: [{ kind: 'ClusterRoleBinding', namespace: '', name: 'api-admin' }],
      addBindings: [],
    });
    expect(r.applied).toEqual(['removed ClusterRoleBinding api-admin']);
    expect(r.warnings).toEqual([]);
    expect(r.delta.clusterAdmin).toEqual({ before: 0, after: null });
    expect(r.after.escalation.reachesClusterAdmin).toBe(false);
    expect(r.delta.findings.resolved.map((f) => f.ruleId)).toEqual(['NHI-POS-001', 'NHI-POS-002']);
    expect(r.delta.findings.appeared).toEqual([]);
    expect(r.delta.bindings.removed.map((b) => b.name)).toEqual(['api-admin']);
    expect(r.delta.permissions).toContainEqual({
      scope: 'cluster-wide',
      resource: '*/*',
      before: ['*'],
      after: [],
      change: 'removed',
    });
    expect(r.after.score.score).toBeLessThan(r.before.score.score);
    expect(r.delta.score.factors.map((f) => f.factor)).toContain('Path to cluster-admin');
    const path = r.delta.score.factors.find((f) => f.factor === 'Path to cluster-admin')!;
    expect(path.after).toBeNull();
    expect(path.change).toBe(-weights.spec.identity.clusterAdmin);
  });

  it('adding a binding to a role that can create pods opens a new path', () => {
    const base = model();
    const start = applyChanges(base.snapshot, base.identity, {
      removeBindings: [{ kind: 'ClusterRoleBinding', namespace: '', name: 'api-admin' }],
      addBindings: [],
    }).snapshot;
    const r = simulate(model(start), {
      removeBindings: [],
      addBindings: [{ roleKind: 'Role', roleName: 'pod-maker', namespace: 'ops' }],
    });
    expect(r.applied).toEqual(['added RoleBinding ops/what-if-1-pod-maker → Role ops/pod-maker']);
    expect(r.delta.clusterAdmin).toEqual({ before: null, after: 1 });
    expect(r.after.escalation.steps[0]).toMatch(/creates a pod .* namespace ops running as ServiceAccount ops\/deployer/);
    expect(r.delta.identities.added).toContain('ServiceAccount ops/deployer');
    expect(r.delta.targets.added.map((t) => t.target)).toContain('cluster-admin');
    expect(r.delta.permissions).toEqual([
      { scope: 'namespace ops', resource: 'pods', before: [], after: ['create'], change: 'added' },
    ]);
    expect(r.delta.findings.appeared.map((f) => f.ruleId)).toContain('NHI-POS-002');
    expect(r.delta.score.change).toBeGreaterThan(0);
  });

  it('least privilege shrinks the reach to the verbs used', () => {
    const snapshot: RbacSnapshot = {
      ...cluster(),
      clusterRoleBindings: [crb('deployer-admin', 'cluster-admin', sa('ops', 'deployer'))],
    };
    const documents = [
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'Role',
        metadata: { namespace: 'shop', name: 'api-least-privilege' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { namespace: 'shop', name: 'api-least-privilege' },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: 'api-least-privilege' },
        subjects: [{ kind: 'ServiceAccount', namespace: 'shop', name: 'api' }],
      },
    ];
    const r = simulate(model(snapshot), {
      removeBindings: [],
      addBindings: [],
      leastPrivilege: { documents, replaces: [{ kind: 'RoleBinding', namespace: 'shop', name: 'api-rw' }] },
    });
    expect(r.warnings).toEqual([]);
    expect(r.before.permissions.map((p) => [p.scope, p.resource, p.verbs])).toEqual([
      ['namespace shop', 'configmaps', ['delete', 'get', 'list', 'update']],
    ]);
    expect(r.after.permissions.map((p) => [p.scope, p.resource, p.verbs])).toEqual([
      ['namespace shop', 'configmaps', ['get', 'list']],
    ]);
    expect(r.delta.permissions).toEqual([
      {
        scope: 'namespace shop',
        resource: 'configmaps',
        before: ['delete', 'get', 'list', 'update'],
        after: ['get', 'list'],
        change: 'changed',
      },
    ]);
    expect(r.delta.bindings.removed.map((b) => b.name)).toEqual(['api-rw']);
    expect(r.delta.bindings.added.map((b) => `${b.name} ${b.role}`)).toEqual(['api-least-privilege Role api-least-privilege']);
  });

  it('reports changes it cannot apply', () => {
    const r = simulate(model(), {
      removeBindings: [{ kind: 'RoleBinding', namespace: 'shop', name: 'nope' }],
      addBindings: [
        { roleKind: 'ClusterRole', roleName: 'missing' },
        { roleKind: 'Role', roleName: 'pod-maker' },
      ],
    });
    expect(r.warnings).toEqual([
      'RoleBinding shop/nope does not exist',
      'ClusterRole missing does not exist in the cluster',
      'Role ?/pod-maker: a Role needs its namespace',
    ]);
    expect(r.delta.score.change).toBe(0);
  });

  it('continues with another account’s stored path when the snapshot is a subset', () => {
    // Only the pod-maker binding is known; ops/deployer's own grants are not in the snapshot, its stored path is.
    const subset: RbacSnapshot = {
      roles: [POD_MAKER],
      clusterRoles: [CLUSTER_ADMIN],
      roleBindings: [],
      clusterRoleBindings: [],
      serviceAccounts: [{ namespace: 'ops', name: 'deployer' }],
      namespaces: ['shop', 'ops'],
      podSecurity: { shop: 'restricted', ops: 'restricted' },
    };
    const others = new Map([
      ['sa:ops/deployer', { distance: 0, steps: ['ops/deployer already holds every permission cluster-wide.'], targets: [] }],
    ]);
    const r = simulate(model(subset, { others }), {
      removeBindings: [],
      addBindings: [{ roleKind: 'Role', roleName: 'pod-maker', namespace: 'ops' }],
    });
    expect(r.delta.clusterAdmin).toEqual({ before: null, after: 1 });
    const admin = r.after.escalation.targets.find((t) => t.target === 'cluster-admin')!;
    expect(admin.via).toBe('ServiceAccount ops/deployer');
    expect(admin.steps).toHaveLength(2);
  });

  it('keeps the group a binding applies through when the snapshot is a subset', () => {
    const everyone: ClusterRoleBinding = {
      kind: 'ClusterRoleBinding',
      metadata: { name: 'all-sas-view' },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'Group', name: 'system:serviceaccounts', apiGroup: RBAC }],
    };
    const subset: RbacSnapshot = { ...cluster(), clusterRoleBindings: [...cluster().clusterRoleBindings, everyone] };
    const r = simulate(model(subset, { others: new Map() }), {
      removeBindings: [{ kind: 'ClusterRoleBinding', namespace: '', name: 'all-sas-view' }],
      addBindings: [],
    });
    expect(r.delta.bindings.removed).toEqual([
      expect.objectContaining({ name: 'all-sas-view', role: 'ClusterRole view', group: 'system:serviceaccounts' }),
    ]);
    expect(r.delta.permissions.map((p) => `${p.change} ${p.resource}`)).toEqual(['removed configmaps', 'removed pods']);
    expect(r.delta.clusterAdmin).toEqual({ before: 0, after: 0 });
  });

  it('names score factor families across counts', () => {
    expect(factorFamily('Path to cluster-admin in 2 steps')).toBe('Path to cluster-admin');
    expect(factorFamily('Holds cluster-admin-equivalent power')).toBe('Path to cluster-admin');
    expect(factorFamily('Open findings (1 critical)')).toBe('Open findings');
  });
});
