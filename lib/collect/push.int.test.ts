/**
 * The agent mode end to end: the real route handler (POST /api/push/inventory) behind a local HTTP server on a
 * database of its own, and two agents pushing at once with two clusters' ingest tokens — one watching the real
 * test API server (`pushWatch`, what `nhi collect --watch --push` runs), one sending the demo dump. Each pushed
 * cluster must equal a direct collection (or import) of the same source into the same database.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { adminKubeConfig, canaryNeedles, ensureCluster, eventually, seedCluster, type TestCluster } from '@/e2e/cluster/harness';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { demoDataFile } from '@/lib/demo/load';
import { createIngestToken } from '@/lib/runtime/tokens';
import { collectOnce, importDumps } from './collect';
import { readDumps } from './import';
import { resolveTargets } from './kube';
import { PushAgent, pushUrlOf, pushWatch } from './push-agent';
import type { PushBatch } from './push-protocol';
import { Spool } from './spool';
import { clusterIdNamed, openStore } from './store';

let cluster: TestCluster;
let db: TestDatabase;
let pool: pg.Pool;
let tmp: string;
const ns = `it-push-${Date.now().toString(36)}`;
const tokens: Record<string, string> = {};
type Post = (request: Request) => Promise<Response>;
let POST: Post;

/** Requests the server answered: size on the wire, status, body (gunzipped batch) and the raw request for replays. */
interface Seen {
  at: number;
  status: number;
  bytes: number;
  raw: Buffer;
  headers: Record<string, string>;
  batch: PushBatch | null;
  answer: { status?: string; code?: string; saved?: { seconds: number } | null };
}
const seen: Seen[] = [];

/** A plain HTTP front for the route handler, which can be closed (an outage) and opened again on the same port. */
class Front {
  private server: http.Server | null = null;
  port = 0;
  async open(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        POST(new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers, body: raw }))
          .then(async (response) => {
            const text = await response.text();
            let batch: PushBatch | null = null;
            try {
              batch = JSON.parse(gunzipSync(raw).toString()) as PushBatch;
            } catch {
              // not a gzip batch
            }
            let answer = {};
            try {
              answer = JSON.parse(text) as Seen['answer'];
            } catch {
              // not JSON
            }
            seen.push({ at: Date.now(), status: response.status, bytes: raw.length, raw, headers, batch, answer });
            res.writeHead(response.status, Object.fromEntries(response.headers));
            res.end(text);
          })
          .catch(() => res.writeHead(500).end());
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}
const front = new Front();

const post = (body: Buffer | string, token: string | null, gzip = true) =>
  fetch(pushUrlOf(front.url), {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': 'application/json',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body: new Uint8Array(gzip ? gzipSync(body) : Buffer.from(body)),
  });

/** Live rows of the inventory of a cluster, by table, and its open findings and risk scores. */
async function counts(name: string): Promise<Record<string, number>> {
  const live = (table: string) =>
    `(SELECT count(*)::int FROM "${table}" t WHERE t."clusterId" = c.id AND t."deletedAt" IS NULL) AS "${table}"`;
  const res = await pool.query<Record<string, number>>(
    `SELECT ${['Identity', 'Workload', 'RbacBinding', 'RbacRole', 'Credential', 'Namespace'].map(live).join(', ')},
       (SELECT count(*)::int FROM "Finding" f WHERE f."clusterId" = c.id AND f.status = 'open') AS findings,
       (SELECT count(*)::int FROM "RiskScore" r WHERE r."clusterId" = c.id) AS "riskScores"
     FROM "Cluster" c WHERE c.name = $1`,
    [name],
  );
  return res.rows[0] ?? {};
}

const identityStored = async (clusterName: string, name: string) =>
  (
    await pool.query(
      `SELECT 1 FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId"
       WHERE c.name = $1 AND i.kind = 'ServiceAccount' AND i.namespace = $2 AND i.name = $3 AND i."deletedAt" IS NULL`,
      [clusterName, ns, name],
    )
  ).rowCount === 1;

