/**
 * Runtime ingestion into the real PostgreSQL (no cluster): replays store nothing twice, malformed items
 * are rejected by place and reason while every valid one is kept, tokens never reach the database,
 * events are attributed to an identity once the inventory knows it, and old days are dropped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { ensureCluster, openStore } from '@/lib/collect/store';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { corpusPath } from '@/lib/corpus';
import { listEvents } from '@/lib/data/events';
import { createPrisma } from '@/lib/db/client';
import { ingestFiles } from './ingest';
import { parseRuntimeText } from './parse';
import { dropExpiredPartitions, partitionName, storeEvents } from './store';

let db: TestDatabase;
let pool: pg.Pool;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-ingest-test-'));
beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'ingest');
  pool = openStore(db.url);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const count = async (clusterId: string) =>
  Number(
    (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "RuntimeEvent" WHERE "clusterId" = $1`, [clusterId])).rows[0]!.n,
  );

function auditEvent(i: number, over: Record<string, unknown> = {}) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `a-${i}`,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/pods',
    verb: 'list',
    user: {
      username: 'system:serviceaccount:shop:cart',
      groups: ['system:serviceaccounts', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/pod-name': ['cart-1'], 'authentication.kubernetes.io/credential-id': ['JTI=abc'] },
    },
    sourceIPs: ['10.1.2.3'],
    userAgent: 'cart/1.0',
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { code: 200 },
    requestReceivedTimestamp: `2026-11-2${i % 3}T10:00:00.000000Z`,
    stageTimestamp: `2026-11-2${i % 3}T10:00:00.500000Z`,
    ...over,
  };
}

describeWithCorpus('ingesting the public runtime corpus', () => {
  it('stores every valid event once, however often the files are replayed, and rejects the broken ones with reasons', async () => {
    const clusterId = await ensureCluster(pool, 'corpus', 'import', null, null);
    const first = await ingestFiles(pool, clusterId, [corpusPath('runtime')]);
    expect(first.events).toBeGreaterThan(100);
    expect(first.inserted).toBeGreaterThan(100);
    expect(first.rejected.some((r) => r.item.includes('fal_01_003.json') && r.reason.length > 0)).toBe(true);
    const stored = await count(clusterId);
    for (let i = 0; i < 2; i++) {
      const again = await ingestFiles(pool, clusterId, [corpusPath('runtime')]);
      expect(again).toMatchObject({
        events: first.events,
        inserted: 0,
        duplicates: first.events,
        rejectedCount: first.rejectedCount,
      });
    }
    expect(await count(clusterId)).toBe(stored);
  });
});

describe('ingesting audit logs', () => {
  it('stores an event whose text escapes a NUL or a lone surrogate, cleaned, beside the valid ones (file and webhook paths)', async () => {
    const clusterId = await ensureCluster(pool, 'unstorable', 'import', null, null);
    const lines = [
      JSON.stringify(auditEvent(7001, { userAgent: 'bad\u0000agent' })),
      JSON.stringify(auditEvent(7002)).replace('"cart/1.0"', '"half \\ud83d of an emoji"'),
      JSON.stringify(auditEvent(7003, { requestURI: `/api/${'😀'.repeat(2000)}` })),
      JSON.stringify(auditEvent(7004)),
    ];
    const file = path.join(dir, 'unstorable.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await ingestFiles(pool, clusterId, [file]);
    expect(result).toMatchObject({ events: 4, inserted: 4, rejectedCount: 0 });
    const agents = await pool.query<{ a: string }>(
      `SELECT "userAgent" AS a FROM "RuntimeEvent" WHERE "clusterId" = $1 ORDER BY key`,
      [clusterId],
    );
    expect(agents.rows.map((r) => r.a)).toEqual(['badagent', 'half \ufffd of an emoji', 'cart/1.0', 'cart/1.0']);
    const webhook = parseRuntimeText(lines.join('\n').replaceAll('"a-70', '"b-70'));
    expect(await storeEvents(pool, clusterId, webhook.events)).toEqual({ inserted: 4, duplicates: 0 });
  });

  it('keeps every valid event of a batch full of junk, and never crashes (fuzzed)', async () => {
    const clusterId = await ensureCluster(pool, 'fuzz', 'import', null, null);
    let expected = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
          { maxLength: 20 },
        ),
        async (junk) => {
          const valid = [auditEvent(n++), auditEvent(n++)];
          expected += valid.length;
          const file = path.join(dir, `fuzz-${n}.log`);
          const lines = [...junk.map((j) => j.replace(/\n/g, ' ')), ...valid.map((v) => JSON.stringify(v))];
          writeFileSync(file, lines.join('\n'));
          const r = await ingestFiles(pool, clusterId, [file]);
          expect(r.inserted).toBeGreaterThanOrEqual(valid.length);
        },
      ),
      { numRuns: 40, seed: 42 },
    );
    expect(await count(clusterId)).toBeGreaterThanOrEqual(expected);
  });

  it('drops the token of a TokenRequest response and keeps the ledger facts', async () => {
    const clusterId = await ensureCluster(pool, 'tokens', 'import', null, null);
    const token = 'eyJhbGciOiJSUzI1NiJ9.nhi-ingest-test-token-7f3a.signature';
    const file = path.join(dir, 'token.log');
    writeFileSync(
      file,
      JSON.stringify(
        auditEvent(900, {
          level: 'RequestResponse',
          verb: 'create',
          requestURI: '/api/v1/namespaces/shop/serviceaccounts/cart/token',
          objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'cart', apiVersion: 'v1' },
          requestObject: { kind: 'TokenRequest', spec: { audiences: ['vault'], expirationSeconds: 600 } },
          responseObject: { kind: 'TokenRequest', status: { token, expirationTimestamp: '2026-11-20T10:10:00Z' } },
          annotations: { 'authentication.kubernetes.io/issued-credential-id': 'JTI=issued-1' },
        }),
      ),
    );
    const r = await ingestFiles(pool, clusterId, [file]);
    expect(r.inserted).toBe(1);
    const rows = await pool.query<{ t: string }>(
      `SELECT row_to_json(e)::text AS t FROM "RuntimeEvent" e WHERE "clusterId" = $1`,
      [clusterId],
    );
    expect(rows.rows[0]!.t).toContain('JTI=issued-1');
    expect(rows.rows[0]!.t).not.toContain('nhi-ingest-test-token');
  });

  it('attributes events to an identity once the inventory knows it, and lists them newest first', async () => {
    const clusterId = await ensureCluster(pool, 'shop', 'import', null, null);
    const file = path.join(dir, 'shop.log');
    writeFileSync(file, [0, 1, 2].map((i) => JSON.stringify(auditEvent(100 + i))).join('\n'));
    await ingestFiles(pool, clusterId, [file]);
    const prisma = createPrisma(db.url);
    try {
      const before = await listEvents(prisma, { cluster: 'shop', identity: 'shop/cart', limit: 10 });
      expect(before.total).toBe(3);
      expect(before.items.map((e) => e.identityId)).toEqual([null, null, null]);
      expect(before.items[0]).toMatchObject({
        serviceAccount: 'shop/cart',
        pod: 'cart-1',
        credentialId: 'JTI=abc',
        sourceIp: '10.1.2.3',
      });
      expect(before.items.map((e) => e.at)).toEqual([...before.items.map((e) => e.at)].sort().reverse());
      // The ServiceAccount is collected afterwards: its earlier events are now its own.
      const dump = path.join(dir, 'shop.json');
      writeFileSync(
        dump,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'cart', namespace: 'shop', uid: 'u-cart' } }],
        }),
      );
      await importDumps(pool, [dump], { clusterName: 'shop' });
      const after = await listEvents(prisma, { cluster: 'shop', identity: 'shop/cart', limit: 10 });
      const { id } = (await pool.query<{ id: string }>(`SELECT id FROM "Identity" WHERE namespace = 'shop' AND name = 'cart'`))
        .rows[0]!;
      expect(after.items.map((e) => e.identityId)).toEqual([id, id, id]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('stores concurrent batches that each need a new day partition', async () => {
    const clusterId = await ensureCluster(pool, 'concurrent', 'import', null, null);
    const batches = Array.from({ length: 8 }, (_, b) => {
      const day = `2026-10-${String(b + 1).padStart(2, '0')}`;
      return parseRuntimeText(
        JSON.stringify(
          auditEvent(2000 + b, { requestReceivedTimestamp: `${day}T10:00:00Z`, stageTimestamp: `${day}T10:00:01Z` }),
        ),
      ).events;
    });
    const stored = await Promise.all(batches.map((events) => storeEvents(pool, clusterId, events)));
    expect(stored.map((s) => s.inserted)).toEqual(Array(8).fill(1));
    expect(await count(clusterId)).toBe(8);
  });

  it('keeps events in day partitions and drops the days past retention', async () => {
    const parts = async () =>
      (
        await pool.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '"RuntimeEvent"'::regclass ORDER BY 1`,
        )
      ).rows.map((r) => r.name);
    expect(await parts()).toEqual(
      expect.arrayContaining([partitionName('2026-11-20'), partitionName('2026-11-21'), partitionName('2026-11-22')]),
    );
    const dropped = await dropExpiredPartitions(pool, 8, new Date('2026-11-29T12:00:00Z'));
    // Everything before 2026-11-21 (the corpus holds events from years ago too), nothing after.
    expect(dropped).toContain(partitionName('2026-11-20'));
    expect(dropped.every((name) => name < partitionName('2026-11-21'))).toBe(true);
    expect(await parts()).not.toContain(partitionName('2026-11-20'));
    expect(await parts()).toContain(partitionName('2026-11-21'));
  });
});
