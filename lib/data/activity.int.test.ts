/**
 * Runtime activity as the identity and workload pages, their API routes and `nhi activity` show it, on the
 * real PostgreSQL: calls counted once per request whatever stages were logged, denied calls, Falco alerts
 * joined through the pod to the workload and its identity, the window on event time, the per-day lines of
 * the timeline, and one event's detail with its attribution.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { repoRoot } from '@/lib/paths';
import { parseRuntimeText } from '@/lib/runtime/parse';
import { storeEvents } from '@/lib/runtime/store';
import { activityOf, identityScope, workloadScope, type ActivityScope } from './activity';
import { getRuntimeEvent } from './events';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let clusterId: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-activity-test-'));

const API_POD = 'api-7d9f8c6b5-x2k9p';
const WORKER_POD = 'api-worker-5c8d7f9b4-q8w7e';

function audit(
  id: string,
  at: string,
  over: { sa?: string; pod?: string | null; verb?: string; resource?: string; ns?: string; code?: number; stage?: string },
) {
  const sa = over.sa ?? 'api';
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: id,
    stage: over.stage ?? 'ResponseComplete',
    requestURI: `/api/v1/${over.resource ?? 'pods'}`,
    verb: over.verb ?? 'list',
    user: {
      username: `system:serviceaccount:shop:${sa}`,
      groups: ['system:serviceaccounts'],
      extra:
        over.pod === null
          ? {}
          : {
              'authentication.kubernetes.io/pod-name': [over.pod ?? API_POD],
              'authentication.kubernetes.io/node-name': ['node-1'],
            },
    },
    sourceIPs: [over.pod === null ? '203.0.113.9' : '10.0.0.7'],
    userAgent: over.pod === null ? 'kubectl/v1.35.0' : 'api/1.0',
    objectRef: { resource: over.resource ?? 'pods', ...(over.ns ? { namespace: over.ns } : {}), apiVersion: 'v1' },
    ...(over.stage === 'RequestReceived' ? {} : { responseStatus: { code: over.code ?? 200 } }),
    requestReceivedTimestamp: at,
    stageTimestamp: at,
  };
}

const falco = {
  output: '10:00:00 Notice A shell was spawned in a container',
  priority: 'Notice',
  rule: 'Terminal shell in container',
  time: '2026-11-20T10:30:00.000000000Z',
  output_fields: { 'k8s.ns.name': 'shop', 'k8s.pod.name': API_POD, 'proc.cmdline': 'sh' },
};

const events = [
  audit('e1', '2026-11-20T10:00:00Z', { verb: 'get', resource: 'secrets', ns: 'shop', stage: 'RequestReceived' }),
  audit('e1', '2026-11-20T10:00:00.2Z', { verb: 'get', resource: 'secrets', ns: 'shop' }),
  audit('e2', '2026-11-20T10:01:00Z', {}),
  audit('e3', '2026-11-20T10:02:00Z', { verb: 'create', resource: 'pods', ns: 'kube-system', code: 403 }),
  audit('e4', '2026-11-19T09:00:00Z', { pod: WORKER_POD, resource: 'configmaps', ns: 'shop' }),
  audit('e5', '2026-11-20T11:00:00Z', { sa: 'cart', pod: null, verb: 'get', resource: 'configmaps', ns: 'shop' }),
  audit('e6', '2026-11-10T08:00:00Z', { resource: 'nodes' }),
  falco,
];

const deployment = (name: string, sa: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop', uid: `u-${name}` },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { serviceAccountName: sa, containers: [{ name, image: `${name}:1` }] },
    },
  },
});

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'activity');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  const dump = path.join(dir, 'shop.json');
  writeFileSync(
    dump,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'u-ns' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'shop', uid: 'u-sa-api' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'cart', namespace: 'shop', uid: 'u-sa-cart' } },
        deployment('api', 'api'),
        deployment('api-worker', 'api'),
        deployment('cart', 'cart'),
      ],
    }),
  );
  await importDumps(pool, [dump], { clusterName: 'shop' });
  clusterId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = 'shop'`)).rows[0]!.id;
  const parsed = parseRuntimeText(events.map((e) => JSON.stringify(e)).join('\n'));
  expect(parsed.rejected).toEqual([]);
  await storeEvents(pool, clusterId, parsed.events);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const idOf = async (table: 'Identity' | 'Workload', name: string) =>
  (await pool.query<{ id: string }>(`SELECT id FROM "${table}" WHERE namespace = 'shop' AND name = $1`, [name])).rows[0]!.id;
const scopeOf = async (kind: 'identity' | 'workload', name: string): Promise<ActivityScope> =>
  (kind === 'identity'
    ? await identityScope(prisma, await idOf('Identity', name))
    : await workloadScope(prisma, await idOf('Workload', name)))!;

describe('runtime activity', () => {
  it("counts an identity's calls once per request, its denied calls and its pods' Falco alerts, over a window ending at its last event", async () => {
    const a = await activityOf(prisma, await scopeOf('identity', 'api'), { days: 7 });
    expect(a.window).toEqual({ since: '2026-11-13T10:30:00.000Z', until: '2026-11-20T10:30:00.000Z' });
    expect([a.calls, a.denied, a.alerts]).toEqual([4, 1, 1]);
    expect(a.actions.map((x) => [x.verb, x.resource, x.namespace, x.calls, x.denied])).toEqual([
      ['create', 'pods', 'kube-system', 1, 1],
      ['get', 'secrets', 'shop', 1, 0],
      ['list', 'configmaps', 'shop', 1, 0],
      ['list', 'pods', '', 1, 0],
    ]);
    expect(a.sources.pods.map((p) => [p.value, p.count])).toEqual([
      [API_POD, 4],
      [WORKER_POD, 1],
    ]);
    // Calls and alerts are counted, not each logged stage: e1's two stages are one.
    expect(a.sources.addresses.map((p) => [p.value, p.count])).toEqual([['10.0.0.7', 4]]);
    expect(a.daily.map((d) => [d.at.slice(0, 10), d.calls, d.denied, d.alerts])).toEqual([
      ['2026-11-20', 3, 1, 1],
      ['2026-11-19', 1, 0, 0],
    ]);
    expect(a.bucket).toBe('day');
    expect(a.deniedRecent.map((e) => e.key)).toEqual(['audit:e3:ResponseComplete']);
    expect(a.alertsRecent.map((e) => [e.rule, e.pod])).toEqual([['Terminal shell in container', API_POD]]);
    expect(a.recent[0]!.source).toBe('falco');
    // One line per request: e1's two stages show as its newest.
    expect(a.recent.map((e) => e.key)).toEqual([
      a.alertsRecent[0]!.key,
      'audit:e3:ResponseComplete',
      'audit:e2:ResponseComplete',
      'audit:e1:ResponseComplete',
      'audit:e4:ResponseComplete',
    ]);

    const month = await activityOf(prisma, await scopeOf('identity', 'api'), { days: 30 });
    expect(month.calls).toBe(5);
  });

  it("gives a workload its own pods' calls; pod-less calls only when it alone runs as the account", async () => {
    const api = await activityOf(prisma, await scopeOf('workload', 'api'), { days: 7 });
    expect([api.calls, api.denied, api.alerts]).toEqual([3, 1, 1]);
    const worker = await activityOf(prisma, await scopeOf('workload', 'api-worker'), { days: 7 });
    expect([worker.calls, worker.alerts]).toEqual([1, 0]);
    const cart = await activityOf(prisma, await scopeOf('workload', 'cart'), { days: 1 });
    expect([cart.calls, cart.bucket]).toEqual([1, 'hour']);
    expect(cart.sources.userAgents.map((u) => u.value)).toEqual(['kubectl/v1.35.0']);
  });

  it('says so when a scope has no event', async () => {
    await pool.query(`DELETE FROM "RuntimeEvent" WHERE "saName" = 'cart'`);
    const cart = await activityOf(prisma, await scopeOf('identity', 'cart'), { days: 7 });
    expect(cart.window).toBeNull();
    expect(cart.calls).toBe(0);
  });

  it("shows one event's detail with its identity, workload and the request's other stages", async () => {
    const e = await getRuntimeEvent(prisma, clusterId, 'audit:e1:ResponseComplete');
    expect(e?.identity?.name).toBe('api');
    expect(e?.workload?.name).toBe('api');
    expect(e?.otherStages.map((s) => s.key)).toEqual(['audit:e1:RequestReceived']);
    // With its time (as the pages link it: events are keyed by cluster, time and key), or a time that is not
    // its own (a hint only), the same event.
    for (const at of [e!.at, '2020-01-01T00:00:00.000Z', 'yesterday'])
      expect(await getRuntimeEvent(prisma, clusterId, 'audit:e1:ResponseComplete', at)).toEqual(e);
    const stage = await getRuntimeEvent(prisma, clusterId, e!.otherStages[0]!.key, e!.otherStages[0]!.at);
    expect(stage?.otherStages.map((s) => s.key)).toEqual(['audit:e1:ResponseComplete']);
    expect(await getRuntimeEvent(prisma, clusterId, 'audit:nope:ResponseComplete', e!.at)).toBeNull();
    const alert = (await activityOf(prisma, await scopeOf('identity', 'api'), { days: 7 })).alertsRecent[0]!;
    const f = await getRuntimeEvent(prisma, clusterId, alert.key);
    expect(f?.workload?.name).toBe('api');
    expect(f?.identity).toBeNull();
    expect(await getRuntimeEvent(prisma, clusterId, 'audit:nope:ResponseComplete')).toBeNull();
    expect(await getRuntimeEvent(prisma, clusterId, "x' OR 1=1")).toBeNull();
    expect(await getRuntimeEvent(prisma, 'not-a-uuid', 'audit:e1:ResponseComplete')).toBeNull();
  });

  it('is what `nhi activity --json` prints, and the command checks its options', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'nhi.mjs'), 'activity', ...args], {
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
      });
    const ok = run('--workload', 'shop/Deployment/api', '--cluster', 'shop', '--json');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ calls: 3, denied: 1, alerts: 1 });
    const both = run('--identity', 'shop/api', '--workload', 'shop/Deployment/api');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('either --identity');
    const bad = run('--identity', 'shop/api', '--days', '500');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--days');
    const missing = run('--identity', 'shop/nobody', '--cluster', 'shop');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('no ServiceAccount shop/nobody');
  });
});
