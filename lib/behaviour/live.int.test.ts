/**
 * Issue 11 item 6, proved on the real API server: with the test cluster's audit webhook pointed at the app's
 * ingestion route, three workloads of three classes (a service, a controller, a Job) make their normal calls
 * with real pod-bound tokens through a learning window compressed by the profiles (15 s of event time, no
 * faked timestamps); then the service's token is abused (Secrets listed in another namespace, a burst of
 * denied requests, an exec, kubectl). Each abuse is an anomaly, attributed to the service's ServiceAccount,
 * Identity and Deployment, within 10 s of the call; the other workloads' normal traffic raises nothing.
 *
 * Then the same events from the API server's own audit log file: ingested into a second cluster they give
 * the same anomalies, and ingesting them again changes nothing; cut in two halves, the second ingested first
 * into a third cluster, they give the same anomalies too.
 *
 * The inventory (Workload and Identity rows, so the classes resolve) is imported from the live cluster's
 * own objects of the test's namespaces (`kubectl get -o json` dumps read through the API, then `importDumps`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDocument } from 'yaml';
import {
  adminKubeConfig,
  auditLogOffset,
  ensureCluster,
  eventually,
  readAuditEvents,
  serviceAccountToken,
  type AuditEvent,
  type TestCluster,
} from '@/e2e/cluster/harness';
import { tokenClient } from '@/e2e/cluster/as-token';
import { startWebhookSink, type WebhookSink } from '@/e2e/cluster/webhook-sink';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { kubeGet } from '@/lib/collect/kube';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import { repoRoot } from '@/lib/paths';
import { ingestFiles } from '@/lib/runtime/ingest';
import { createIngestToken } from '@/lib/runtime/tokens';
import { detectDays } from './engine';
import { classProfile, loadProfiles, type BehaviourProfiles } from './profiles';

const LEARNING = '15s';
const hex = randomBytes(4).toString('hex');
const ns = `it-live-${hex}`;
/** Another team's namespace, whose Secrets the service's token lists in the abnormal phase. */
const vault = `it-vault-${hex}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nhi-live-'));
const profilesFile = path.join(tmp, 'behaviour-profiles.yaml');
const inventoryFile = path.join(tmp, 'inventory.json');
const auditFile = path.join(tmp, 'audit.jsonl');

let cluster: TestCluster | undefined;
let kc: KubeConfig;
let db: TestDatabase;
let pool: pg.Pool;
let sink: WebhookSink | undefined;
let client: ReturnType<typeof tokenClient> | undefined;
let profiles: BehaviourProfiles;
let POST: (request: Request) => Promise<Response>;
let liveId: string;
let offset = 0;
/** POSTs from the API server's webhook being handled by the route (its detection included). */

/** A workload of the test: its ServiceAccount, the pod the controller-manager made, a token bound to it. */
interface Actor {
  sa: string;
  userAgent: string;
  pod: { name: string; uid: string };
  token: string;
}
const actors: Record<'api' | 'controller' | 'report', Actor> = {} as never;
const saOf = (a: Actor) => `${ns}/${a.sa}`;

// --- the profiles: the shipped file, with the learning windows of the classes used compressed to 15 s.
function writeProfiles(): BehaviourProfiles {
  const doc = parseDocument(readFileSync(path.join(repoRoot, 'public', 'behaviour-profiles.yaml'), 'utf8'));
  for (const cls of ['service', 'controller', 'batch']) doc.setIn(['spec', 'classes', cls, 'learningWindow'], LEARNING);
  doc.setIn(['metadata', 'name'], 'live-test');
  writeFileSync(profilesFile, doc.toString());
  return loadProfiles(profilesFile);
}

// --- calls to the API server as a workload: a real token, the workload's own user agent.
const call = (actor: Actor, method: string, uri: string, opts: { userAgent?: string; body?: unknown } = {}) =>
  client!.call(actor.token, opts.userAgent ?? actor.userAgent, method, uri, opts.body);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');
const rvOf = (j: Record<string, unknown> | null) => ((j?.metadata ?? {}) as { resourceVersion?: string }).resourceVersion ?? '';

// --- normal traffic: each workload's calls, every ~1 s, until stopped.
const normal = { stop: false, calls: new Map<string, number>(), failures: [] as string[] };
async function expectOk(actor: Actor, method: string, uri: string, body?: unknown) {
  const r = await call(actor, method, uri, { body });
  normal.calls.set(actor.sa, (normal.calls.get(actor.sa) ?? 0) + 1);
  if (r.status >= 300) normal.failures.push(`${actor.sa} ${method} ${uri}: ${r.status}`);
  return r;
}

async function loop(tick: () => Promise<void>): Promise<void> {
  while (!normal.stop) {
    const t = Date.now();
    await tick().catch((e: unknown) => normal.failures.push(String(e)));
    await sleep(Math.max(0, 1000 - (Date.now() - t)));
  }
}

/** The service: lists, watches and reads its ConfigMaps, reads its one Secret by name. */
async function apiTraffic(): Promise<void> {
  const a = actors.api;
  await loop(async () => {
    const list = await expectOk(a, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=500`);
    await Promise.all([
      expectOk(a, 'GET', `/api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=1&resourceVersion=${rvOf(list.json)}`),
      expectOk(a, 'GET', `/api/v1/namespaces/${ns}/configmaps/shop-api-config`),
      expectOk(a, 'GET', `/api/v1/namespaces/${ns}/secrets/shop-api-db`),
    ]);
  });
}

