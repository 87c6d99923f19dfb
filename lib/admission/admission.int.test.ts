/**
 * The admission webhook on the real test API server: the route behind TLS (e2e/cluster/webhook-sink.ts), registered
 * with a ValidatingWebhookConfiguration from webhookConfiguration() (confined by an object selector to this test's
 * objects, so the shared cluster is not disturbed), the API server authenticating with the cluster's ingest token
 * (--admission-control-config-file, e2e/cluster/admission.ts). In enforce mode a ClusterRoleBinding of cluster-admin
 * to a ServiceAccount is refused with the rule's message; in audit mode it is created, kubectl's warning carries the
 * rule, and the decision is recorded; a ConfigMap and an ordinary Deployment pass; a dry run is not recorded.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AdmissionregistrationV1Api,
  ApiException,
  AppsV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1ClusterRoleBinding,
  type V1Deployment,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminKubeConfig, ensureCluster, eventually, type TestCluster } from '@/e2e/cluster/harness';
import { startWebhookSink, type WebhookSink } from '@/e2e/cluster/webhook-sink';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import { admissionOfWorkload } from '@/lib/data/admission';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { createIngestToken } from '@/lib/runtime/tokens';
import { webhookConfiguration } from './config';
import { clusterAdminBinding, configMap, ordinaryDeployment } from './fixtures';

type Handler = (request: Request, context?: { params?: Promise<Record<string, string>> }) => Promise<Response>;

const id = randomBytes(4).toString('hex');
const ns = `it-adm-${id}`;
const CLUSTER = `adm-live-${id}`;
const LABEL = { 'nhi.dev/admission-test': id };
const HOOK = `nhi-admission-it-${id}`;
let cluster: TestCluster | undefined;
let db: TestDatabase;
let pool: pg.Pool;
let client: PrismaClient;
let sink: WebhookSink | undefined;
let clusterId: string;
let rbac: RbacAuthorizationV1Api;
let core: CoreV1Api;
let apps: AppsV1Api;
let hooks: AdmissionregistrationV1Api;
const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'nhi-admission-tls-'));

const status = (e: unknown) => (e instanceof ApiException ? e.code : 0);
const messageOf = (e: unknown) => {
  if (!(e instanceof ApiException)) return String(e);
  const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
  try {
    return String((JSON.parse(body) as { message?: string }).message ?? body);
  } catch {
    return body;
  }
};
const rows = (where: string, params: unknown[] = []) =>
  pool
    .query<{
      uid: string;
      decision: string;
      mode: string;
      kind: string;
      name: string;
      rules: string[];
      user: string;
      serviceAccounts: string[];
    }>(`SELECT * FROM "AdmissionDecision" WHERE "clusterId" = $1 AND ${where} ORDER BY at`, [clusterId, ...params])
    .then((r) => r.rows);

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'admission');
  process.env.DATABASE_URL = db.url;
  process.env.NHI_ADMISSION_MODE = 'enforce';
  delete process.env.NHI_FINDINGS_POLICY;
  pool = openStore(db.url);
  client = createPrisma(db.url);
  clusterId = await ensureClusterRow(pool, CLUSTER, 'import', null, null);
  const token = await createIngestToken(pool, clusterId, 'admission-webhook');
  const { POST } = (await import('@/app/api/admission/[cluster]/route')) as unknown as { POST: Handler };
  // The app's route behind HTTPS, as a deployment serves it: its [cluster] segment from the path, as Next.js gives it.
  sink = await startWebhookSink(
    (request) => POST(request, { params: Promise.resolve({ cluster: new URL(request.url).pathname.split('/').pop()! }) }),
    tlsDir,
    `/api/admission/${CLUSTER}`,
  );
  // The API server sends the ingest token to webhooks (restarts it once with --admission-control-config-file).
  cluster = await ensureCluster({ admissionWebhook: { token } });
  const kc = adminKubeConfig(cluster);
  rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  hooks = kc.makeApiClient(AdmissionregistrationV1Api);
  await core.createNamespace({ body: { metadata: { name: ns, labels: LABEL } } });
  const config = webhookConfiguration({
    url: sink.url,
    cluster: CLUSTER,
    mode: 'enforce',
    caPem: readFileSync(sink.caFile, 'utf8'),
    name: HOOK,
    objectSelector: LABEL,
  });
  await hooks.createValidatingWebhookConfiguration({ body: config as unknown as V1ValidatingWebhookConfiguration });
  // The API server picks the configuration up within a moment: a dry run is refused once it does.
  await eventually(
    'the webhook in force',
    async () => {
      try {
        await rbac.createClusterRoleBinding({ body: crb('probe'), dryRun: 'All' });
        return undefined;
      } catch (e) {
        return status(e) === 403 && messageOf(e).includes('NHI-POS-001') ? true : undefined;
      }
    },
    30_000,
  );
});

afterAll(async () => {
  if (hooks) await hooks.deleteValidatingWebhookConfiguration({ name: HOOK }).catch(() => {});
  if (rbac)
    for (const name of ['enforced', 'audited', 'probe'].map((n) => `${HOOK}-${n}`))
      await rbac.deleteClusterRoleBinding({ name }).catch(() => {});
  if (core) await core.deleteNamespace({ name: ns }).catch(() => {});
  // The cluster as the other tests expect it: no admission credentials.
  if (cluster) await ensureCluster({ admissionWebhook: null });
  sink?.close();
  delete process.env.NHI_ADMISSION_MODE;
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await client?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(tlsDir, { recursive: true, force: true });
});

const crb = (n: string) =>
  clusterAdminBinding(`${HOOK}-${n}`, { namespace: ns, name: 'deployer' }, LABEL) as unknown as V1ClusterRoleBinding;

describe('the admission webhook on the real API server', () => {
  it('does not record the dry runs it answered', async () => {
    expect(await rows('true')).toEqual([]);
  });

  it('refuses a ClusterRoleBinding of cluster-admin to a ServiceAccount in enforce mode, with the rule and the fix', async () => {
    process.env.NHI_ADMISSION_MODE = 'enforce';
    let caught: unknown;
    try {
      await rbac.createClusterRoleBinding({ body: crb('enforced') });
    } catch (e) {
      caught = e;
    }
    expect(status(caught)).toBe(403);
    const message = messageOf(caught);
    expect(message).toContain('admission webhook "admission.nhi.dev" denied the request');
    expect(message).toContain('NHI-POS-001 ServiceAccount bound to cluster-admin');
    expect(message).toContain(`Fix: Replace the broad grant`);
    expect(message).toContain(`kubectl delete clusterrolebinding ${HOOK}-enforced`);
    expect(status(await rbac.readClusterRoleBinding({ name: `${HOOK}-enforced` }).catch((e: unknown) => e))).toBe(404);
    const [row] = await rows(`name = $2`, [`${HOOK}-enforced`]);
    expect(row).toMatchObject({
      decision: 'denied',
      mode: 'enforce',
      kind: 'ClusterRoleBinding',
      rules: ['NHI-POS-001'],
      serviceAccounts: [`${ns}/deployer`],
    });
    // The admin kubeconfig's client certificate, as the API server names it.
    expect(row!.user).toBeTruthy();
  });

  it('creates it in audit mode, with the warning in the response, and records the decision', async () => {
    process.env.NHI_ADMISSION_MODE = `${CLUSTER}=audit`;
    const res = await rbac.createClusterRoleBindingWithHttpInfo({ body: crb('audited') });
    expect(res.httpStatusCode).toBe(201);
    const warning = Object.entries(res.headers).find(([k]) => k.toLowerCase() === 'warning')?.[1] ?? '';
    expect(warning).toContain('NHI-POS-001');
    expect(warning).toContain('would be denied in enforce mode');
    expect((await rbac.readClusterRoleBinding({ name: `${HOOK}-audited` })).roleRef.name).toBe('cluster-admin');
    const [row] = await rows(`name = $2`, [`${HOOK}-audited`]);
    expect(row).toMatchObject({ decision: 'warned', mode: 'audit', rules: ['NHI-POS-001'] });
  });

  it('lets a ConfigMap and an ordinary Deployment pass in enforce mode, and puts the Deployment on its timeline', async () => {
    process.env.NHI_ADMISSION_MODE = 'enforce';
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { ...configMap(ns), metadata: { name: 'settings', namespace: ns, labels: LABEL } },
    });
    await core.createNamespacedServiceAccount({
      namespace: ns,
      body: { metadata: { name: 'web', namespace: ns, labels: LABEL } },
    });
    const created = await apps.createNamespacedDeployment({
      namespace: ns,
      body: ordinaryDeployment(ns, 'web', LABEL) as unknown as V1Deployment,
    });
    expect(created.metadata!.uid).toBeTruthy();
    const [row] = await rows(`kind = 'Deployment' AND name = 'web'`);
    expect(row).toMatchObject({ decision: 'allowed', rules: [] });
    expect(await rows(`kind = 'ServiceAccount' AND name = 'web'`)).toMatchObject([{ decision: 'allowed' }]);
    // The ReplicaSet the deployment controller makes passes unjudged (its template was judged with the Deployment).
    await eventually('the ReplicaSet', async () => (await apps.listNamespacedReplicaSet({ namespace: ns })).items[0], 15_000);
    expect(await rows(`kind = 'ReplicaSet'`)).toEqual([]);
    // Once collected, the workload's page shows the decision (the same cluster, namespace, kind and name).
    const timeline = await admissionOfWorkload(client, { clusterId, namespace: ns, kind: 'Deployment', name: 'web' });
    expect(timeline.map((d) => d.decision)).toEqual(['allowed']);
  });
});
