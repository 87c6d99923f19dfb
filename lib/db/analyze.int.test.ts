/** analyzeIfStale on real PostgreSQL: a table changed in bulk is analysed at once, and only then. */
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { analyzeIfStale } from './analyze';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'analyze');
  // One connection, so that its pending statistics can be flushed before they are read.
  pool = new pg.Pool({ connectionString: db.url, max: 1 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

it('analyses a table changed beyond autovacuum’s threshold, and leaves it alone afterwards', async () => {
  const cluster = await pool.query<{ id: string }>(
    `INSERT INTO "Cluster" (id, name, source) VALUES (gen_random_uuid(), 'c', 'import') RETURNING id`,
  );
  await pool.query(
    `INSERT INTO "Namespace" (id, "clusterId", name) SELECT gen_random_uuid(), $1, 'ns-' || g FROM generate_series(1, 500) g`,
    [cluster.rows[0]!.id],
  );
  await pool.query('SELECT pg_stat_force_next_flush()');
  // Statistics reach the shared counters at the flush; wait until they show.
  for (let i = 0; i < 50; i++) {
    const r = await pool.query<{ n: string }>(
      `SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables WHERE relname = 'Namespace'`,
    );
    if (Number(r.rows[0]?.n ?? 0) >= 500) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  expect(await analyzeIfStale(pool, ['Namespace', 'Identity'])).toEqual(['Namespace']);
  const after = await pool.query<{ analysed: boolean }>(
    `SELECT last_analyze IS NOT NULL AS analysed FROM pg_stat_user_tables WHERE relname = 'Namespace'`,
  );
  expect(after.rows[0]!.analysed).toBe(true);
  expect(await analyzeIfStale(pool, ['Namespace', 'Identity'])).toEqual([]);
});
