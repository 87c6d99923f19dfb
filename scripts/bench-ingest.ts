/**
 * The ingestion benchmark: audit events per second from a JSON-lines audit log into PostgreSQL, with
 * attribution (ServiceAccount, pod, node, credential id) on, and the ingester's peak memory. A benchmark,
 * not a test: it prints figures and ends with the line
 *
 *   ingest: <N> events/s, peak <MB> MB, <M> events
 *
 * It writes a generated audit log (default 300,000 events: ServiceAccounts with pod-bound tokens listing,
 * getting and watching across 50 namespaces) to a temporary file, creates a fresh database on the test
 * server (DATABASE_URL's server, else the embedded one), runs one `ingestFiles` in a child process with
 * the collector's bounded heap (so the peak RSS is the ingester's alone), then drops the database.
 *
 * Usage: node --import tsx scripts/bench-ingest.ts [--events N]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';
import { collectorHeapFlag, ingestHeapFlags } from '@/lib/collect/heap';
import { repoRoot } from '@/lib/paths';
import { createRng } from '@/lib/rng';

const { values } = parseArgs({ options: { events: { type: 'string', default: '300000' } } });
const count = Number(values.events);
if (!Number.isInteger(count) || count < 1) throw new Error(`--events must be a positive whole number, got ${values.events}`);

/** One audit event as the API server writes it at Metadata level. */
function event(i: number, rng: ReturnType<typeof createRng>): string {
  const ns = `team-${rng.int(50)}`;
  const sa = `app-${rng.int(400)}`;
  const verb = rng.pick(['get', 'list', 'watch', 'update', 'create']);
  const resource = rng.pick(['pods', 'configmaps', 'secrets', 'leases', 'events']);
  const t = new Date(Date.UTC(2026, 10, 29, 0, 0, 0) + i * 7).toISOString();
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${ns}/${resource}`,
    verb,
    user: {
      username: `system:serviceaccount:${ns}:${sa}`,
      uid: `uid-${sa}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/credential-id': [`JTI=${rng.int(5000)}`],
        'authentication.kubernetes.io/node-name': [`node-${rng.int(20)}`],
        'authentication.kubernetes.io/pod-name': [`${sa}-${rng.int(3)}`],
        'authentication.kubernetes.io/pod-uid': [`pod-uid-${rng.int(1200)}`],
      },
    },
    sourceIPs: [`10.0.${rng.int(20)}.${rng.int(250)}`],
    userAgent: 'app/1.0 (linux/amd64) kubernetes/go-client',
    objectRef: { resource, namespace: ns, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: rng.int(20) === 0 ? 403 : 200 },
    requestReceivedTimestamp: t,
    stageTimestamp: t,
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-bench-ingest-'));
const file = path.join(dir, 'audit.log');
const server = await testServer();
const db = await createTestDatabase(server.url, 'benchingest');
try {
  const rng = createRng(20261129, { discard: 0 });
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++)
    if (!out.write(`${event(i, rng)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve) => out.end(resolve));
  process.stderr.write(`generated ${count} audit events in ${file}\n`);

  const child = spawn(
    process.execPath,
    [
      collectorHeapFlag(),
      ...ingestHeapFlags(['ingest']),
      '--import',
      'tsx',
      path.join('scripts', 'bench', 'ingest-once.ts'),
      file,
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, NHI_BENCH_DATABASE_URL: db.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`ingest-once exited with ${code}`);
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    events: number;
    inserted: number;
    seconds: number;
    maxRssKiB: number;
  };
  const rate = Math.round(r.events / r.seconds);
  const peak = Math.round(r.maxRssKiB / 1024);
  process.stdout.write(`events ${r.events}, stored ${r.inserted}, ${r.seconds.toFixed(1)} s\n`);
  process.stdout.write(`ingest: ${rate} events/s, peak ${peak} MB, ${r.events} events\n`);
} finally {
  await db.drop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
