import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithCorpus } from '@/lib/corpus/testing';
import {
  ApiException,
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  type V1OwnerReference,
} from '@kubernetes/client-node';
import {
  adminKubeConfig,
  auditLogOffset,
  canaryNeedles,
  ensureCluster,
  eventually,
  kubeConfigFromFile,
  kubeconfigForServiceAccount,
  readAuditEvents,
  readCanaries,
  seedCluster,
  type AuditEvent,
  type TestCluster,
} from './harness';
import { CANARY_PREFIX } from './seed-demo';

/**
 * Proves the test cluster is the real thing: upstream kube-apiserver + controller-manager answer,
 * authorize with RBAC, issue tokens, audit, and reconcile. Each test works in namespaces of its own.
 * Secret values (tokens, canaries) are only compared, never printed: assertions are on booleans.
 */

let cluster: TestCluster;
let core: CoreV1Api;
const namespaces: string[] = [];

async function freshNamespace(prefix: string): Promise<string> {
  const name = `it-${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'nhi.dev/test': 'cluster-int' } } } });
  namespaces.push(name);
  return name;
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

const ownedBy = (refs: V1OwnerReference[] | undefined, kind: string, uid: string | undefined) =>
  (refs ?? []).some((r) => r.kind === kind && r.uid === uid && r.controller === true);

beforeAll(async () => {
  cluster = await ensureCluster();
  core = adminKubeConfig(cluster).makeApiClient(CoreV1Api);
});

afterAll(async () => {
  for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe('the upstream API server', () => {
  it('answers discovery with the pinned release', async () => {
    const kc = adminKubeConfig(cluster);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
    expect(core.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['pods', 'secrets', 'serviceaccounts', 'serviceaccounts/token']),
    );
    const rbac = await kc.makeApiClient(RbacAuthorizationV1Api).getAPIResources();
    expect(rbac.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']),
    );
  });
});

describe('RBAC, TokenRequest, SubjectAccessReview and audit', () => {
  let ns: string;
  let offset: number;
  const sa = 'reader';
  const username = () => `system:serviceaccount:${ns}:${sa}`;

  beforeAll(async () => {
    ns = await freshNamespace('rbac');
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    offset = auditLogOffset(cluster);
  });

  it('gives a ServiceAccount without rights 403, and 200 once a RoleBinding grants it', async () => {
    const asSa = kubeConfigFromFile(await kubeconfigForServiceAccount(cluster, ns, sa)).makeApiClient(CoreV1Api);
    expect(await statusOf(asSa.listNamespacedPod({ namespace: ns }))).toBe(403);

    const rbac = adminKubeConfig(cluster).makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      },
    });
    // The RBAC authorizer reads through an informer: allow it a moment to see the binding.
    await eventually(
      'the RoleBinding to take effect',
      async () => (await statusOf(asSa.listNamespacedPod({ namespace: ns }))) === 200,
      15_000,
    );
    expect(await statusOf(asSa.listNamespacedSecret({ namespace: ns }))).toBe(403);
  });

  it('answers SubjectAccessReview for the ServiceAccount (with its groups)', async () => {
    const authz = adminKubeConfig(cluster).makeApiClient(AuthorizationV1Api);
    const review = async (verb: string, resource: string) =>
      (
        await authz.createSubjectAccessReview({
          body: {
            spec: {
              user: username(),
              groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
              resourceAttributes: { namespace: ns, verb, resource },
            },
          },
        })
      ).status;
    const list = await review('list', 'pods');
    expect(list?.allowed).toBe(true);
    expect(list?.reason ?? '').toContain('reader-pods');
    expect((await review('delete', 'pods'))?.allowed).toBe(false);
    expect((await review('get', 'secrets'))?.allowed).toBe(false);
  });

  it('audits those calls with the ServiceAccount as user and its credential extras', async () => {
    const mine = (e: AuditEvent) => e.user.username === username() && e.objectRef?.resource === 'pods' && e.verb === 'list';
    const events = await eventually('audit events of the ServiceAccount', () => {
      const found = readAuditEvents(cluster, offset).filter(mine);
      const codes = new Set(found.map((e) => e.responseStatus?.code));
      return codes.has(403) && codes.has(200) ? found : undefined;
    });
    for (const e of events) {
      expect(e.level).toBe('Metadata');
      expect(e.stage).toBe('ResponseComplete');
      expect(e.user.groups).toEqual(
        expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']),
      );
      const credentialId = e.user.extra?.['authentication.kubernetes.io/credential-id'] ?? [];
      expect(credentialId.length).toBe(1);
      expect(credentialId[0]!.startsWith('JTI=')).toBe(true);
    }
    const denied = events.find((e) => e.responseStatus?.code === 403)!;
    expect(denied.annotations?.['authorization.k8s.io/decision']).toBe('forbid');

    const all = readAuditEvents(cluster, offset);
    const tokenRequest = all.find(
      (e) => e.objectRef?.subresource === 'token' && e.objectRef.name === sa && e.objectRef.namespace === ns,
    );
    expect(tokenRequest?.level).toBe('RequestResponse');
    expect(tokenRequest?.requestObject).toBeDefined();
    const binding = all.find(
      (e) => e.objectRef?.resource === 'rolebindings' && e.objectRef.namespace === ns && e.verb === 'create',
    );
    expect(binding?.level).toBe('RequestResponse');
    expect(binding?.requestObject).toBeDefined();
  });

  it('adds pod extras for a token bound to a Pod', async () => {
    const pod = await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'bound' },
        spec: { serviceAccountName: sa, containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
      },
    });
    const before = auditLogOffset(cluster);
    const asPod = kubeConfigFromFile(
      await kubeconfigForServiceAccount(cluster, ns, sa, {
        boundObject: { kind: 'Pod', name: 'bound', uid: pod.metadata!.uid! },
      }),
    ).makeApiClient(CoreV1Api);
    expect(await statusOf(asPod.readNamespacedPod({ namespace: ns, name: 'bound' }))).toBe(200);
    const event = await eventually('the pod-bound request in the audit log', () =>
      readAuditEvents(cluster, before).find(
        (e) => e.user.username === username() && e.verb === 'get' && e.objectRef?.name === 'bound',
      ),
    );
    expect(event.user.extra?.['authentication.kubernetes.io/pod-name']).toEqual(['bound']);
    expect(event.user.extra?.['authentication.kubernetes.io/pod-uid']).toEqual([pod.metadata!.uid]);
  });

  it('writes Secrets to the audit log at Metadata level only', async () => {
    const before = auditLogOffset(cluster);
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'audited' }, stringData: { value: 'not-a-canary' } },
    });
    const event = await eventually('the Secret create in the audit log', () =>
      readAuditEvents(cluster, before).find(
        (e) => e.objectRef?.resource === 'secrets' && e.objectRef.name === 'audited' && e.verb === 'create',
      ),
    );
    expect(event.level).toBe('Metadata');
    expect(event.requestObject).toBeUndefined();
    expect(event.responseObject).toBeUndefined();
  });
});

describe('the audit webhook', () => {
  it('delivers audit events in batches to a webhook sink set at start', async (ctx) => {
    // Someone (e.g. the app under test) already owns the webhook: do not take it over.
    if (cluster.auditWebhookUrl) ctx.skip();
    const received: { kind?: string; apiVersion?: string; items?: AuditEvent[] }[] = [];
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/audit`;
    try {
      const withHook = await ensureCluster({ auditWebhook: { url } });
      expect(withHook.auditWebhookUrl).toBe(url);
      const ns = await freshNamespace('hook');
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'marker' }, data: { a: 'b' } } });
      const batch = await eventually('the ConfigMap create at the webhook sink', () =>
        received.find((b) =>
          b.items?.some((e) => e.objectRef?.namespace === ns && e.objectRef.name === 'marker' && e.verb === 'create'),
        ),
      );
      expect(batch.kind).toBe('EventList');
      expect(batch.apiVersion).toBe('audit.k8s.io/v1');
    } finally {
      await ensureCluster({ auditWebhook: null });
      sink.close();
    }
  });
});