/** The controller: holds its leader-election Lease (read, renew) and lists and watches Pods. */
async function controllerTraffic(): Promise<void> {
  const a = actors.controller;
  const lease = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/shop-controller-leader`;
  const holder = `${a.pod.name}_${hex}`;
  await expectOk(a, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'shop-controller-leader', namespace: ns },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: microTime(), renewTime: microTime() },
  });
  await loop(async () => {
    const pods = await expectOk(a, 'GET', `/api/v1/namespaces/${ns}/pods?limit=500`);
    const current = await expectOk(a, 'GET', lease);
    await Promise.all([
      expectOk(a, 'GET', `/api/v1/namespaces/${ns}/pods?watch=1&timeoutSeconds=1&resourceVersion=${rvOf(pods.json)}`),
      expectOk(a, 'PUT', lease, { ...current.json, spec: { ...(current.json?.spec as object), renewTime: microTime() } }),
    ]);
  });
}

/** The Job: reads its ConfigMap and lists the Jobs of its namespace. */
async function reportTraffic(): Promise<void> {
  const a = actors.report;
  await loop(async () => {
    await expectOk(a, 'GET', `/api/v1/namespaces/${ns}/configmaps/report-config`);
    await expectOk(a, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs?limit=500`);
  });
}

// --- the store.
interface AnomalyRow {
  id: string;
  detector: string;
  fingerprint: string;
  saNamespace: string;
  saName: string;
  identityId: string | null;
  workloadId: string | null;
  severity: string;
  status: string;
  eventKeys: string[];
  eventCount: number;
  firstEventAt: Date;
  lastEventAt: Date;
  updatedAt: Date;
}

async function anomaliesOf(clusterId: string): Promise<AnomalyRow[]> {
  return (
    await pool.query<AnomalyRow>(
      `SELECT id, detector, fingerprint, "saNamespace", "saName", "identityId", "workloadId", severity, status, "eventKeys",
              "eventCount", "firstEventAt", "lastEventAt", "updatedAt"
       FROM "Anomaly" WHERE "clusterId" = $1 AND "saNamespace" IN ($2, $3) ORDER BY fingerprint`,
      [clusterId, ns, vault],
    )
  ).rows;
}

/** Per anomaly: fingerprint, evidence keys (sorted), event count, first and last event time, severity. */
const evidence = (rows: AnomalyRow[]) =>
  rows.map((r) => [
    r.fingerprint,
    [...r.eventKeys].sort(),
    r.eventCount,
    r.firstEventAt.getTime(),
    r.lastEventAt.getTime(),
    r.severity,
  ]);
const fingerprints = (rows: AnomalyRow[]) =>
  rows.map((r) => `${r.detector} ${r.saNamespace}/${r.saName} ${r.fingerprint}`).sort();

