/**
 * subjectsFromObjects: manifests → the posture rules' subjects without a database, through the collector's own
 * reader, normaliser and RBAC engine (lib/findings/subjects.int.test.ts checks it gives what the database path gives).
 */
import { describe, expect, it } from 'vitest';
import { findingsFromObjects, subjectsFromObjects } from './subjects';

const SECRET_VALUE = 'c3VwZXItc2VjcmV0LXZhbHVl';
const objects = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'storefront' } } },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'shop' } },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop' },
    type: 'Opaque',
    data: { password: SECRET_VALUE },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'builder-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'builder', namespace: 'shop' }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'cluster-admin' },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    // No namespace: kubectl would apply it to the context's namespace.
    metadata: { name: 'app' },
    spec: {
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: {
          serviceAccountName: 'builder',
          containers: [
            {
              name: 'app',
              image: 'ghcr.io/acme/app:1.0',
              env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
            },
          ],
          initContainers: [{ name: 'setup', image: 'busybox', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }],
        },
      },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'locked' },
    spec: { template: { spec: { containers: [{ name: 'a', image: 'registry.example.com/agent@sha256:1' }] } } },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'deny', namespace: 'locked' },
    spec: { podSelector: {} },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'sidecar-injector' },
    webhooks: [
      {
        name: 'inject.example.com',
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        clientConfig: { caBundle: 'Q0E=' },
      },
    ],
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ignored', namespace: 'shop' } },
];

describe('subjectsFromObjects', () => {
  const s = subjectsFromObjects(objects, { defaultNamespace: 'shop' });

  it('builds identities with their grants, capabilities and path, workloads with their pod facts, and declared namespaces', () => {
    const builder = s.identities.find((i) => i.key === 'ServiceAccount/shop/builder')!;
    expect(builder).toMatchObject({ builtIn: false, owners: ['storefront'], escalationDistance: 0 });
    expect(builder.grants).toEqual([
      {
        binding: 'ClusterRoleBinding builder-admin',
        role: 'ClusterRole cluster-admin',
        clusterWide: true,
        group: null,
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
    ]);
    expect(builder.capabilities.map((c) => c.id)).toContain('cluster-admin');
    expect(s.workloads.map((w) => [w.key, w.serviceAccount, w.images, w.podSpecFacts.addedCapabilities ?? []])).toEqual([
      ['locked/DaemonSet/agent', 'default', ['registry.example.com/agent@sha256:1'], []],
      ['shop/Deployment/app', 'builder', ['busybox', 'ghcr.io/acme/app:1.0'], ['SYS_ADMIN']],
    ]);
    expect(s.workloads.every((w) => w.runtime === null)).toBe(true);
    expect(s.namespaces).toEqual([
      {
        name: 'locked',
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
        networkPolicies: ['deny'],
        workloads: ['DaemonSet/agent'],
      },
      { name: 'shop', labels: { team: 'storefront' }, networkPolicies: [], workloads: ['Deployment/app'] },
    ]);
    expect(s.cluster).toBeNull();
    expect(s.notes.map((n) => n.message).join(' ')).toContain('skipped 1 ConfigMap object');
  });

  it('keeps no Secret value and no webhook CA bundle', () => {
    const text = JSON.stringify(subjectsFromObjects(objects, { wholeCluster: true }));
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).not.toContain('Q0E=');
  });

  it('judges the cluster only as a whole cluster, with its admission objects', () => {
    const whole = subjectsFromObjects(objects, { defaultNamespace: 'shop', wholeCluster: true, clusterName: 'prod' });
    expect(whole.cluster).toEqual({
      name: 'prod',
      admission: [
        { kind: 'MutatingWebhookConfiguration', name: 'sidecar-injector', resources: ['pods'], webhooks: ['inject.example.com'] },
      ],
      namespaces: [
        { name: 'locked', enforce: 'restricted' },
        { name: 'shop', enforce: null },
      ],
    });
  });

  it('gives the findings of the objects: one per rule and subject', () => {
    const keys = (fs: { ruleId: string; subjectKey: string }[]) => fs.map((f) => `${f.ruleId} ${f.subjectKey}`).sort();
    expect(keys(findingsFromObjects(objects, { defaultNamespace: 'shop' }))).toEqual([
      'NHI-POS-001 identity:ServiceAccount/shop/builder',
      'NHI-POS-002 identity:ServiceAccount/shop/builder',
      'NHI-POS-004 workload:shop/Deployment/app',
      'NHI-POS-005 workload:shop/Deployment/app',
      'NHI-POS-008 namespace:shop',
      'NHI-POS-009 namespace:shop',
    ]);
    const whole = findingsFromObjects(objects, {
      defaultNamespace: 'shop',
      wholeCluster: true,
      policy: {
        apiVersion: 'nhi.dev/v1',
        kind: 'FindingsPolicy',
        metadata: { name: 'acme', version: 1 },
        spec: { registries: ['registry.example.com/*', 'docker.io/library/*'] },
      },
    });
    expect(keys(whole).filter((k) => /POS-01[01]/.test(k))).toEqual([
      'NHI-POS-010 cluster:',
      'NHI-POS-011 workload:shop/Deployment/app',
    ]);
  });
});