describe('the controller-manager', () => {
  it('turns a Deployment into a ReplicaSet and Pods that name their owners', async () => {
    const ns = await freshNamespace('deploy');
    const apps = adminKubeConfig(cluster).makeApiClient(AppsV1Api);
    const labels = { app: 'web' };
    const deployment = await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1' }] } },
        },
      },
    });
    const rs = await eventually('a ReplicaSet owned by the Deployment', async () =>
      (await apps.listNamespacedReplicaSet({ namespace: ns })).items.find((r) =>
        ownedBy(r.metadata?.ownerReferences, 'Deployment', deployment.metadata?.uid),
      ),
    );
    const pods = await eventually('two Pods owned by the ReplicaSet', async () => {
      const items = (await core.listNamespacedPod({ namespace: ns })).items.filter((p) =>
        ownedBy(p.metadata?.ownerReferences, 'ReplicaSet', rs.metadata?.uid),
      );
      return items.length === 2 ? items : undefined;
    });
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Pending');
      expect(pod.spec?.serviceAccountName).toBe('default');
    }
  });

  it('fills a legacy service-account-token Secret, and the token authenticates', async () => {
    const ns = await freshNamespace('legacy');
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'old-ci' } } });
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'old-ci-token', annotations: { 'kubernetes.io/service-account.name': 'old-ci' } },
        type: 'kubernetes.io/service-account-token',
      },
    });
    const data = await eventually('the token controller to fill the Secret', async () => {
      const d = (await core.readNamespacedSecret({ namespace: ns, name: 'old-ci-token' })).data;
      return d?.token ? d : undefined;
    });
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'namespace', 'token']);
    const token = Buffer.from(data.token!, 'base64').toString('utf8');
    expect(token.split('.').length).toBe(3);

    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: cluster.server, caData: data['ca.crt'] }],
      users: [{ name: 'u', token }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:old-ci`);
  });
});

describeWithCorpus('the seed', () => {
  beforeAll(async () => {
    await seedCluster(cluster);
  });

  it('applied the corpus and our workloads, and reports what it skipped', async () => {
    const result = await seedCluster(cluster);
    expect(result.reused).toBe(true);
    expect(result.applied).toBeGreaterThan(500);
    expect(result.perOrigin.demo?.skipped).toBe(0);
    for (const origin of ['charts/argo-cd', 'charts/flux', 'charts/cert-manager', 'vulnerable/badpods', 'vulnerable/kubiscan']) {
      expect(result.perOrigin[origin]?.applied ?? 0).toBeGreaterThan(0);
    }
    expect(result.skippedObjects.every((s) => s.detail.length > 0)).toBe(true);
    expect(result.skipsByCategory['policy:admission']).toBeGreaterThan(0);

    const kc = adminKubeConfig(cluster);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.readNamespacedServiceAccount({ namespace: 'argocd', name: 'argocd-application-controller' });
    await core.readNamespacedServiceAccount({ namespace: 'default', name: 'kubiscan-sa' });
    const reconciler = await rbac.readClusterRoleBinding({ name: 'cluster-reconciler' });
    expect(reconciler.roleRef.name).toBe('cluster-admin');

    const irsa = await core.readNamespacedServiceAccount({ namespace: 'payments', name: 'payments-api' });
    expect(irsa.metadata?.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::/);
    const gke = await core.readNamespacedServiceAccount({ namespace: 'checkout', name: 'checkout-web' });
    expect(gke.metadata?.annotations?.['iam.gke.io/gcp-service-account']).toBeDefined();
    const azure = await core.readNamespacedServiceAccount({ namespace: 'checkout', name: 'checkout-worker' });
    expect(azure.metadata?.annotations?.['azure.workload.identity/client-id']).toBeDefined();
    const noAutomount = await core.readNamespacedServiceAccount({ namespace: 'data-platform', name: 'warehouse-db' });
    expect(noAutomount.automountServiceAccountToken).toBe(false);
    const owner = await core.readNamespace({ name: 'payments' });
    expect(owner.metadata?.annotations?.['nhi.dev/owner']).toBeTruthy();

    const legacy = await eventually('the demo legacy token to be filled', async () =>
      (await core.readNamespacedSecret({ namespace: 'payments', name: 'payments-api-legacy-token' })).data?.token
        ? true
        : undefined,
    );
    expect(legacy).toBe(true);
    const apps = kc.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ namespace: 'payments', name: 'payments-api' });
    expect(deployment.spec?.template.spec?.imagePullSecrets?.[0]?.name).toBe('payments-registry');
  });

  it('planted canaries in Secret data and in the last-applied annotation', async () => {
    const canaries = readCanaries(cluster);
    const needles = canaryNeedles(cluster);
    expect(canaries.length).toBeGreaterThanOrEqual(6);
    expect(canaries.filter((c) => c.startsWith(CANARY_PREFIX)).length).toBeGreaterThanOrEqual(6);
    expect(needles.length).toBeGreaterThan(canaries.length);

    const db = await core.readNamespacedSecret({ namespace: 'payments', name: 'payments-db' });
    const password = Buffer.from(db.data?.password ?? '', 'base64').toString('utf8');
    expect(canaries.includes(password)).toBe(true);

    const stripe = await core.readNamespacedSecret({ namespace: 'checkout', name: 'stripe-api-key' });
    const annotation = stripe.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '';
    const apiKey = Buffer.from(stripe.data?.['api-key'] ?? '', 'base64').toString('utf8');
    expect(canaries.includes(apiKey)).toBe(true);
    expect(annotation.includes(apiKey)).toBe(true);
  });
});
