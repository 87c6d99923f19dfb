/**
 * The admission webhook's latency. A benchmark, not a test: it prints figures and ends with the line
 *
 *   admission: p99 <ms> ms over <N> reviews
 *
 * It creates a fresh database on the test server (DATABASE_URL's server, else the embedded one), imports the bundled
 * demo cluster (lib/demo/data, recorded from the seeded test cluster: about 240 roles and 200 bindings, the webhook's
 * context), makes the cluster's ingest token, and serves the real route (app/api/admission/[cluster]/route.ts)
 * behind TLS as the API server reaches it (e2e/cluster/webhook-sink.ts). Then it sends `--reviews` AdmissionReviews
 * (default 2000) over HTTPS with the token, `--concurrency` at a time (default 1): CREATEs of the demo cluster's own
 * ServiceAccounts, roles, bindings and pod controllers, one in five an UPDATE (the object judged twice, new findings
 * against old), and now and then a cluster-admin binding, in enforce mode; every decision is recorded as in
 * production. It prints p50, p95, p99 and max of the round trip, the decisions, and drops the database.
 *
 * `--apiserver` also measures through the real test API server (it restarts it once with the admission
 * credentials, and once more at the end to remove them; use `flock /tmp/nhi-cluster.lock` when the cluster is
 * shared): it registers the webhook for this run's objects only (an object selector) and creates `--objects`
 * ServiceAccounts (default 200), printing the webhook's own p99 as the API server called it and the create calls'
 * p99 with and without the webhook.
 *
 * Usage: node --import tsx scripts/bench-admission.ts [--reviews N] [--concurrency C] [--apiserver] [--objects M]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startWebhookSink } from '@/e2e/cluster/webhook-sink';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { demoDataFile } from '@/lib/demo/load';
import { createIngestToken } from '@/lib/runtime/tokens';
import { webhookConfiguration } from '@/lib/admission/config';
import { admissionReviewOf, clusterAdminBinding } from '@/lib/admission/fixtures';
import { ADMISSION_KINDS } from '@/lib/admission/review';

const { values } = parseArgs({
  options: {
    reviews: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '1' },
    apiserver: { type: 'boolean', default: false },
    objects: { type: 'string', default: '200' },
  },
});
const positive = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got ${v}`);
  return n;
};
const N = positive('reviews', values.reviews);
const C = positive('concurrency', values.concurrency);
const M = positive('objects', values.objects);
const CLUSTER = 'bench-admission';

type Obj = Record<string, unknown>;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0;
};
const ms = (x: number) => x.toFixed(1);
const stats = (xs: number[]) =>
  `p50 ${ms(quantile(xs, 0.5))} ms, p95 ${ms(quantile(xs, 0.95))} ms, p99 ${ms(quantile(xs, 0.99))} ms, max ${ms(Math.max(...xs))} ms`;

/** The reviews: the demo cluster's own objects of the judged kinds, as CREATEs, one in five an UPDATE. */
function reviewsOf(items: Obj[], count: number): string[] {
  const kinds = new Set<string>(ADMISSION_KINDS);
  const objects = items.filter((o) => kinds.has(String(o.kind)));
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    if (i % 50 === 49) {
      out.push(
        JSON.stringify(admissionReviewOf(clusterAdminBinding(`bench-${i}`, { namespace: 'payments', name: 'payments-api' }))),
      );
      continue;
    }
    const o = objects[i % objects.length]!;
    out.push(JSON.stringify(admissionReviewOf(o, i % 5 === 4 ? { operation: 'UPDATE', oldObject: o } : {})));
  }
  return out;
}

