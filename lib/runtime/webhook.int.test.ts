/**
 * The real kube-apiserver's audit webhook posting to the app's ingestion route: calls made with a real,
 * pod-bound ServiceAccount token (TokenRequest) arrive attributed to the identity, the pod and the token
 * within 5 s; the token the TokenRequest returned is stored nowhere; a wrong ingest token is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminKubeConfig, ensureCluster, eventually, serviceAccountToken, type TestCluster } from '@/e2e/cluster/harness';
import { startWebhookSink, type WebhookSink } from '@/e2e/cluster/webhook-sink';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import { createIngestToken } from './tokens';

let cluster: TestCluster;
let db: TestDatabase;
let pool: pg.Pool;
let sink: WebhookSink | undefined;
const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'nhi-hook-tls-'));
let url: string;
let POST: (request: Request) => Promise<Response>;
const ns = `it-hook-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'webhook');
  pool = openStore(db.url);
  // The route's pool reads DATABASE_URL on first use.
  process.env.DATABASE_URL = db.url;
  ({ POST } = await import('@/app/api/ingest/audit/route'));
  // The app's route behind HTTPS, as a deployment serves it: the API server sends its bearer token only over TLS.
  sink = await startWebhookSink(POST, tlsDir);
  url = sink.url;
});

afterAll(async () => {
  if (cluster) await ensureCluster({ auditWebhook: null });
  sink?.close();
  // The route's process-wide pool (lib/db/pool.ts), before its database goes.
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await pool?.end();
  await db?.drop();
  rmSync(tlsDir, { recursive: true, force: true });
});

describe('the audit webhook into the ingestion route', () => {
  it('refuses a request without a valid ingest token', async () => {
    const refused = await POST(
      new Request(url, { method: 'POST', headers: { authorization: 'Bearer nhi_ingest_wrong-token-000000000000' }, body: '{}' }),
    );
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('gets the calls of a pod-bound ServiceAccount token from the real API server within 5 s, attributed and without the token', async () => {
    const clusterId = await ensureClusterRow(pool, 'hooked', 'import', null, null);
    const token = await createIngestToken(pool, clusterId, 'audit-webhook');
    cluster = await ensureCluster({ auditWebhook: { url, token, caFile: sink!.caFile } });
    const kc = adminKubeConfig(cluster);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'api' } } });
    const pod = await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'api-0' },
        spec: { serviceAccountName: 'api', containers: [{ name: 'c', image: 'registry.example/api:1' }] },
      },
    });
    const { token: saToken } = await serviceAccountToken(cluster, ns, 'api', {
      boundObject: { kind: 'Pod', name: 'api-0', uid: pod.metadata!.uid! },
    });
    const asPod = new KubeConfig();
    asPod.loadFromOptions({
      clusters: kc.clusters,
      users: [{ name: 'api', token: saToken }],
      contexts: [{ name: 'api', cluster: kc.getCurrentCluster()!.name, user: 'api' }],
      currentContext: 'api',
    });
    const t0 = Date.now();
    await asPod
      .makeApiClient(CoreV1Api)
      .listNamespacedConfigMap({ namespace: ns })
      .catch(() => {}); // a 403 is an event too
    const row = await eventually(
      'the call at the ingestion route',
      async () =>
        (
          await pool.query<{
            verb: string;
            resource: string;
            podName: string;
            credentialId: string;
            responseCode: number;
            node: string | null;
          }>(
            `SELECT verb, resource, "podName", "credentialId", "responseCode", node FROM "RuntimeEvent"
             WHERE "clusterId" = $1 AND "saNamespace" = $2 AND "saName" = 'api' AND verb = 'list'`,
            [clusterId, ns],
          )
        ).rows[0],
      10_000,
    );
    const latency = Date.now() - t0;
    console.log(`audit webhook → stored: ${latency} ms`);
    expect(latency).toBeLessThan(5000);
    expect(row).toMatchObject({ verb: 'list', resource: 'configmaps', podName: 'api-0', responseCode: 403 });
    expect(row.credentialId).toMatch(/^JTI=/);

    // The TokenRequest that minted the token is stored with the id its later requests carry (the ledger join),
    // but not the token itself, which its RequestResponse audit record held.
    const minted = await eventually(
      'the TokenRequest at the ingestion route',
      async () =>
        (
          await pool.query<{ issuedCredentialId: string }>(
            `SELECT "issuedCredentialId" FROM "RuntimeEvent" WHERE "clusterId" = $1 AND "issuedCredentialId" = $2`,
            [clusterId, row.credentialId],
          )
        ).rows[0],
    );
    expect(minted.issuedCredentialId).toBe(row.credentialId);
    const text = (await pool.query<{ t: string }>(`SELECT string_agg(row_to_json(e)::text, '') AS t FROM "RuntimeEvent" e`))
      .rows[0]!.t;
    expect(text).not.toContain(saToken);
    expect(text).not.toContain(saToken.split('.')[1]);
    expect(text).not.toContain(token);
  });
});
