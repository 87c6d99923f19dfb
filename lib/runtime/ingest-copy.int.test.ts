/**
 * The COPY write path and the parse worker against the real PostgreSQL: rows identical to the former
 * UNNEST statement's, the worker and in-process parsing giving the same results, replays and overlapping
 * or concurrent ingestions storing each event once, and a day partition dropped under a running ingestion.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { ensureCluster, openStore } from '@/lib/collect/store';
import { detailJson, encodeRows } from './copy';
import { ingestFiles } from './ingest';
import { parseRuntimeValue } from './parse';
import { partitionName, storeEvents, storeRows } from './store';
import type { RuntimeEvent } from './types';

let db: TestDatabase;
let pool: pg.Pool;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-ingest-copy-test-'));
beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'ingestcopy');
  pool = openStore(db.url);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.nhi-ingest-copy-token-91c2.signature';

function auditEvent(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    auditID: `c-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/shop/pods?labelSelector=app%3Dcart&limit=${i}`,
    verb: 'list',
    user: {
      username: `system:serviceaccount:shop:sa-${i % 7}`,
      groups: ['system:serviceaccounts', 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/pod-name': [`cart-${i % 3}`],
        'authentication.kubernetes.io/credential-id': [`JTI=${i % 11}`],
      },
    },
    sourceIPs: ['10.1.2.3'],
    userAgent: 'cart/1.0',
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: i % 10 ? 200 : 403 },
    stageTimestamp: `2026-10-${String(10 + (i % 2)).padStart(2, '0')}T10:00:00.${String(i % 1000).padStart(3, '0')}123Z`,
    ...over,
  };
}

const rowsOf = async (clusterId: string) =>
  (
    await pool.query<Record<string, unknown>>(
      `SELECT at, key, source, verb, resource, namespace, name, "responseCode", username, "saNamespace", "saName",
              "podName", node, "credentialId", "issuedCredentialId", "sourceIp", "userAgent", event
       FROM "RuntimeEvent" WHERE "clusterId" = $1 ORDER BY key, at`,
      [clusterId],
    )
  ).rows;

/** The UNNEST statement store.ts used before COPY, as the reference for what a row holds. */
async function unnestInsert(clusterId: string, events: readonly RuntimeEvent[]): Promise<void> {
  const col = <T>(f: (e: RuntimeEvent) => T) => events.map(f);
  const resourceText = (e: RuntimeEvent) =>
    e.resource ? [e.resource.group, e.resource.resource, e.resource.subresource].filter(Boolean).join('/') || null : null;
  await pool.query(
    `INSERT INTO "RuntimeEvent" ("clusterId", at, key, source, verb, resource, namespace, name, "responseCode", username,
        "saNamespace", "saName", "podName", node, "credentialId", "issuedCredentialId", "sourceIp", "userAgent", event)
     SELECT $1::uuid, * FROM UNNEST($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
        $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
        $18::text[], $19::jsonb[])
     ON CONFLICT DO NOTHING`,
    [
      clusterId,
      col((e) => e.at),
      col((e) => e.key),
      col((e) => e.source),
      col((e) => e.verb),
      col(resourceText),
      col((e) => e.resource?.namespace ?? e.workload?.namespace ?? null),
      col((e) => e.resource?.name ?? e.workload?.pod ?? null),
      col((e) => e.responseCode),
      col((e) => e.user?.username ?? null),
      col((e) => e.serviceAccount?.namespace ?? null),
      col((e) => e.serviceAccount?.name ?? null),
      col((e) => e.pod?.name ?? e.workload?.pod ?? null),
      col((e) => e.node),
      col((e) => e.credentialId),
      col((e) => e.issuedCredentialId),
      col((e) => e.sourceIPs[0] ?? null),
      col((e) => e.userAgent || null),
      col(detailJson),
    ],
  );
}

function writeLines(name: string, lines: string[], eol = '\n'): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join(eol));
  return file;
}

