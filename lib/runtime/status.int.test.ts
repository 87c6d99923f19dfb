/**
 * Ingestion status on the real PostgreSQL (no cluster): recorded batches and stored events give exact
 * numbers (last event, rates, rejected items, duplicates, gaps, verdicts), old batches are deleted as new
 * ones come, a webhook POST records its batch, a failing record does not fail the POST, and an
 * `nhi ingest` run records one batch.
 */
import { bearerOf } from '@/lib/auth/test-principal';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { runNhi } from '@/lib/cli/run-nhi';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { ensureCluster, openStore } from '@/lib/collect/store';
import { ingestionStatus } from '@/lib/data/ingestion';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { ingestRequest } from './http';
import { parseRuntimeText } from './parse';
import { recordIngestBatch, type IngestBatchRecord } from './status';
import { storeEvents } from './store';
import { authenticateIngest, createIngestToken } from './tokens';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-status-test-'));
beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'status');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function auditEvent(at: string, over: Record<string, unknown> = {}) {
  n++;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `s-${n}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/pods',
    verb: 'list',
    user: { username: 'system:serviceaccount:shop:cart', groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.1.2.3'],
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    ...over,
  };
}

async function storeAt(clusterId: string, times: string[]) {
  const { events, rejected } = parseRuntimeText(times.map((t) => JSON.stringify(auditEvent(t))).join('\n'));
  expect(rejected).toEqual([]);
  return storeEvents(pool, clusterId, events);
}

const batch = (over: Partial<IngestBatchRecord> & { receivedAt: Date }): IngestBatchRecord => ({
  channel: 'webhook',
  source: 'audit',
  events: 0,
  inserted: 0,
  duplicates: 0,
  rejected: 0,
  rejectedSample: [],
  firstEventAt: null,
  lastEventAt: null,
  ...over,
});

const batchRows = async (clusterId: string) =>
  (
    await pool.query<{
      receivedAt: Date;
      channel: string;
      source: string;
      events: number;
      inserted: number;
      duplicates: number;
      rejected: number;
      rejectedSample: { item: string; reason: string }[];
      firstEventAt: Date | null;
      lastEventAt: Date | null;
    }>(
      `SELECT "receivedAt", channel, source, events, inserted, duplicates, rejected, "rejectedSample", "firstEventAt", "lastEventAt"
       FROM "IngestBatch" WHERE "clusterId" = $1 ORDER BY "receivedAt"`,
      [clusterId],
    )
  ).rows;

const now = new Date('2026-11-29T12:00:00Z');

describe('the ingestion status', () => {
  it('gives the exact last event, rates, rejected items, duplicates and gaps of a cluster', async () => {
    const clusterId = await ensureCluster(pool, 'status-a', 'import', null, null);
    await storeAt(clusterId, [
      '2026-11-27T08:00:00Z', // before the window: the last event would be this without the others, not counted
      '2026-11-29T09:00:10Z',
      '2026-11-29T09:00:40Z',
      '2026-11-29T09:01:00Z',
      // 28 empty minutes (09:02–09:29): a gap
      '2026-11-29T09:30:00Z',
      // 4 empty minutes: not a gap
      '2026-11-29T09:35:00Z',
      // 134 empty minutes (09:36–11:49): a gap
      '2026-11-29T11:50:00Z',
      '2026-11-29T11:52:30Z',
      '2026-11-29T11:59:00Z',
    ]);
    await recordIngestBatch(pool, clusterId, batch({ receivedAt: new Date('2026-10-01T00:00:00Z'), events: 99 })); // past retention
    await recordIngestBatch(pool, clusterId, batch({ receivedAt: new Date('2026-11-20T00:00:00Z'), events: 50, rejected: 7 }));
    expect((await batchRows(clusterId)).map((b) => b.events)).toEqual([50]); // the October one went when this one came
    await recordIngestBatch(
      pool,
      clusterId,
      batch({
        receivedAt: new Date('2026-11-28T20:00:00Z'),
        events: 2,
        inserted: 2,
        rejected: 2,
        rejectedSample: [
          { item: 'line 1', reason: 'not JSON (at position 3)' },
          { item: 'line 2', reason: 'not an audit event or a Falco alert' },
        ],
      }),
    );
    await recordIngestBatch(
      pool,
      clusterId,
      batch({
        receivedAt: new Date('2026-11-29T11:30:00Z'),
        events: 8,
        inserted: 8,
        rejected: 1,
        rejectedSample: [{ item: 'items[8]', reason: 'an audit event without auditID' }],
        firstEventAt: '2026-11-29T09:00:10.000Z',
        lastEventAt: '2026-11-29T11:29:00.000Z',
      }),
    );
    await recordIngestBatch(pool, clusterId, batch({ receivedAt: new Date('2026-11-29T11:55:00Z'), events: 3, duplicates: 3 }));
    // A batch "received" after now is not part of the status read at now.
    await recordIngestBatch(pool, clusterId, batch({ receivedAt: new Date('2026-11-29T12:30:00Z'), events: 1000 }));

    const status = await ingestionStatus(prisma, { now, cluster: 'status-a' });
    expect(status).toMatchObject({ now: '2026-11-29T12:00:00.000Z', gapMinutes: 10, rejectingPercent: 10 });
    expect(status.clusters).toHaveLength(1);
    const c = status.clusters[0]!;
    expect(c).toEqual({
      clusterId,
      cluster: 'status-a',
      verdict: 'receiving',
      reason: 'last event 1 min ago; 0.2 events/min over the last 15 minutes',
      lastEventAt: '2026-11-29T11:59:00.000Z',
      lastBatch: {
        receivedAt: '2026-11-29T11:55:00.000Z',
        channel: 'webhook',
        source: 'audit',
        events: 3,
        inserted: 0,
        duplicates: 3,
        rejected: 0,
      },
      rate: { events15m: 3, perMinute15m: 3 / 15, events24h: 8, perMinute24h: 8 / 1440 },
      last24h: { batches: 3, events: 13, inserted: 10, duplicates: 3, rejected: 3 },
      lastHour: { events: 11, rejected: 1 },
      latestRejections: [
        { receivedAt: '2026-11-29T11:30:00.000Z', item: 'items[8]', reason: 'an audit event without auditID' },
        { receivedAt: '2026-11-28T20:00:00.000Z', item: 'line 1', reason: 'not JSON (at position 3)' },
        { receivedAt: '2026-11-28T20:00:00.000Z', item: 'line 2', reason: 'not an audit event or a Falco alert' },
      ],
      gaps: [
        { from: '2026-11-29T09:02:00.000Z', to: '2026-11-29T09:30:00.000Z', minutes: 28 },
        { from: '2026-11-29T09:36:00.000Z', to: '2026-11-29T11:50:00.000Z', minutes: 134 },
      ],
      silentNow: null,
      webhook: { tokens: 0, lastUsedAt: null },
    });

    // The threshold is configurable: 30 minutes leaves the long gap only; later, the cluster is silent.
    const wider = await ingestionStatus(prisma, { now, cluster: 'status-a', gapMinutes: 30 });
    expect(wider.clusters[0]!.gaps.map((g) => g.minutes)).toEqual([134]);
    const later = await ingestionStatus(prisma, { now: new Date('2026-11-29T12:20:00Z'), cluster: 'status-a' });
    expect(later.clusters[0]).toMatchObject({
      verdict: 'silent',
      reason: 'the last event is 21 min old; no webhook has posted, events came only from files (nhi ingest)',
      rate: { events15m: 0, events24h: 8 },
      // No webhook token: silence is not "silent now" (nothing was expected to keep coming).
      silentNow: null,
    });
  });

  it('says silent now when a used webhook has gone quiet, never for a cluster without events, and refuses an unknown cluster', async () => {
    const quiet = await ensureCluster(pool, 'status-quiet', 'import', null, null);
    const token = await createIngestToken(pool, quiet, 'audit-webhook');
    await authenticateIngest(pool, `Bearer ${token}`, new Date('2026-11-29T10:00:05Z'));
    await storeAt(quiet, ['2026-11-29T09:59:00Z', '2026-11-29T10:00:00Z']);
    const empty = await ensureCluster(pool, 'status-empty', 'import', null, null);
    await createIngestToken(pool, empty, 'audit-webhook');

    const status = await ingestionStatus(prisma, { now });
    expect(status.clusters.map((c) => [c.cluster, c.verdict])).toEqual([
      ['status-a', 'receiving'],
      ['status-empty', 'never'],
      ['status-quiet', 'silent'],
    ]);
    const q = status.clusters.find((c) => c.cluster === 'status-quiet')!;
    expect(q).toMatchObject({
      reason:
        'no event for 2 h (more than 10 min) although the webhook has been sending; it last posted at 2026-11-29 10:00:05 UTC',
      silentNow: { since: '2026-11-29T10:00:00.000Z', minutes: 120 },
      webhook: { tokens: 1, lastUsedAt: '2026-11-29T10:00:05.000Z' },
      gaps: [],
      lastBatch: null,
    });
    expect(status.clusters.find((c) => c.cluster === 'status-empty')).toMatchObject({
      verdict: 'never',
      reason: expect.stringContaining('an ingest token exists but nothing has been posted with it yet'),
      lastEventAt: null,
      rate: { events15m: 0, perMinute15m: 0, events24h: 0, perMinute24h: 0 },
    });
    await expect(ingestionStatus(prisma, { now, cluster: 'no-such' })).rejects.toMatchObject({ code: 'CLUSTER_UNKNOWN' });
  });
});

describe('recording batches', () => {
  const post = (token: string, body: unknown) =>
    new Request('http://127.0.0.1/api/ingest/audit', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('records each webhook POST, with its duplicates and rejected items, and the status says rejecting', async () => {
    const clusterId = await ensureCluster(pool, 'status-hook', 'import', null, null);
    const token = await createIngestToken(pool, clusterId, 'audit-webhook');
    const list = {
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: [auditEvent('2026-11-29T11:58:00Z'), auditEvent('2026-11-29T11:58:30.250Z'), { kind: 'Pod', secret: 'hunter2' }],
    };
    const first = await ingestRequest(pool, post(token, list), 'audit', new Date('2026-11-29T11:58:31Z'));
    expect(first).toMatchObject({ accepted: 2, stored: 2, duplicates: 0 });
    expect(first.rejected).toHaveLength(1);
    const again = await ingestRequest(pool, post(token, list), 'audit', new Date('2026-11-29T11:58:40Z'));
    expect(again).toMatchObject({ accepted: 2, stored: 0, duplicates: 2 });

    const rows = await batchRows(clusterId);
    expect(rows).toEqual([
      {
        receivedAt: new Date('2026-11-29T11:58:31Z'),
        channel: 'webhook',
        source: 'audit',
        events: 2,
        inserted: 2,
        duplicates: 0,
        rejected: 1,
        rejectedSample: first.rejected,
        firstEventAt: new Date('2026-11-29T11:58:00Z'),
        lastEventAt: new Date('2026-11-29T11:58:30.250Z'),
      },
      expect.objectContaining({
        receivedAt: new Date('2026-11-29T11:58:40Z'),
        events: 2,
        inserted: 0,
        duplicates: 2,
        rejected: 1,
      }),
    ]);
    expect(first.rejected[0]!.item).toBe('items[2]');
    expect(JSON.stringify(rows)).not.toContain('hunter2');

    const [c] = (await ingestionStatus(prisma, { now, cluster: 'status-hook' })).clusters;
    expect(c).toMatchObject({
      verdict: 'rejecting',
      reason: `2 of 6 items received in the last hour were rejected (33%, more than 10%); the latest reason: items[2]: ${first.rejected[0]!.reason}`,
      lastEventAt: '2026-11-29T11:58:30.250Z',
      last24h: { batches: 2, events: 4, inserted: 2, duplicates: 2, rejected: 2 },
      rate: { events15m: 2, events24h: 2 },
      silentNow: null,
    });
    // Tolerated with a higher threshold.
    const tolerant = await ingestionStatus(prisma, { now, cluster: 'status-hook', rejectingPercent: 50 });
    expect(tolerant.clusters[0]!.verdict).toBe('receiving');
  });

  it('does not fail a POST whose batch cannot be recorded: the events are stored and the failure logged', async () => {
    const clusterId = await ensureCluster(pool, 'status-broken', 'import', null, null);
    const token = await createIngestToken(pool, clusterId, 'audit-webhook');
    // The same pool, except that writing an IngestBatch fails (as a missing table or a full disk would).
    const failing = new Proxy(pool, {
      get(target, prop) {
        if (prop === 'query')
          return (sql: unknown, ...rest: unknown[]) =>
            typeof sql === 'string' && sql.includes('INSERT INTO "IngestBatch"')
              ? Promise.reject(new Error('relation "IngestBatch" does not exist'))
              : (target.query as (...a: unknown[]) => unknown)(sql, ...rest);
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await ingestRequest(failing, post(token, auditEvent('2026-11-29T11:59:00Z')), 'audit', now);
      expect(res).toEqual({ accepted: 1, stored: 1, duplicates: 0, rejected: [] });
      expect(logged).toHaveBeenCalledTimes(1);
      expect(String(logged.mock.calls[0]![0])).toContain(`the batch of cluster ${clusterId} was stored but not recorded`);
    } finally {
      logged.mockRestore();
    }
    expect(await batchRows(clusterId)).toEqual([]);
    const stored = await pool.query(`SELECT 1 FROM "RuntimeEvent" WHERE "clusterId" = $1`, [clusterId]);
    expect(stored.rowCount).toBe(1);
  });

  it('records one batch per `nhi ingest` run, and `nhi ingest-status` reads it', () => {
    const file = path.join(dir, 'audit.log');
    writeFileSync(
      file,
      [JSON.stringify(auditEvent('2026-11-29T11:00:00Z')), '{"broken', JSON.stringify(auditEvent('2026-11-29T11:00:01Z'))].join(
        '\n',
      ),
    );
    const nhi = (...args: string[]) => runNhi(db.url, ...args);
    const ingested = nhi('ingest', file, '--cluster', 'status-file', '--json');
    expect(ingested.status).toBe(2); // a rejected line
    expect(JSON.parse(ingested.stdout)).toMatchObject({ events: 2, inserted: 2, rejectedCount: 1 });
    const shown = nhi('ingest-status', '--cluster', 'status-file', '--json');
    expect(shown.stderr).toBe('');
    expect(shown.status).toBe(0);
    const [c] = (JSON.parse(shown.stdout) as Awaited<ReturnType<typeof ingestionStatus>>).clusters;
    expect(c).toMatchObject({
      cluster: 'status-file',
      lastEventAt: '2026-11-29T11:00:01.000Z',
      lastBatch: { channel: 'file', source: 'mixed', events: 2, inserted: 2, duplicates: 0, rejected: 1 },
      last24h: { batches: 1, events: 2, rejected: 1 },
    });
    expect(c!.latestRejections).toEqual([expect.objectContaining({ item: `${file}: line 2` })]);
    const text = nhi('ingest-status', '--cluster', 'status-file');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^status-file\t(silent|rejecting|receiving)\t/);
    expect(text.stdout).toContain(`rejected ${file}: line 2`);
  });

  it('answers GET /api/ingest/status read-only, and refuses a malformed query', async () => {
    process.env.DATABASE_URL = db.url;
    const { GET } = await import('@/app/api/ingest/status/route');
    const headers = await bearerOf(db.url);
    expect((await GET(new Request('http://127.0.0.1/api/ingest/status'))).status).toBe(401);
    const before = await pool.query(`SELECT count(*)::int AS n FROM "IngestBatch"`);
    const ok = await GET(new Request('http://127.0.0.1/api/ingest/status?cluster=status-hook&gapMinutes=15', { headers }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const body = (await ok.json()) as Awaited<ReturnType<typeof ingestionStatus>>;
    expect(body.gapMinutes).toBe(15);
    expect(body.clusters.map((c) => c.cluster)).toEqual(['status-hook']);
    for (const q of ['gapMinutes=0', 'gapMinutes=abc', 'rejectingPercent=101', 'cluster=']) {
      const bad = await GET(new Request(`http://127.0.0.1/api/ingest/status?${q}`, { headers }));
      expect(bad.status, q).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'INVALID_INPUT' });
    }
    const unknown = await GET(new Request('http://127.0.0.1/api/ingest/status?cluster=no-such', { headers }));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: 'CLUSTER_UNKNOWN' });
    expect((await pool.query(`SELECT count(*)::int AS n FROM "IngestBatch"`)).rows).toEqual(before.rows);
  });
});
