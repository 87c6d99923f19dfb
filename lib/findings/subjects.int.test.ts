/**
 * The two ways to the posture rules' subjects give the same findings: the demo dataset imported into the database
 * (lib/findings/store.ts reads the stored inventory and reach) and the same objects turned into subjects without a
 * database (lib/findings/subjects.ts). Database only (no cluster).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { fixedClock } from '@/lib/clock';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { demoDataFile } from '@/lib/demo/load';
import { findingsFromObjects } from './subjects';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'subjects');
  pool = openStore(db.url);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

it('the demo dataset gives the same posture findings from the database as from its objects', async () => {
  await importDumps(pool, [demoDataFile], {
    clusterName: 'demo',
    source: 'demo',
    now: fixedClock(new Date('2026-12-01T00:00:00Z')),
  });
  const byKey = (a: { ruleId: string; subjectKey: string }, b: { ruleId: string; subjectKey: string }) => {
    const x = `${a.ruleId} ${a.subjectKey}`;
    const y = `${b.ruleId} ${b.subjectKey}`;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const stored = (
    await pool.query<{ ruleId: string; subjectKey: string; severity: string; explanation: string }>(
      `SELECT "ruleId", "subjectKey", severity::text AS severity, explanation FROM "Finding"
       WHERE "ruleId" LIKE 'NHI-POS-%' AND "ruleId" <> 'NHI-POS-003' AND status = 'open'`,
    )
  ).rows.sort(byKey);
  const list = JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as { items: unknown[] };
  const pure = findingsFromObjects(list.items, { wholeCluster: true, clusterName: 'demo' })
    .filter((f) => f.ruleId !== 'NHI-POS-003')
    .sort(byKey);
  expect(stored.length).toBeGreaterThan(100);
  expect(stored.map((r) => `${r.ruleId} ${r.subjectKey} ${r.severity}`)).toEqual(
    pure.map((f) => `${f.ruleId} ${f.subjectKey} ${f.severity}`),
  );
  // The same words too, except where a list's order comes from the database's collation.
  const differing = stored.filter((r, i) => r.explanation !== pure[i]!.explanation);
  expect(differing.length).toBeLessThan(stored.length / 20);
});
