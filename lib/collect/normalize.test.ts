import { describe, expect, it } from 'vitest';
import { normalize, topOwner } from './normalize';
import { emptySnapshot, type ClusterSnapshot, type KubeObject } from './types';

const meta = (name: string, namespace = 'shop', extra: Partial<KubeObject['metadata']> = {}) => ({
  name,
  namespace,
  uid: `uid-${namespace}-${name}`,
  ...extra,
});

function shop(): ClusterSnapshot {
  const s = emptySnapshot();
  s.namespaces.push({ kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'payments' } } });
  s.serviceAccounts.push(
    {
      kind: 'ServiceAccount',
      metadata: meta('api', 'shop', { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/api' } }),
      imagePullSecrets: [{ name: 'registry' }],
    },
    { kind: 'ServiceAccount', metadata: meta('batch'), automountServiceAccountToken: false },
    { kind: 'ServiceAccount', metadata: meta('generic-garbage-collector', 'kube-system') },
  );
  s.secrets.push(
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('db'), type: 'Opaque' },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('registry'), type: 'kubernetes.io/dockerconfigjson' },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('api-token', 'shop', { annotations: { 'kubernetes.io/service-account.name': 'api' } }),
      type: 'kubernetes.io/service-account-token',
    },
  );
  const template = {
    metadata: { labels: { app: 'api' } },
    spec: {
      serviceAccountName: 'api',
      containers: [
        { name: 'api', image: 'shop/api:1.2', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] },
      ],
      volumes: [
        {
          name: 'vault',
          projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 't' } }] },
        },
        { name: 'gone', secret: { secretName: 'missing-secret' } },
      ],
    },
  };
  s.deployments.push({ kind: 'Deployment', metadata: meta('api'), spec: { template } });
  s.replicaSets.push({
    kind: 'ReplicaSet',
    metadata: meta('api-7d9', 'shop', { ownerReferences: [{ kind: 'Deployment', name: 'api', controller: true }] }),
    spec: { template },
  });
  s.pods.push(
    {
      kind: 'Pod',
      metadata: meta('api-7d9-a', 'shop', { ownerReferences: [{ kind: 'ReplicaSet', name: 'api-7d9', controller: true }] }),
      spec: template.spec,
    },
    {
      kind: 'Pod',
      metadata: meta('api-7d9-b', 'shop', { ownerReferences: [{ kind: 'ReplicaSet', name: 'api-7d9', controller: true }] }),
      spec: template.spec,
    },
    {
      kind: 'Pod',
      metadata: meta('report-28-x', 'shop', { ownerReferences: [{ kind: 'Job', name: 'report-28', controller: true }] }),
      spec: { serviceAccountName: 'batch', containers: [{ name: 'r', image: 'shop/report:3' }] },
    },
    {
      kind: 'Pod',
      metadata: meta('debug'),
      spec: {
        containers: [{ name: 'd', image: 'busybox', securityContext: { privileged: true } }],
        hostPID: true,
        // What the ServiceAccount admission plugin injects into a bare Pod: the automount token (counted once).
        volumes: [
          {
            name: 'kube-api-access-x7k2p',
            projected: {
              sources: [
                { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
                { configMap: { name: 'kube-root-ca.crt' } },
              ],
            },
          },
        ],
      },
    },
  );
  s.jobs.push({
    kind: 'Job',
    metadata: meta('report-28', 'shop', { ownerReferences: [{ kind: 'CronJob', name: 'report', controller: true }] }),
  });
  s.cronJobs.push({
    kind: 'CronJob',
    metadata: meta('report'),
    spec: {
      jobTemplate: {
        spec: { template: { spec: { serviceAccountName: 'batch', containers: [{ name: 'r', image: 'shop/report:3' }] } } },
      },
    },
  });
  s.clusterRoleBindings.push({
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:controller:generic-garbage-collector' },
    roleRef: { kind: 'ClusterRole', name: 'system:controller:generic-garbage-collector' },
    subjects: [{ kind: 'ServiceAccount', name: 'generic-garbage-collector', namespace: 'kube-system' }],
  });
  s.roleBindings.push({
    kind: 'RoleBinding',
    metadata: meta('ops'),
    roleRef: { kind: 'ClusterRole', name: 'edit' },
    subjects: [
      { kind: 'Group', name: 'ops' },
      { kind: 'ServiceAccount', name: 'ghost' },
    ],
  });
  return s;
}

const inv = normalize(shop());