function postJson(agent: https.Agent, url: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const server = await testServer();
const db = await createTestDatabase(server.url, 'benchadmission');
const pool = openStore(db.url);
const tlsDir = mkdtempSync(path.join(tmpdir(), 'nhi-bench-admission-'));
process.env.DATABASE_URL = db.url;
process.env.NHI_ADMISSION_MODE = 'enforce';
let sink: Awaited<ReturnType<typeof startWebhookSink>> | undefined;
try {
  const imported = await importDumps(pool, [demoDataFile], { clusterName: CLUSTER });
  const items = (JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as { items: Obj[] }).items;
  const token = await createIngestToken(pool, imported.clusterId, 'bench');
  const { POST } = (await import('@/app/api/admission/[cluster]/route')) as unknown as {
    POST: (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response>;
  };
  const handled: number[] = [];
  sink = await startWebhookSink(
    async (request) => {
      const t0 = performance.now();
      const res = await POST(request, { params: Promise.resolve({ cluster: new URL(request.url).pathname.split('/').pop()! }) });
      handled.push(performance.now() - t0);
      return res;
    },
    tlsDir,
    `/api/admission/${CLUSTER}`,
  );
  const agent = new https.Agent({ keepAlive: true, ca: readFileSync(sink.caFile), maxSockets: C });
  const bodies = reviewsOf(items, N);
  const roles = items.filter((o) => String(o.kind).endsWith('Role')).length;
  const bindings = items.filter((o) => String(o.kind).endsWith('Binding')).length;
  process.stderr.write(
    `context: cluster ${CLUSTER} with ${roles} roles and ${bindings} bindings; ${N} reviews, ${C} at a time\n`,
  );

  // Warm-up (module loading, the context's first read, TLS): not counted.
  for (const body of bodies.slice(0, 20)) await postJson(agent, sink.url, token, body);
  handled.length = 0;
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t = performance.now();
        const res = await postJson(agent, sink!.url, token, body);
        latencies.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`the webhook answered ${res.status}: ${res.text.slice(0, 300)}`);
        const r = (JSON.parse(res.text) as { response: { allowed: boolean; warnings?: string[] } }).response;
        const key = r.allowed ? (r.warnings?.length ? 'allowed with warnings' : 'allowed') : 'denied';
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  const recorded = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "AdmissionDecision"`)).rows[0]!.n;
  console.log(`answers: ${[...outcomes].map(([k, v]) => `${v} ${k}`).join(', ')}; ${recorded} decisions recorded`);
  console.log(`throughput: ${(N / seconds).toFixed(0)} reviews/s at concurrency ${C}`);
  console.log(`handler (route, in process): ${stats(handled)}`);
  console.log(`round trip over TLS: ${stats(latencies)}`);

  if (values.apiserver) await throughApiServer(token, sink, handled);
  console.log(`admission: p99 ${ms(quantile(latencies, 0.99))} ms over ${N} reviews`);
} finally {
  sink?.close();
  await (globalThis as { nhiPool?: { end(): Promise<void> } }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: { $disconnect(): Promise<void> } }).nhiPrisma?.$disconnect();
  await pool.end();
  await db.drop();
  await server.stop();
  rmSync(tlsDir, { recursive: true, force: true });
}

/** Creates ServiceAccounts through the real API server with and without the webhook (see the module comment). */
async function throughApiServer(token: string, hookSink: NonNullable<typeof sink>, handled: number[]): Promise<void> {
  const { adminKubeConfig, ensureCluster, eventually } = await import('@/e2e/cluster/harness');
  const { AdmissionregistrationV1Api, CoreV1Api } = await import('@kubernetes/client-node');
  const id = randomBytes(4).toString('hex');
  const ns = `bench-adm-${id}`;
  const label = { 'nhi.dev/admission-bench': id };
  const name = `nhi-admission-bench-${id}`;
  const cluster = await ensureCluster({ admissionWebhook: { token } });
  const kc = adminKubeConfig(cluster);
  const core = kc.makeApiClient(CoreV1Api);
  const hooks = kc.makeApiClient(AdmissionregistrationV1Api);
  const create = async (n: string, labels: Record<string, string>) => {
    const t = performance.now();
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: n, namespace: ns, labels } } });
    return performance.now() - t;
  };
  try {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const without: number[] = [];
    for (let i = 0; i < M; i++) without.push(await create(`plain-${i}`, {}));
    const config = webhookConfiguration({
      url: hookSink.url,
      cluster: CLUSTER,
      mode: 'enforce',
      caPem: readFileSync(hookSink.caFile, 'utf8'),
      name,
      objectSelector: label,
    });
    await hooks.createValidatingWebhookConfiguration({ body: config as never });
    const before = handled.length;
    await eventually(
      'the webhook in force',
      async () => {
        await core.createNamespacedServiceAccount({
          namespace: ns,
          body: { metadata: { name: `probe-${randomBytes(3).toString('hex')}`, labels: label } },
          dryRun: 'All',
        });
        return handled.length > before ? true : undefined;
      },
      30_000,
    );
    handled.length = 0;
    const withHook: number[] = [];
    for (let i = 0; i < M; i++) withHook.push(await create(`judged-${i}`, label));
    console.log(`kube-apiserver create ServiceAccount without the webhook: ${stats(without)}`);
    console.log(`kube-apiserver create ServiceAccount with the webhook: ${stats(withHook)}`);
    console.log(
      `admission via kube-apiserver: webhook p99 ${ms(quantile(handled, 0.99))} ms (route) over ${handled.length} calls, ` +
        `create p99 ${ms(quantile(withHook, 0.99))} ms with the webhook, ${ms(quantile(without, 0.99))} ms without`,
    );
  } finally {
    await hooks.deleteValidatingWebhookConfiguration({ name }).catch(() => {});
    await core.deleteNamespace({ name: ns }).catch(() => {});
    await ensureCluster({ admissionWebhook: null });
  }
}
