/**
 * The activity benchmark: how long the identity page's runtime activity (lib/data/activity.ts, nine
 * aggregate queries) takes for a busy ServiceAccount. A benchmark, not a test: it prints figures and ends
 * with the line
 *
 *   activity: p50 <ms> ms, p95 <ms> ms for <N> events of one identity (<M> events stored)
 *
 * It creates a fresh database on the test server (DATABASE_URL's server, else the embedded one), stores
 * `--events` audit events of one ServiceAccount (three pods, 40 actions, 5% denied) spread over 7 days and
 * as many again of 2,000 other ServiceAccounts, then times `activityOf` for the busy one 20 times (7-day
 * window) and drops the database.
 *
 * Usage: node --import tsx scripts/bench-activity.ts [--events N]
 */
import { parseArgs } from 'node:util';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';
import { ensureCluster, openStore } from '@/lib/collect/store';
import { activityOf } from '@/lib/data/activity';
import { createPrisma } from '@/lib/db/client';
import { createRng } from '@/lib/rng';
import { blankEvent, type RuntimeEvent } from '@/lib/runtime/types';
import { storeEvents } from '@/lib/runtime/store';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const count = Number(values.events);
if (!Number.isInteger(count) || count < 1) throw new Error(`--events must be a positive whole number, got ${values.events}`);

const START = Date.UTC(2026, 10, 20);
const SPAN = 7 * 86_400_000;
const rng = createRng(20261130, { discard: 0 });

function event(i: number, busy: boolean): RuntimeEvent {
  const at = new Date(START + Math.floor((i / count) * SPAN)).toISOString();
  const sa = busy ? 'api' : `svc-${rng.int(2000)}`;
  const e = blankEvent('audit', `audit:${busy ? 'b' : 'o'}-${i}:ResponseComplete`, at);
  e.auditID = `${busy ? 'b' : 'o'}-${i}`;
  e.stage = 'ResponseComplete';
  e.verb = rng.pick(['get', 'list', 'watch', 'update', 'create']);
  e.resource = {
    group: '',
    resource: rng.pick(['pods', 'configmaps', 'secrets', 'leases', 'events', 'services', 'endpoints', 'nodes']),
    subresource: '',
    namespace: `ns-${rng.int(1)}`,
    name: '',
  };
  e.responseCode = rng.int(20) === 0 ? 403 : 200;
  e.user = { username: `system:serviceaccount:shop:${sa}`, groups: [], uid: '' };
  e.serviceAccount = { namespace: 'shop', name: sa };
  e.pod = { name: `${sa}-7d9f8c6b5-${['a1b2c', 'd3e4f', 'g5h6i'][rng.int(3)]}`, uid: '' };
  e.node = `node-${rng.int(10)}`;
  e.credentialId = `JTI=${sa}-${rng.int(20)}`;
  e.sourceIPs = [`10.0.${rng.int(4)}.${rng.int(250)}`];
  e.userAgent = 'api/1.0 (linux/amd64) kubernetes/go-client';
  return e;
}

const server = await testServer();
const db = await createTestDatabase(server.url, 'benchactivity');
const pool = openStore(db.url);
const prisma = createPrisma(db.url);
try {
  const clusterId = await ensureCluster(pool, 'bench', 'import', null, null);
  for (const busy of [true, false])
    for (let i = 0; i < count; i += 20_000)
      await storeEvents(
        pool,
        clusterId,
        Array.from({ length: Math.min(20_000, count - i) }, (_, j) => event(i + j, busy)),
      );
  await pool.query('ANALYZE "RuntimeEvent"');
  process.stderr.write(`stored ${2 * count} events\n`);
  const scope = {
    kind: 'identity' as const,
    clusterId,
    namespace: 'shop',
    name: 'api',
    workloads: [{ kind: 'Deployment', name: 'api' }],
  };
  const times: number[] = [];
  let calls = 0;
  for (let run = 0; run < 20; run++) {
    const t0 = performance.now();
    calls = (await activityOf(prisma, scope, { days: 7 })).calls;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => Math.round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!);
  process.stdout.write(`calls counted ${calls}\n`);
  process.stdout.write(
    `activity: p50 ${p(0.5)} ms, p95 ${p(0.95)} ms for ${count} events of one identity (${2 * count} events stored)\n`,
  );
} finally {
  await prisma.$disconnect();
  await pool.end();
  await db.drop();
  await server.stop();
}