describe('normalize: workloads', () => {
  it('resolves pods to their top-level workload through ReplicaSets and Jobs', () => {
    expect(inv.workloads.map((w) => [w.key, w.serviceAccountName, w.podCount])).toEqual([
      ['shop/CronJob/report', 'batch', 1],
      ['shop/Deployment/api', 'api', 2],
      ['shop/Pod/debug', 'default', 1],
    ]);
    expect(inv.workloads.find((w) => w.name === 'debug')!.podSpecFacts).toEqual({ hostPID: true, privilegedContainers: ['d'] });
    expect(inv.workloads.find((w) => w.name === 'api')!.podSpecFacts.missingSecrets).toEqual(['missing-secret']);
  });

  it('finds the nearest known owner when an intermediate one was not collected', () => {
    const index = new Map<string, KubeObject>();
    expect(
      topOwner(
        {
          kind: 'Pod',
          metadata: meta('p', 'shop', { ownerReferences: [{ kind: 'ReplicaSet', name: 'rs-1', controller: true }] }),
        },
        index,
      ),
    ).toEqual({ kind: 'ReplicaSet', name: 'rs-1' });
  });
});

describe('normalize: credentials', () => {
  it('classifies credentials by Secret type and links them to identities and the workloads that use them', () => {
    expect(inv.credentials.map((c) => [c.key, c.identity])).toEqual([
      ['shop/ImagePullSecret/registry', null],
      ['shop/LegacyServiceAccountToken/api-token', 'ServiceAccount/shop/api'],
      ['shop/OpaqueSecret/db', null],
      ['shop/ProjectedToken/Deployment/api/automount', 'ServiceAccount/shop/api'],
      ['shop/ProjectedToken/Deployment/api/vault', 'ServiceAccount/shop/api'],
      ['shop/ProjectedToken/Pod/debug/automount', 'ServiceAccount/shop/default'],
    ]);
    expect(inv.credentials.find((c) => c.name === 'Deployment/api/vault')!.metadata).toEqual({
      audience: 'vault',
      expirationSeconds: 600,
      path: 't',
      volume: 'vault',
    });
    expect(inv.credentialUses.filter((u) => u.workload === 'shop/Deployment/api').map((u) => [u.credential, u.via])).toEqual([
      ['shop/ImagePullSecret/registry', 'serviceAccountImagePullSecret'],
      ['shop/OpaqueSecret/db', 'env'],
      ['shop/ProjectedToken/Deployment/api/automount', 'automount'],
      ['shop/ProjectedToken/Deployment/api/vault', 'projectedVolume'],
    ]);
    // automountServiceAccountToken: false on the SA means no automounted token for the CronJob.
    expect(inv.credentialUses.some((u) => u.workload === 'shop/CronJob/report')).toBe(false);
  });

  it('gives a legacy token Secret to its ServiceAccount, even one the snapshot lacks', () => {
    const s = shop();
    s.secrets.push({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: meta('old-token', 'shop', { annotations: { 'kubernetes.io/service-account.name': 'retired' } }),
    });
    const out = normalize(s);
    expect(out.credentials.find((c) => c.name === 'old-token')!.identity).toBe('ServiceAccount/shop/retired');
    expect(out.identities.find((i) => i.key === 'ServiceAccount/shop/retired')).toMatchObject({ uid: null, builtIn: false });
  });
});

describe('normalize: identities and links', () => {
  it('records identities: ServiceAccounts, binding subjects, cloud and SPIFFE identities, built-ins', () => {
    expect(inv.identities.map((i) => [i.key, i.builtIn])).toEqual([
      ['CloudIdentity//arn:aws:iam::111122223333:role/api', false],
      ['Group//ops', false],
      ['ServiceAccount/kube-system/generic-garbage-collector', true],
      ['ServiceAccount/shop/api', false],
      ['ServiceAccount/shop/batch', false],
      ['ServiceAccount/shop/default', false],
      ['ServiceAccount/shop/ghost', false],
      ['SpiffeId//spiffe://cluster.local/ns/shop/sa/api', false],
      ['SpiffeId//spiffe://cluster.local/ns/shop/sa/batch', false],
      ['SpiffeId//spiffe://cluster.local/ns/shop/sa/default', false],
    ]);
    expect(inv.identityLinks.filter((l) => l.from === 'ServiceAccount/shop/api')).toEqual([
      {
        from: 'ServiceAccount/shop/api',
        to: 'CloudIdentity//arn:aws:iam::111122223333:role/api',
        kind: 'aws-irsa',
        inferred: false,
        source: 'annotation eks.amazonaws.com/role-arn',
      },
      {
        from: 'ServiceAccount/shop/api',
        to: 'SpiffeId//spiffe://cluster.local/ns/shop/sa/api',
        kind: 'spiffe',
        inferred: true,
        source: 'convention spiffe://<trust-domain>/ns/<namespace>/sa/<name>',
      },
    ]);
  });

  it('keeps a ServiceAccount read from the cluster when bindings, pods and token Secrets also name it', () => {
    const s = shop();
    s.roleBindings.push({
      kind: 'RoleBinding',
      metadata: meta('names-api'),
      roleRef: { kind: 'Role', name: 'r' },
      subjects: [{ kind: 'ServiceAccount', name: 'api' }],
    });
    const api = normalize(s).identities.find((i) => i.key === 'ServiceAccount/shop/api')!;
    expect(api.uid).toBe('uid-shop-api');
    expect(api.annotations).toHaveProperty(['eks.amazonaws.com/role-arn']);
  });

  it('takes SPIFFE IDs from ClusterSPIFFEID templates whose selectors match', () => {
    const s = shop();
    s.clusterSpiffeIds.push({
      kind: 'ClusterSPIFFEID',
      metadata: { name: 'shop-apps' },
      spec: {
        spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/team/payments/{{ .PodSpec.ServiceAccountName }}',
        podSelector: { matchLabels: { app: 'api' } },
      },
    });
    const links = normalize(s, { trustDomain: 'prod.example' }).identityLinks.filter((l) => l.kind === 'spiffe');
    expect(links.find((l) => l.from === 'ServiceAccount/shop/api')).toEqual({
      from: 'ServiceAccount/shop/api',
      to: 'SpiffeId//spiffe://prod.example/team/payments/api',
      kind: 'spiffe',
      inferred: false,
      source: 'ClusterSPIFFEID shop-apps',
    });
    expect(links.find((l) => l.from === 'ServiceAccount/shop/batch')!.inferred).toBe(true);
  });
});