const cursorOf = async (clusterName: string) =>
  (
    await pool.query<{ sessionId: string; lastSeq: number; objects: number }>(
      `SELECT p."sessionId", p."lastSeq", p.objects FROM "PushCursor" p JOIN "Cluster" c ON c.id = p."clusterId"
       WHERE c.name = $1 AND p.current`,
      [clusterName],
    )
  ).rows[0];

beforeAll(async () => {
  cluster = await ensureCluster();
  await seedCluster(cluster);
  db = await createTestDatabase(inject('serverUrl'), 'push');
  // The route handler's pool (lib/db/pool.ts) opens on this database.
  process.env.DATABASE_URL = db.url;
  pool = openStore(db.url);
  ({ POST } = (await import('@/app/api/push/inventory/route')) as unknown as { POST: Post });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nhi-push-it-'));
  for (const name of ['push-a', 'push-b']) {
    tokens[name] = await createIngestToken(pool, await clusterIdNamed(pool, name), 'agent');
    writeFileSync(path.join(tmp, `${name}.token`), `${tokens[name]}\n`, { mode: 0o600 });
  }
  await front.open();
  await KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster)).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
}, 600_000);

afterAll(async () => {
  await KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster))
    .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    .catch(() => {});
  await front.close();
  await pool?.end();
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await db?.drop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describeWithCorpus('agent mode: two clusters pushing at once', () => {
  it('brings both clusters complete, changes within seconds, through an outage and a busy lock, each batch once', async () => {
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const controller = new AbortController();
    const logs: string[] = [];
    let agentA: PushAgent | undefined;
    const spoolA = path.join(tmp, 'spool-a');
    const started = Date.now();
    // Agent A: the live watcher, as `nhi collect --watch --push URL --token-file F --cluster push-a` runs it.
    const watching = pushWatch(target!, {
      url: front.url,
      tokenFile: path.join(tmp, 'push-a.token'),
      cluster: 'push-a',
      spoolDir: spoolA,
      signal: controller.signal,
      log: (line) => logs.push(line),
      debounceMs: 200,
      tlsCertificates: true,
      onAgent: (a) => (agentA = a),
    });
    // Agent B at the same time: the demo dump, pushed by an agent of its own with the other cluster's token.
    const dump = await readDumps([demoDataFile], { tlsCertificates: true });
    const spoolB = await Spool.open(path.join(tmp, 'spool-b'));
    const agentB = new PushAgent({
      url: pushUrlOf(front.url),
      token: () => tokens['push-b']!,
      spool: spoolB,
      cluster: 'push-b',
      agent: { version: 'test', host: 'agent-b', source: 'kubeconfig', server: null, context: null },
      minBackoffMs: 100,
      maxBackoffMs: 1000,
    });
    const sendingB = agentB.run();
    try {
      await agentB.save(dump.snapshot, dump.notes);
      await eventually('both snapshots applied', async () => (await cursorOf('push-a')) && (await cursorOf('push-b')), 120_000);
      const snapshotSeconds = (Date.now() - started) / 1000;
      await eventually('agent B drained', () => agentB.waiting === 0, 30_000);

      // Both complete: the same inventory as a direct import of the dump, and as a direct collection of the cluster.
      await importDumps(pool, [demoDataFile], { clusterName: 'direct-b', tlsCertificates: true });
      expect(await counts('push-b')).toEqual(await counts('direct-b'));
      expect((await counts('push-b')).Identity).toBeGreaterThan(10);
      // The live cluster is shared with other tests: compare until a direct collection and the push agree.
      await eventually(
        'push-a equal to a direct collection',
        async () => {
          await collectOnce(pool, { ...target!, name: 'direct-a' }, undefined, { tlsCertificates: true });
          const [pushed, direct] = [await counts('push-a'), await counts('direct-a')];
          return JSON.stringify(pushed) === JSON.stringify(direct) ? pushed : undefined;
        },
        60_000,
      );
      expect((await counts('push-a')).Identity).toBeGreaterThan(50);
      const runs = await pool.query<{ name: string; mode: string; phase: string }>(
        `SELECT c.name, r.mode, r.phase::text AS phase FROM "CollectionRun" r JOIN "Cluster" c ON c.id = r."clusterId"
         WHERE c.name LIKE 'push-%' ORDER BY r."startedAt"`,
      );
      expect(
        runs.rows
          .filter((r) => r.mode === 'push')
          .map((r) => `${r.name}:${r.phase}`)
          .sort(),
      ).toEqual(['push-a:succeeded', 'push-b:succeeded']);
      // Agent A's snapshot: its session's batches up to the first complete one, as acknowledged.
      const ofA = seen.filter((s) => s.status === 200 && s.batch?.session === agentA!.session);
      const lastPart = ofA.find((s) => s.batch!.complete)!.batch!.seq;
      const first = ofA.filter((s) => s.batch!.seq <= lastPart && s.answer.status === 'applied');
      const objectsA = (await cursorOf('push-a'))!.objects;

      // A change reaches the server within seconds.
      const t0 = Date.now();
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pushed-live', namespace: ns } });
      await eventually('the new ServiceAccount on the server', () => identityStored('push-a', 'pushed-live'), 15_000);
      const latencyMs = Date.now() - t0;
      expect(latencyMs).toBeLessThan(10_000);

      // Another replica applying a batch of the same cluster (the advisory lock held): the agent retries after 503.
      const holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      const clusterA = await clusterIdNamed(pool, 'push-a');
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`nhi-push:${clusterA}`]);
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'while-locked', namespace: ns } });
      await eventually('a 503 while locked', () => seen.some((s) => s.status === 503), 15_000);
      expect(await identityStored('push-a', 'while-locked')).toBe(false);
      await holder.query('COMMIT');
      await holder.end();
      await eventually('the change after the lock', () => identityStored('push-a', 'while-locked'), 15_000);

      // The server goes down for a while: changes meanwhile wait in the spool and arrive once it is back.
      await front.close();
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'during-outage', namespace: ns } });
      await api.delete({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pushed-live', namespace: ns } });
      await eventually('batches waiting in the spool', () => readdirSync(spoolA).some((f) => f.endsWith('.batch.gz')), 15_000);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await identityStored('push-a', 'during-outage')).toBe(false);
      const spooled = readdirSync(spoolA).filter((f) => f.endsWith('.batch.gz')).length;
      await front.open();
      const back = Date.now();
      await eventually(
        'the outage changes',
        async () => (await identityStored('push-a', 'during-outage')) && !(await identityStored('push-a', 'pushed-live')),
        30_000,
      );
      const recoveryMs = Date.now() - back;
      expect(logs.some((l) => /not reachable/.test(l))).toBe(true);

      // The agents stop (what is pending is sent first): nothing else writes the pushed clusters from here on.
      controller.abort();
      await watching;
      agentB.stop(0);
      await sendingB;

      // A replayed batch is acknowledged and not applied again: no new save (sync time), run, timeline entry or cursor move.
      const applied = seen.filter(
        (s) => s.status === 200 && s.batch?.cluster === 'push-a' && s.batch.upserts.length > 0 && !s.batch.reset,
      );
      const replay = applied.at(-1)!;
      const syncState = async () =>
        (
          await pool.query(
            `SELECT c."lastSyncAt", (SELECT count(*) FROM "CollectionRun" r WHERE r."clusterId" = c.id) AS runs,
               (SELECT count(*) FROM "TimelineEvent" t WHERE t."clusterId" = c.id) AS timeline
             FROM "Cluster" c WHERE c.name = 'push-a'`,
          )
        ).rows;
      const before = await syncState();
      const cursorBefore = await cursorOf('push-a');
      const res = await fetch(pushUrlOf(front.url), {
        method: 'POST',
        // The same request: its token, encoding and body (the transport's own headers are the client's).
        headers: Object.fromEntries(['authorization', 'content-type', 'content-encoding'].map((h) => [h, replay.headers[h]!])),
        body: new Uint8Array(replay.raw),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'duplicate', seq: replay.batch!.seq });
      expect(await syncState()).toEqual(before);
      expect(await cursorOf('push-a')).toEqual(cursorBefore);

      // A gap is refused with the sequence number expected.
      const cursor = (await cursorOf('push-b'))!;
      const gap = { ...replay.batch!, cluster: 'push-b', session: cursor.sessionId, seq: cursor.lastSeq + 5 };
      const gapRes = await post(JSON.stringify(gap), tokens['push-b']!);
      expect(gapRes.status).toBe(409);
      expect(await gapRes.json()).toMatchObject({ code: 'PUSH_GAP', expected: cursor.lastSeq + 1 });

      // A wrong token is 401; A's token cannot write B; a body that is not a batch is 400.
      const bCounts = await counts('push-b');
      const toB = {
        ...replay.batch!,
        cluster: 'push-b',
        session: '00000000-0000-4000-8000-000000000001',
        seq: 1,
        reset: true,
        deletes: [],
      };
      expect((await post(JSON.stringify(toB), 'nhi_ingest_not-a-real-token-at-all')).status).toBe(401);
      expect((await post(JSON.stringify(toB), null)).status).toBe(401);
      const wrong = await post(JSON.stringify(toB), tokens['push-a']!);
      expect(wrong.status).toBe(403);
      expect(await wrong.json()).toMatchObject({ code: 'PUSH_WRONG_CLUSTER' });
      expect((await post('{"protocol":1}', tokens['push-b']!, false)).status).toBe(400);
      expect((await post(Buffer.from('not gzip'), tokens['push-b']!, false)).status).toBe(400);
      expect(await counts('push-b')).toEqual(bCounts);

      // No planted Secret value reached the server's tables (PushObject included).
      const text = (await pool.query<{ j: string }>(`SELECT object::text AS j FROM "PushObject"`)).rows
        .map((r) => r.j)
        .join('\n');
      for (const needle of canaryNeedles(cluster)) expect(text).not.toContain(needle);

      const ofB = seen.filter((s) => s.answer.status === 'applied' && s.batch?.cluster === 'push-b' && s.batch.reset);
      const describe = (reqs: Seen[]) =>
        `${reqs.reduce((n, s) => n + s.bytes, 0)} gzip bytes (${reqs.reduce((n, s) => n + gunzipSync(s.raw).length, 0)} of JSON) ` +
        `in ${reqs.length} request(s), saved in ${reqs.reduce((n, s) => n + (s.answer.saved?.seconds ?? 0), 0).toFixed(2)} s`;
      console.log(
        `push: snapshots of both clusters applied ${snapshotSeconds.toFixed(1)} s after the agents started; ` +
          `cluster A ${objectsA} objects: ${describe(first)}; cluster B (demo) ${(await cursorOf('push-b'))!.objects} objects: ${describe(ofB)}; ` +
          `change→server ${latencyMs} ms; ` +
          `${spooled} batch(es) spooled during the outage, delivered ${recoveryMs} ms after the server came back`,
      );
    } finally {
      controller.abort();
      await watching;
      agentB.stop(0);
      await sendingB;
      spoolB.close();
    }
    // Every batch was applied once: no (session, sequence number) was answered `applied` twice.
    const applied = seen.filter((s) => s.answer.status === 'applied').map((s) => `${s.batch!.session}/${s.batch!.seq}`);
    expect(applied.length).toBeGreaterThan(4);
    expect(new Set(applied).size).toBe(applied.length);
  }, 300_000);
});