interface EvidenceRow {
  key: string;
  verb: string;
  resource: string | null;
  namespace: string | null;
  responseCode: number | null;
  userAgent: string | null;
  podName: string | null;
}

/** The evidence events of an anomaly, as stored for its ServiceAccount (only those found). */
async function evidenceOf(clusterId: string, a: AnomalyRow): Promise<EvidenceRow[]> {
  return (
    await pool.query<EvidenceRow>(
      `SELECT key, verb, resource, namespace, "responseCode", "userAgent", "podName" FROM "RuntimeEvent"
       WHERE "clusterId" = $1 AND "saNamespace" = $2 AND "saName" = $3 AND key = ANY($4::text[]) ORDER BY at, key`,
      [clusterId, a.saNamespace, a.saName, a.eventKeys],
    )
  ).rows;
}

async function idsOf(clusterId: string) {
  const workload = (
    await pool.query<{ id: string }>(
      `SELECT id FROM "Workload" WHERE "clusterId" = $1 AND namespace = $2 AND kind = 'Deployment' AND name = 'shop-api' AND "deletedAt" IS NULL`,
      [clusterId, ns],
    )
  ).rows[0]?.id;
  const identity = (
    await pool.query<{ id: string }>(
      `SELECT id FROM "Identity" WHERE "clusterId" = $1 AND kind = 'ServiceAccount' AND namespace = $2 AND name = 'shop-api' AND "deletedAt" IS NULL`,
      [clusterId, ns],
    )
  ).rows[0]?.id;
  return { workload, identity };
}

// --- the cluster's objects.
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): V1PolicyRule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

async function grant(namespace: string, sa: string, name: string, rules: V1PolicyRule[]): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
  });
}

const template = (name: string, image: string, restartPolicy?: string) => ({
  metadata: { labels: { 'app.kubernetes.io/name': name } },
  spec: { serviceAccountName: name, ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'main', image }] },
});

async function createWorkloads(): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  for (const name of [ns, vault]) await core.createNamespace({ body: { metadata: { name } } });
  for (const sa of ['shop-api', 'shop-controller', 'shop-report'])
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'shop-api-config' }, data: { mode: 'live' } },
  });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'report-config' }, data: { day: 'today' } } });
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: 'shop-api-db' }, stringData: { url: 'db://x' } },
  });
  await core.createNamespacedSecret({ namespace: vault, body: { metadata: { name: 'vault-key' }, stringData: { key: 'k' } } });

  // The service: its ConfigMaps, its one Secret by name, and (to be abused) exec into its namespace's pods and
  // the Secrets of another namespace.
  await grant(ns, 'shop-api', 'shop-api', [
    rule([''], ['configmaps'], ['get', 'list', 'watch']),
    rule([''], ['secrets'], ['get'], ['shop-api-db']),
    rule([''], ['pods/exec'], ['create', 'get']),
  ]);
  await grant(vault, 'shop-api', 'shop-api-reads-vault', [rule([''], ['secrets'], ['get', 'list'])]);
  await grant(ns, 'shop-controller', 'shop-controller', [
    rule([''], ['pods'], ['get', 'list', 'watch']),
    rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']),
  ]);
  await grant(ns, 'shop-report', 'shop-report', [
    rule([''], ['configmaps'], ['get'], ['report-config']),
    rule(['batch'], ['jobs'], ['get', 'list']),
  ]);

  const deployment = (name: string, image: string, labels: Record<string, string>) =>
    apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name, labels: { 'app.kubernetes.io/name': name, ...labels } },
        spec: { replicas: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } }, template: template(name, image) },
      },
    });
  await deployment('shop-api', 'registry.example/shop/api:1.4.2', {});
  await deployment('shop-controller', 'registry.example/shop/reconciler:2.0.1', { 'app.kubernetes.io/component': 'controller' });
  await batch.createNamespacedJob({
    namespace: ns,
    body: {
      metadata: { name: 'shop-report', labels: { 'app.kubernetes.io/name': 'shop-report' } },
      spec: { backoffLimit: 0, template: template('shop-report', 'registry.example/shop/report:1.0.0', 'Never') },
    },
  });
}

