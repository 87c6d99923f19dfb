import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { fixedClock } from '@/lib/clock';
import { importDumps } from './collect';
import { openStore } from './store';

// Database only: no cluster needed (NHI_SKIP_CLUSTER=1 runs it alone).
let db: TestDatabase;
let pool: pg.Pool;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-clock-test-'));
beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'clock');
  pool = openStore(db.url);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const sa = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'team', uid: `uid-${name}` },
});
const binding = (subjects: string[]) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'readers', namespace: 'team', uid: 'uid-readers' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: subjects.map((name) => ({ kind: 'ServiceAccount', name, namespace: 'team' })),
});
function dump(name: string, items: object[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return file;
}

/** A timestamp column as the ISO string of its UTC wall-clock value (the columns have no time zone). */
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

describe('the injected clock', () => {
  it('decides every time an import stores: the run, the sync, first/last seen, deletions and timeline events', async () => {
    const t1 = '2030-01-02T03:04:05.678Z';
    const t2 = '2030-02-03T04:05:06.789Z';
    const first = await importDumps(pool, [dump('first.json', [sa('kept'), sa('dropped'), binding(['kept'])])], {
      clusterName: 'clocked',
      now: fixedClock(t1),
    });
    expect(first.seconds).toBe(0);
    const second = await importDumps(pool, [dump('second.json', [sa('kept'), sa('added'), binding(['kept', 'added'])])], {
      clusterName: 'clocked',
      now: fixedClock(t2),
    });
    expect(second.seconds).toBe(0);
    expect(second.changes).toBeGreaterThan(0);

    const one = async (sql: string) => (await pool.query(sql)).rows;
    expect(await one(`SELECT ${iso('"lastSyncAt"')} AS at FROM "Cluster" WHERE name = 'clocked'`)).toEqual([{ at: t2 }]);
    expect(
      await one(
        `SELECT ${iso('"startedAt"')} AS started, ${iso('"finishedAt"')} AS finished FROM "CollectionRun" ORDER BY "startedAt"`,
      ),
    ).toEqual([
      { started: t1, finished: t1 },
      { started: t2, finished: t2 },
    ]);
    expect(
      await one(
        `SELECT name, ${iso('"firstSeenAt"')} AS first, ${iso('"lastSeenAt"')} AS last, ${iso('"deletedAt"')} AS deleted
         FROM "Identity" WHERE kind = 'ServiceAccount' ORDER BY name`,
      ),
    ).toEqual([
      { name: 'added', first: t2, last: t2, deleted: null },
      { name: 'dropped', first: t1, last: t1, deleted: t2 },
      { name: 'kept', first: t1, last: t2, deleted: null },
    ]);
    const events = await one(`SELECT kind, ${iso('at')} AS at FROM "TimelineEvent" ORDER BY kind`);
    expect(events.map((e) => e.kind)).toEqual(['binding.added', 'sa.created', 'sa.deleted']);
    expect(events.every((e) => e.at === t2)).toBe(true);
  });
});

describe('stored times do not depend on the time zone of the process', () => {
  it('writes and reads timestamp columns as UTC, as the Prisma read layer does', async () => {
    const { createPrisma } = await import('@/lib/db/client');
    const at = '2031-05-06T07:08:09.123Z';
    // A zone far from UTC for this process: pg would otherwise write Date parameters in local time.
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      await importDumps(pool, [dump('tz.json', [sa('zoned')])], { clusterName: 'zoned', now: fixedClock(at) });
      const raw = await pool.query<{ lastSyncAt: Date; startedAt: Date }>(
        `SELECT c."lastSyncAt", r."startedAt" FROM "Cluster" c JOIN "CollectionRun" r ON r."clusterId" = c.id WHERE c.name = 'zoned'`,
      );
      expect(raw.rows[0]?.lastSyncAt.toISOString()).toBe(at);
      expect(raw.rows[0]?.startedAt.toISOString()).toBe(at);
      const prisma = createPrisma(db.url);
      try {
        const cluster = await prisma.cluster.findUniqueOrThrow({ where: { name: 'zoned' } });
        expect(cluster.lastSyncAt?.toISOString()).toBe(at);
        const identity = await prisma.identity.findFirstOrThrow({ where: { clusterId: cluster.id, name: 'zoned' } });
        expect(identity.firstSeenAt.toISOString()).toBe(at);
      } finally {
        await prisma.$disconnect();
      }
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});
