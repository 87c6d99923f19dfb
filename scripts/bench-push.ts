/**
 * The agent mode at scale: the generated benchmark cluster (scripts/bench/cluster-gen.ts, about 130,000 objects at
 * full size) pushed by a PushAgent to the real route handler (POST /api/push/inventory) behind a local HTTP server,
 * on a fresh database of the test PostgreSQL server; then one change. A benchmark, not a test: it prints figures and
 * ends with the line
 *
 *   push: snapshot <s> s (<parts> parts, <MB> MB gzip), change <ms> ms, <N> objects
 *
 * Usage: node --import tsx scripts/bench-push.ts [--scale D]   (D divides every count; default 1)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';
import { readDumps } from '@/lib/collect/import';
import { PushAgent, pushUrlOf } from '@/lib/collect/push-agent';
import { Spool } from '@/lib/collect/spool';
import { clusterIdNamed, openStore } from '@/lib/collect/store';
import { createIngestToken } from '@/lib/runtime/tokens';
import { benchClusterAsList, FULL_SCALE, generateBenchCluster, scaledDown } from './bench/cluster-gen';

const log = (line: string) => process.stderr.write(`${line}\n`);
const i = process.argv.indexOf('--scale');
const scale = i < 0 ? 1 : Number(process.argv[i + 1]);
if (!(scale >= 1)) throw new Error('--scale needs a number ≥ 1');

const server = await testServer();
const db = await createTestDatabase(server.url, 'benchpush');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nhi-bench-push-'));
process.env.DATABASE_URL = db.url;
const pool = openStore(db.url);
let front: http.Server | undefined;
try {
  const file = path.join(tmp, 'cluster.json');
  writeFileSync(file, JSON.stringify(benchClusterAsList(generateBenchCluster(scale === 1 ? FULL_SCALE : scaledDown(scale)))));
  const dump = await readDumps([file]);
  const objects = Object.values(dump.snapshot).reduce((n, v) => n + (v as unknown[]).length, 0);
  log(`bench-push: ${objects} objects generated`);
  const token = await createIngestToken(pool, await clusterIdNamed(pool, 'bench-push'), 'agent');
  const { POST } = (await import('@/app/api/push/inventory/route')) as unknown as { POST: (r: Request) => Promise<Response> };
  let bytes = 0;
  let requests = 0;
  const served = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bytes += body.length;
      requests += 1;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      void POST(new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers, body })).then(async (r) => {
        const text = await r.text();
        if (!r.ok) log(`bench-push: ${r.status} ${text.slice(0, 200)}`);
        res.writeHead(r.status, Object.fromEntries(r.headers)).end(text);
      });
    });
  });
  front = served;
  await new Promise<void>((resolve) => served.listen(0, '127.0.0.1', resolve));
  const spool = await Spool.open(path.join(tmp, 'spool'));
  const agent = new PushAgent({
    url: pushUrlOf(`http://127.0.0.1:${(served.address() as AddressInfo).port}`),
    token: () => token,
    spool,
    agent: { version: 'bench', host: 'bench', source: 'kubeconfig', server: null, context: null },
    log,
  });
  const running = agent.run();
  const t0 = Date.now();
  const queued = await agent.save(dump.snapshot, dump.notes);
  const queueMs = Date.now() - t0;
  while (agent.waiting) await new Promise((r) => setTimeout(r, 100));
  const snapshotS = (Date.now() - t0) / 1000;
  const parts = requests;
  const snapshotBytes = bytes;
  log(`bench-push: ${queued} in ${queueMs} ms; acknowledged after ${snapshotS.toFixed(1)} s`);

  // One change: a new ServiceAccount.
  const changed = structuredClone(dump.snapshot);
  changed.serviceAccounts.push({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'bench-push-new', namespace: changed.serviceAccounts[0]!.metadata.namespace, resourceVersion: '1' },
  });
  const t1 = Date.now();
  await agent.save(changed, dump.notes);
  while (agent.waiting) await new Promise((r) => setTimeout(r, 20));
  const changeMs = Date.now() - t1;
  const stored = await pool.query(`SELECT 1 FROM "Identity" WHERE name = 'bench-push-new' AND "deletedAt" IS NULL`);
  if (stored.rowCount !== 1) throw new Error('the change did not arrive');
  agent.stop(0);
  await running;
  spool.close();
  process.stdout.write(
    `push: snapshot ${snapshotS.toFixed(1)} s (${parts} parts, ${(snapshotBytes / 1048576).toFixed(1)} MB gzip), change ${changeMs} ms, ${objects} objects\n`,
  );
} finally {
  front?.close();
  await pool.end();
  await (globalThis as { nhiPool?: { end(): Promise<void> } }).nhiPool?.end();
  await db.drop();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