/** The pod the controller-manager made for a workload (Pending: there is no scheduler nor kubelet). */
async function podOf(name: string, pattern: RegExp): Promise<{ name: string; uid: string }> {
  const core = kc.makeApiClient(CoreV1Api);
  return eventually(
    `the pod of ${ns}/${name}`,
    async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/name=${name}` });
      const p = pods.items.find((x) => !x.metadata?.deletionTimestamp && pattern.test(x.metadata!.name!));
      return p ? { name: p.metadata!.name!, uid: p.metadata!.uid! } : undefined;
    },
    60_000,
  );
}

/** The test namespaces' objects, as `kubectl get -o json` gives them, into the inventory of a cluster row. */
async function writeInventory(): Promise<void> {
  const lists: unknown[] = [];
  for (const n of [ns, vault]) {
    lists.push(await kubeGet(kc, `/api/v1/namespaces/${n}`));
    for (const p of [
      `/api/v1/namespaces/${n}/serviceaccounts`,
      `/api/v1/namespaces/${n}/pods`,
      `/apis/apps/v1/namespaces/${n}/deployments`,
      `/apis/apps/v1/namespaces/${n}/replicasets`,
      `/apis/batch/v1/namespaces/${n}/jobs`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/roles`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${n}/rolebindings`,
    ])
      lists.push(await kubeGet(kc, p));
  }
  writeFileSync(inventoryFile, lists.map((l) => JSON.stringify(l)).join('\n'));
}

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'behaviourlive');
  pool = openStore(db.url);
  profiles = writeProfiles();
  // The route's engine reads the profiles per batch, and its pool reads DATABASE_URL on first use.
  process.env.NHI_BEHAVIOUR_PROFILES = profilesFile;
  process.env.DATABASE_URL = db.url;
  ({ POST } = await import('@/app/api/ingest/audit/route'));

  // The app's route behind HTTPS, as a deployment serves it.
  sink = await startWebhookSink(POST, tmp);

  liveId = await ensureClusterRow(pool, 'live', 'import', null, null);
  const token = await createIngestToken(pool, liveId, 'audit-webhook');
  cluster = await ensureCluster({ auditWebhook: { url: sink.url, token, caFile: sink.caFile } });
  offset = auditLogOffset(cluster);
  kc = adminKubeConfig(cluster);
  client = tokenClient(cluster);

  await createWorkloads();
  const api = await podOf('shop-api', /^shop-api-[a-z0-9]{1,10}-[a-z0-9]{5}$/);
  const controller = await podOf('shop-controller', /^shop-controller-[a-z0-9]{1,10}-[a-z0-9]{5}$/);
  const report = await podOf('shop-report', /^shop-report-[a-z0-9]{5}$/);
  // The inventory before the first call of a workload, so each baseline is learned under its class.
  await writeInventory();
  await importDumps(pool, [inventoryFile], { clusterName: 'live' });
  const bound = async (sa: string, pod: { name: string; uid: string }, userAgent: string): Promise<Actor> => ({
    sa,
    pod,
    userAgent,
    token: (await serviceAccountToken(cluster!, ns, sa, { boundObject: { kind: 'Pod', name: pod.name, uid: pod.uid } })).token,
  });
  actors.api = await bound('shop-api', api, 'shop-api/v1.4.2 (linux/amd64) kubernetes/4f1c2ab');
  actors.controller = await bound('shop-controller', controller, 'shop-reconciler/v2.0.1 (linux/amd64) kubernetes/9b3e0d7');
  actors.report = await bound('shop-report', report, 'OpenAPI-Generator/31.0.0/python');
}, 180_000);

afterAll(async () => {
  normal.stop = true;
  if (cluster) {
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of [ns, vault]) await core.deleteNamespace({ name }).catch(() => {});
    await ensureCluster({ auditWebhook: null });
  }
  await client?.close();
  sink?.close();
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await pool?.end();
  await db?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The detectors the abuses of the service's token must raise, one anomaly each (and nothing else). */
const ABUSES = ['secret-access', 'new-namespace', 'denied-burst', 'exec', 'human-use'] as const;
let live: AnomalyRow[] = [];

describe('behaviour anomalies from the real API server', () => {
  it('learns three workloads through a compressed window, finds each planted abuse within 10 s, attributed, and nothing else', async () => {
    const t0 = Date.now();
    const traffic = Promise.all([apiTraffic(), controllerTraffic(), reportTraffic()]);
    try {
      // Normal phase: until the service's baseline is learned (its window has passed in event time).
      const learned = await eventually(
        "the service's baseline, learned",
        async () =>
          (
            await pool.query<{ class: string; learnedAt: Date | null; learnUntil: Date; firstEventAt: Date; actions: string[] }>(
              `SELECT class, "learnedAt", "learnUntil", "firstEventAt", actions FROM "Baseline"
               WHERE "clusterId" = $1 AND "saNamespace" = $2 AND "saName" = 'shop-api' AND "learnedAt" IS NOT NULL`,
              [liveId, ns],
            )
          ).rows[0],
        60_000,
      );
      console.log(
        `normal phase: the service learned after ${((Date.now() - t0) / 1000).toFixed(1)} s (class ${learned.class}, window ${
          (learned.learnUntil.getTime() - learned.firstEventAt.getTime()) / 1000
        } s): ${learned.actions.join(', ')}`,
      );
      expect(learned.class).toBe('service');
      expect(learned.learnUntil.getTime() - learned.firstEventAt.getTime()).toBe(15_000);
      expect(learned.actions).toEqual(
        expect.arrayContaining(['list configmaps own', 'watch configmaps own', 'get configmaps own', 'get secrets own']),
      );
      // A few more normal rounds after the window: still nothing for anyone.
      await sleep(3000);
      expect(fingerprints(await anomaliesOf(liveId))).toEqual([]);

      const { workload, identity } = await idsOf(liveId);
      expect(workload).toBeDefined();
      expect(identity).toBeDefined();
      const a = actors.api;
      const latencies: Record<string, number> = {};
      /** Waits (at most 10 s from `since`) for the anomaly and checks its attribution and evidence. */
      const found = async (detector: string, since: number, check: (e: EvidenceRow) => boolean) => {
        const row = await eventually(
          `a ${detector} anomaly of ${saOf(a)}`,
          async () => (await anomaliesOf(liveId)).find((r) => r.detector === detector && r.saName === a.sa),
          Math.max(0, since + 10_000 - Date.now()),
        );
        latencies[detector] = Date.now() - since;
        expect(latencies[detector]).toBeLessThanOrEqual(10_000);
        expect(row).toMatchObject({
          saNamespace: ns,
          saName: 'shop-api',
          workloadId: workload,
          identityId: identity,
          status: 'open',
        });
        expect(row.eventKeys.length).toBeGreaterThan(0);
        const evidence = await evidenceOf(liveId, row);
        expect(evidence.map((e) => e.key).sort()).toEqual([...row.eventKeys].sort());
        for (const e of evidence) {
          expect(check(e), `${detector} evidence ${JSON.stringify(e)}`).toBe(true);
          expect(e.podName).toBe(a.pod.name);
        }
        return row;
      };

      // 1. The token lists the Secrets of another namespace (granted, so it succeeds).
      let t = Date.now();
      expect((await call(a, 'GET', `/api/v1/namespaces/${vault}/secrets?limit=500`)).status).toBe(200);
      const secretEvidence = (e: EvidenceRow) => e.verb === 'list' && e.resource === 'secrets' && e.namespace === vault;
      await found('secret-access', t, secretEvidence);
      await found('new-namespace', t, secretEvidence);

      // 2. A burst of denied requests (twice the threshold, spread over ~2.5 s: whatever the burst windows'
      // boundaries and the webhook's batches, one window holds the threshold).
      const burst = classProfile(profiles, 'service').deniedBurst;
      t = Date.now();
      for (let i = 0; i < 2 * burst.count; i++) {
        expect((await call(a, 'GET', `/api/v1/namespaces/${ns}/pods?limit=${i + 1}`)).status).toBe(403);
        await sleep(2500 / (2 * burst.count));
      }
      await found('denied-burst', t, (e) => e.verb === 'list' && e.resource === 'pods' && e.responseCode === 403);

      // 3. Exec into the controller's pod (allowed by RBAC; no kubelet behind, so the API server answers 400).
      t = Date.now();
      const exec = await call(
        a,
        'POST',
        `/api/v1/namespaces/${ns}/pods/${actors.controller.pod.name}/exec?command=sh&command=-c&command=id&stdin=false&stdout=true&stderr=true`,
      );
      console.log(`exec: the API server answered ${exec.status} ${JSON.stringify(exec.json?.message ?? '')}`);
      const execRow = await found(
        'exec',
        t,
        (e) => e.verb === 'create' && e.resource === 'pods/exec' && e.namespace === ns && e.responseCode === exec.status,
      );
      expect(execRow.fingerprint).toBe(`exec|${ns}/shop-api|pods/exec ${ns}/${actors.controller.pod.name}`);

      // 4. The pod's token used with kubectl (a person copied it out of the pod).
      t = Date.now();
      const kubectl = 'kubectl/v1.37.2 (linux/amd64) kubernetes/4c95f0a';
      expect((await call(a, 'GET', '/api', { userAgent: kubectl })).status).toBe(200);
      expect((await call(a, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=500`, { userAgent: kubectl })).status).toBe(200);
      const human = await found('human-use', t, (e) => e.userAgent === kubectl);
      expect(human.fingerprint).toBe(`human-use|${ns}/shop-api|kubectl-pod-token`);

      console.log(
        `latency, first call of each abuse → its anomaly stored: ${Object.entries(latencies)
          .map(([d, ms]) => `${d} ${ms} ms`)
          .join(', ')}`,
      );

      // The other workloads keep going a little longer, then every event is in and every batch detected.
      await sleep(3000);
    } finally {
      normal.stop = true;
      await traffic;
    }
    expect(normal.failures).toEqual([]);
    // Every event of the test's ServiceAccounts in the audit log is stored, and the POST that stored the last
    // of them has finished (the route detects before it answers).
    await eventually('every webhook batch stored and detected', async () => {
      const file = readAuditEvents(cluster!, offset).filter(ours).length;
      const stored = (await storedKeys(liveId)).length;
      return file > 0 && stored === file && sink!.inFlight() === 0;
    });

    // The other workloads learned too, made calls after their windows, and raised nothing.
    const baselines = (
      await pool.query<{ saName: string; class: string; learnedAt: Date | null; learnUntil: Date; after: number }>(
        `SELECT b."saName", b.class, b."learnedAt", b."learnUntil",
                (SELECT count(*)::int FROM "RuntimeEvent" e WHERE e."clusterId" = b."clusterId" AND e."saNamespace" = b."saNamespace"
                   AND e."saName" = b."saName" AND e.at >= b."learnUntil") AS after
         FROM "Baseline" b WHERE b."clusterId" = $1 AND b."saNamespace" = $2 ORDER BY b."saName"`,
        [liveId, ns],
      )
    ).rows;
    expect(baselines.map((b) => [b.saName, b.class])).toEqual([
      ['shop-api', 'service'],
      ['shop-controller', 'controller'],
      ['shop-report', 'batch'],
    ]);
    for (const b of baselines) {
      expect(b.learnedAt, b.saName).not.toBeNull();
      expect(b.after, `${b.saName}: calls after its window`).toBeGreaterThan(5);
    }
    console.log(`normal calls: ${[...normal.calls].map(([sa, n]) => `${sa} ${n}`).join(', ')}`);

    live = await anomaliesOf(liveId);
    console.log(`live anomalies:\n  ${live.map((r) => `${r.fingerprint} (${r.severity}, ${r.eventCount} events)`).join('\n  ')}`);
    expect(live.filter((r) => r.saName !== 'shop-api')).toEqual([]);
    expect([...new Set(live.map((r) => r.detector))].sort()).toEqual([...ABUSES].sort());
    expect(live).toHaveLength(ABUSES.length);
  }, 170_000);

  it('gives the same anomalies from the audit log file, and a replay of the file changes nothing', async () => {
    expect(live.length).toBe(ABUSES.length);
    const events = readAuditEvents(cluster!, offset).filter(ours);
    writeFileSync(auditFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const replayId = await importInto('replay');

    const first = await ingestFiles(pool, replayId, [auditFile], { parseIn: 'main' });
    expect(first).toMatchObject({ events: events.length, inserted: events.length, rejectedCount: 0 });
    await detectDays(pool, replayId, first.days, profiles);
    const fromFile = await anomaliesOf(replayId);
    expect(fingerprints(fromFile)).toEqual(fingerprints(live));
    const { workload, identity } = await idsOf(replayId);
    for (const r of fromFile) expect(r).toMatchObject({ workloadId: workload, identityId: identity });
    // The same evidence, however the webhook batched the events (a burst split over several batches included).
    reportEvidence('live → file', live, fromFile);
    expect(evidence(fromFile)).toEqual(evidence(live));

    // Again: every event a duplicate, and the same anomalies (same rows, evidence, counts, times, states).
    const again = await ingestFiles(pool, replayId, [auditFile], { parseIn: 'main' });
    expect(again).toMatchObject({ events: events.length, inserted: 0, duplicates: events.length });
    await detectDays(pool, replayId, again.days, profiles);
    const replayed = await anomaliesOf(replayId);
    // Nothing is written: not even updatedAt moves (the baseline's window brought no new call).
    expect(replayed).toEqual(fromFile);
  });

  it('gives the same anomalies when the second half of the file is ingested before the first', async () => {
    const lines = readFileSync(auditFile, 'utf8').trimEnd().split('\n');
    const half = Math.ceil(lines.length / 2);
    const [one, two] = [path.join(tmp, 'half-1.jsonl'), path.join(tmp, 'half-2.jsonl')];
    writeFileSync(one, lines.slice(0, half).join('\n') + '\n');
    writeFileSync(two, lines.slice(half).join('\n') + '\n');
    const halvesId = await importInto('halves');
    const replayId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = 'replay'`)).rows[0]!.id;

    const second = await ingestFiles(pool, halvesId, [two], { parseIn: 'main' });
    await detectDays(pool, halvesId, second.days, profiles);
    const afterSecond = await anomaliesOf(halvesId);
    console.log(`second half alone:\n  ${fingerprints(afterSecond).join('\n  ') || '(none)'}`);
    const firstHalf = await ingestFiles(pool, halvesId, [one], { parseIn: 'main' });
    await detectDays(pool, halvesId, firstHalf.days, profiles);
    const halves = await anomaliesOf(halvesId);
    const whole = await anomaliesOf(replayId);
    reportEvidence('file → halves (second first)', whole, halves);
    expect(fingerprints(halves)).toEqual(fingerprints(whole));
    expect(evidence(halves)).toEqual(evidence(whole));
  });
});

/** Events of the test namespaces' ServiceAccounts. */
function ours(e: AuditEvent): boolean {
  const user = e.user?.username ?? '';
  return user.startsWith(`system:serviceaccount:${ns}:`) || user.startsWith(`system:serviceaccount:${vault}:`);
}

async function storedKeys(clusterId: string): Promise<string[]> {
  return (
    await pool.query<{ key: string }>(`SELECT key FROM "RuntimeEvent" WHERE "clusterId" = $1 AND "saNamespace" IN ($2, $3)`, [
      clusterId,
      ns,
      vault,
    ])
  ).rows.map((r) => r.key);
}

/** A cluster row with the same inventory as the live one. */
async function importInto(name: string): Promise<string> {
  return (await importDumps(pool, [inventoryFile], { clusterName: name })).clusterId;
}

/** Logs where two runs kept different evidence for the same anomaly. */
function reportEvidence(what: string, a: AnomalyRow[], b: AnomalyRow[]): void {
  for (const x of a) {
    const y = b.find((r) => r.fingerprint === x.fingerprint);
    if (!y) continue;
    const onlyA = x.eventKeys.filter((k) => !y.eventKeys.includes(k));
    const onlyB = y.eventKeys.filter((k) => !x.eventKeys.includes(k));
    if (onlyA.length || onlyB.length || x.eventCount !== y.eventCount)
      console.log(
        `${what}: ${x.fingerprint}: ${x.eventCount} vs ${y.eventCount} events (${onlyA.length} keys only in the first, ${onlyB.length} only in the second)`,
      );
  }
}