describe('normalize: owners', () => {
  it('infers owners from labels, falling back to the namespace', () => {
    expect(inv.ownerHints.map((h) => [h.target.key, h.team, h.source])).toEqual([
      ['ServiceAccount/shop/api', 'payments', 'namespace shop label team'],
      ['ServiceAccount/shop/batch', 'payments', 'namespace shop label team'],
      ['shop/CronJob/report', 'payments', 'namespace shop label team'],
      ['shop/Deployment/api', 'payments', 'namespace shop label team'],
      ['shop/Pod/debug', 'payments', 'namespace shop label team'],
    ]);
  });
});

describe('normalize: the whole inventory', () => {
  it('is deterministic', () => {
    const s = shop();
    s.pods.reverse();
    s.secrets.reverse();
    expect(normalize(s)).toEqual(inv);
  });
});

describe('normalize: NetworkPolicies and admission objects', () => {
  it('lists each namespace’s NetworkPolicies and the admission objects with what they intercept, no CA bundle', () => {
    const s = shop();
    s.namespaces.push({ kind: 'Namespace', metadata: { name: 'empty' } });
    s.networkPolicies.push(
      { kind: 'NetworkPolicy', metadata: meta('z-allow-dns') },
      { kind: 'NetworkPolicy', metadata: meta('default-deny') },
    );
    s.validatingWebhookConfigurations.push({
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'kyverno-resource' },
      webhooks: [
        {
          name: 'validate.kyverno.svc',
          clientConfig: { caBundle: 'LS0tLS1CRUdJTg==' },
          rules: [
            { operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], resources: ['deployments'] },
            { operations: ['DELETE'], apiGroups: [''], resources: ['secrets'] },
            { operations: ['*'], apiGroups: [''], resources: ['pods', 'pods/ephemeralcontainers'] },
          ],
        },
      ],
    });
    s.mutatingWebhookConfigurations.push({ kind: 'MutatingWebhookConfiguration', metadata: { name: 'empty' } });
    s.validatingAdmissionPolicies.push({
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'no-host' },
      spec: { matchConstraints: { resourceRules: [{ operations: ['CREATE'], resources: ['pods'] }] } },
    });
    s.validatingAdmissionPolicyBindings.push({
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'no-host' },
      spec: { policyName: 'no-host', validationActions: ['Warn', 'Deny'] },
    });
    const out = normalize(s);
    expect(out.namespaces.map((n) => [n.name, n.networkPolicies])).toEqual([
      ['empty', []],
      ['shop', ['default-deny', 'z-allow-dns']],
    ]);
    expect(out.admissionPolicies).toEqual([
      { kind: 'MutatingWebhookConfiguration', name: 'empty', resources: [], webhooks: [] },
      { kind: 'ValidatingAdmissionPolicy', name: 'no-host', resources: ['pods'] },
      {
        kind: 'ValidatingAdmissionPolicyBinding',
        name: 'no-host',
        resources: [],
        policyName: 'no-host',
        validationActions: ['Deny', 'Warn'],
      },
      {
        kind: 'ValidatingWebhookConfiguration',
        name: 'kyverno-resource',
        resources: ['deployments', 'pods', 'pods/ephemeralcontainers'],
        webhooks: ['validate.kyverno.svc'],
      },
    ]);
    expect(JSON.stringify(out)).not.toContain('LS0tLS1CRUdJTg==');
  });
});