describe('the COPY write path', () => {
  it('stores exactly the rows the UNNEST statement stored, whatever the text', async () => {
    const nasty = 'tab\there, line\nbreak, cr\r, backslash \\ and "\\N", quote \', emoji 🚀, ünïcödé, \u2028';
    const { events, rejected } = parseRuntimeValue([
      auditEvent(1),
      auditEvent(2, {
        userAgent: nasty,
        verb: nasty,
        user: { username: nasty, groups: [nasty], extra: { 'authentication.kubernetes.io/node-name': [nasty] } },
      }),
      auditEvent(3, {
        objectRef: { resource: 'deployments', subresource: 'scale', apiGroup: 'apps', name: nasty, namespace: 'shop' },
      }),
      auditEvent(4, { requestURI: `/${'x'.repeat(497)}🚀🚀`, annotations: { 'authorization.k8s.io/reason': nasty } }),
      auditEvent(5, { user: null, objectRef: null, responseStatus: null, sourceIPs: ['1.1.1.1', '2.2.2.2'], userAgent: '' }),
      {
        output: `shell ${nasty}`,
        priority: 'Critical',
        rule: 'Terminal shell',
        time: '2026-10-10T10:00:00.5Z',
        tags: [nasty],
        output_fields: { 'k8s.ns.name': 'shop', 'k8s.pod.name': nasty, 'proc.cmdline': nasty, 'evt.num': 7 },
      },
    ]);
    expect(rejected).toEqual([]);
    const viaCopy = await ensureCluster(pool, 'copy-rows', 'import', null, null);
    const viaUnnest = await ensureCluster(pool, 'unnest-rows', 'import', null, null);
    expect(await storeEvents(pool, viaCopy, events)).toEqual({ inserted: 6, duplicates: 0 });
    await unnestInsert(viaUnnest, events);
    const copied = await rowsOf(viaCopy);
    expect(copied).toHaveLength(6);
    expect(copied).toEqual(await rowsOf(viaUnnest));
    // Stored again: all duplicates (the direct COPY meets the primary key, the staging path skips them).
    expect(await storeEvents(pool, viaCopy, events)).toEqual({ inserted: 0, duplicates: 6 });
    // A batch with old and new events stores the new ones only.
    const more = parseRuntimeValue([auditEvent(1), auditEvent(6), auditEvent(6)]).events;
    expect(await storeEvents(pool, viaCopy, more)).toEqual({ inserted: 1, duplicates: 2 });
  });

  it('makes a day partition again when it was dropped after this ingestion ensured it', async () => {
    const clusterId = await ensureCluster(pool, 'dropped-day', 'import', null, null);
    const ensured = new Set<string>();
    const day = (i: number, d: string) =>
      encodeRows(clusterId, parseRuntimeValue(auditEvent(i, { stageTimestamp: `${d}T10:00:00Z` })).events);
    expect(await storeRows(pool, day(100, '2026-09-01'), { ensured })).toEqual({ inserted: 1, duplicates: 0 });
    expect(ensured.has('2026-09-01')).toBe(true);
    await pool.query(`DROP TABLE nhi_runtime."${partitionName('2026-09-01')}"`);
    expect(await storeRows(pool, day(101, '2026-09-01'), { ensured, synchronousCommit: false })).toEqual({
      inserted: 1,
      duplicates: 0,
    });
  });

  it("deletes a deleted cluster's events, and only its own (a trigger: there is no foreign key to Cluster)", async () => {
    const events = parseRuntimeValue([auditEvent(200), auditEvent(201)]).events;
    const gone = await ensureCluster(pool, 'deleted-cluster', 'import', null, null);
    const kept = await ensureCluster(pool, 'kept-cluster', 'import', null, null);
    for (const c of [gone, kept]) expect(await storeEvents(pool, c, events)).toEqual({ inserted: 2, duplicates: 0 });
    const count = async (c: string) =>
      (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "RuntimeEvent" WHERE "clusterId" = $1`, [c])).rows[0]!.n;
    await pool.query(`DELETE FROM "Cluster" WHERE id = $1`, [gone]);
    expect(await count(gone)).toBe(0);
    expect(await count(kept)).toBe(2);
  });
});

describe('ingesting with the parse worker', () => {
  // Three batches of 5,000 lines; malformed lines in each, one on a batch boundary.
  const lines = Array.from({ length: 12_500 }, (_, i) => JSON.stringify(auditEvent(i)));
  lines[2] = '{"kind":"Event","auditID":';
  lines[4999] = `{"broken": "${TOKEN}`;
  lines[5000] = JSON.stringify(auditEvent(5000, { stage: 'Sometime' }));
  lines[12_000] = JSON.stringify({ kind: 'AdmissionReview' });
  lines[7] = JSON.stringify(
    auditEvent(7, {
      level: 'RequestResponse',
      verb: 'create',
      objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'cart', apiVersion: 'v1' },
      requestObject: { kind: 'TokenRequest', spec: { audiences: ['vault'], expirationSeconds: 600 } },
      responseObject: { kind: 'TokenRequest', status: { token: TOKEN, expirationTimestamp: '2026-10-10T10:10:00Z' } },
      annotations: { 'authentication.kubernetes.io/issued-credential-id': 'JTI=issued-1' },
    }),
  );
  lines[8] = '';
  const valid = 12_500 - 5;

  it('rejects malformed lines with their file, line and reason, and keeps every valid event (as in-process parsing does)', async () => {
    const file = writeLines('worker.log', lines, '\r\n');
    const inThread = await ensureCluster(pool, 'worker', 'import', null, null);
    const inProcess = await ensureCluster(pool, 'in-process', 'import', null, null);
    const a = await ingestFiles(pool, inThread, [file], { parseIn: 'thread' });
    const b = await ingestFiles(pool, inProcess, [file], { parseIn: 'main' });
    expect({ ...a, seconds: 0 }).toEqual({ ...b, seconds: 0 });
    expect(a).toMatchObject({ files: 1, events: valid, inserted: valid, duplicates: 0, rejectedCount: 4 });
    expect(a.rejected.map((r) => r.item)).toEqual([
      `${file}: line 3`,
      `${file}: line 5000`,
      `${file}: line 5001`,
      `${file}: line 12001`,
    ]);
    expect(a.rejected[0]!.reason).toMatch(/^not JSON/);
    expect(a.rejected[2]!.reason).toMatch(/stage/);
    expect(a.rejected[3]!.reason).toMatch(/AdmissionReview/);
    expect(JSON.stringify(a.rejected)).not.toContain('nhi-ingest-copy-token');
    const stored = await rowsOf(inThread);
    expect(stored).toHaveLength(valid);
    expect(stored).toEqual(await rowsOf(inProcess));
    const text = JSON.stringify(stored);
    expect(text).toContain('JTI=issued-1');
    expect(text).not.toContain('nhi-ingest-copy-token');
  });

  it('stores nothing twice: replays, overlapping files and concurrent ingestions of the same file', async () => {
    const clusterId = await ensureCluster(pool, 'replays', 'import', null, null);
    const file = writeLines('replay.log', lines);
    const first = await ingestFiles(pool, clusterId, [file], { parseIn: 'thread' });
    expect(first).toMatchObject({ events: valid, inserted: valid, duplicates: 0 });
    const again = await ingestFiles(pool, clusterId, [file], { parseIn: 'thread' });
    expect(again).toMatchObject({ events: valid, inserted: 0, duplicates: valid });
    // The file grew: only the new lines are stored.
    const grown = writeLines('grown.log', [
      ...lines,
      ...Array.from({ length: 3000 }, (_, i) => JSON.stringify(auditEvent(20_000 + i))),
    ]);
    const third = await ingestFiles(pool, clusterId, [grown], { parseIn: 'thread' });
    expect(third).toMatchObject({ events: valid + 3000, inserted: 3000, duplicates: valid });
    // Two ingestions of one new file at once: each event stored once, whichever stores it.
    const fresh = writeLines(
      'fresh.log',
      Array.from({ length: 11_000 }, (_, i) => JSON.stringify(auditEvent(40_000 + i))),
    );
    const both = await Promise.all([
      ingestFiles(pool, clusterId, [fresh], { parseIn: 'thread' }),
      ingestFiles(pool, clusterId, [fresh], { parseIn: 'main' }),
    ]);
    expect(both[0].inserted + both[1].inserted).toBe(11_000);
    expect(both[0].inserted + both[0].duplicates).toBe(11_000);
    const count = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "RuntimeEvent" WHERE "clusterId" = $1`, [clusterId]);
    expect(Number(count.rows[0]!.n)).toBe(valid + 3000 + 11_000);
  });
});
