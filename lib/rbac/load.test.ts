import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from './load';

const RBAC = 'rbac.authorization.k8s.io/v1';

describe('snapshotFromObjects', () => {
  it('keeps valid parts, reports each problem with object and field', () => {
    const { snapshot, issues } = snapshotFromObjects([
      {
        apiVersion: RBAC,
        kind: 'Role',
        metadata: { name: 'r' },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { verbs: 'get' }, 'junk'],
      },
      { apiVersion: RBAC, kind: 'ClusterRole', metadata: {}, rules: [] },
      { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'x' }, roleRef: { kind: 'Role' }, subjects: [] },
      {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'c' },
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Group' }, { kind: 'Robot', name: 'r2' }],
      },
      { apiVersion: 'example.com/v1', kind: 'Role', metadata: { name: 'not-rbac' } },
      {
        apiVersion: RBAC,
        kind: 'ClusterRole',
        metadata: { name: 'agg' },
        aggregationRule: {
          clusterRoleSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Bogus' }] }, { matchLabels: { a: 'b' } }],
        },
      },
    ]);
    expect(snapshot.roles).toEqual([
      {
        kind: 'Role',
        metadata: { name: 'r', namespace: 'default' },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      },
    ]);
    expect(snapshot.roleBindings).toEqual([]);
    expect(snapshot.clusterRoleBindings).toEqual([
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'c' },
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [
          { kind: 'ServiceAccount', name: 'sa' },
          { kind: 'Robot', name: 'r2' },
        ],
      },
    ]);
    expect(snapshot.clusterRoles).toEqual([
      {
        kind: 'ClusterRole',
        metadata: { name: 'agg' },
        rules: [],
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] },
      },
    ]);
    expect(issues).toEqual([
      { object: 'Role default/r', path: 'rules[1].verbs', message: 'must be a list of strings, got string' },
      { object: 'Role default/r', path: 'rules[1]', message: 'rule dropped because a field has the wrong type' },
      { object: 'Role default/r', path: 'rules[2]', message: 'must be an object; rule dropped' },
      { object: 'ClusterRole (document #1)', path: 'metadata.name', message: 'missing; object dropped' },
      { object: 'RoleBinding x/b', path: 'roleRef', message: 'needs a string kind and a non-empty name; binding dropped' },
      {
        object: 'ClusterRoleBinding c',
        path: 'subjects[1]',
        message: 'needs a string kind and a non-empty name; subject dropped',
      },
      {
        object: 'ClusterRoleBinding c',
        path: 'subjects[2].kind',
        message: '"Robot" is not User, Group or ServiceAccount; it matches nobody',
      },
      {
        object: 'ClusterRoleBinding c',
        path: 'subjects[0].namespace',
        message: 'a ServiceAccount subject of a ClusterRoleBinding needs a namespace; it matches nobody',
      },
      {
        object: 'ClusterRole agg',
        path: 'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator',
        message: 'unknown operator "Bogus"; selector dropped',
      },
    ]);
  });

  it('reduces Secrets to metadata from an allow-list (values and other annotations never copied)', () => {
    const canary = 'CANARY-7f3e9a';
    const { snapshot } = snapshotFromObjects([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: {
          name: 'tok',
          namespace: 'ns',
          annotations: {
            'kubernetes.io/service-account.name': 'bot',
            'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"token":"${canary}"}}`,
          },
          managedFields: [{ fieldsV1: { canary } }],
        },
        data: { token: canary },
        stringData: { token: canary },
      },
    ]);
    expect(snapshot.secrets).toEqual([
      { namespace: 'ns', name: 'tok', type: 'kubernetes.io/service-account-token', serviceAccountName: 'bot' },
    ]);
    expect(JSON.stringify(snapshot)).not.toContain(canary);
  });

  it('reads pods and workload templates with the ServiceAccount they run as', () => {
    const { snapshot } = snapshotFromObjects(
      [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'p' },
          spec: { serviceAccountName: 'sa', automountServiceAccountToken: false, nodeName: 'n1' },
        },
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', namespace: 'x' }, spec: { serviceAccount: 'legacy' } },
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'cj', namespace: 'x' },
          spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: 'cron' } } } } },
        },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'x' }, spec: { template: { spec: {} } } },
        { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
      ],
      { defaultNamespace: 'dflt' },
    );
    expect(snapshot.pods).toEqual([
      { namespace: 'dflt', name: 'p', serviceAccountName: 'sa', automountServiceAccountToken: false, nodeName: 'n1' },
      { namespace: 'x', name: 'q', serviceAccountName: 'legacy' },
      { namespace: 'x', name: 'cj', serviceAccountName: 'cron', owner: { kind: 'CronJob', name: 'cj' } },
      { namespace: 'x', name: 'd', serviceAccountName: 'default', owner: { kind: 'Deployment', name: 'd' } },
    ]);
    expect(snapshot.nodes).toEqual(['n1']);
  });
});
