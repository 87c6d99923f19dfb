/**
 * Reading many rows in constant memory: a server-side cursor (pg-query-stream) inside a read-only snapshot
 * (REPEATABLE READ), so that every row of one file, and every figure of one report, comes from the same
 * moment, whatever is written meanwhile.
 */
import type pg from 'pg';
import QueryStream from 'pg-query-stream';

/** Runs `fn` on one client in a read-only REPEATABLE READ transaction; the snapshot's time is `snapshotAt`. */
export async function withSnapshot<T>(pool: pg.Pool, fn: (client: pg.PoolClient, snapshotAt: Date) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failed = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const at = await client.query<{ at: string }>(
      `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`,
    );
    const out = await fn(client, new Date(at.rows[0]!.at));
    await client.query('COMMIT');
    return out;
  } catch (e) {
    failed = true;
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release(failed);
  }
}

/** The rows of a query through a cursor, `batchSize` at a time (the consumer may stop early). */
export async function* cursorRows<T>(
  client: pg.ClientBase,
  sql: string,
  params: unknown[] = [],
  batchSize = 500,
): AsyncGenerator<T> {
  const stream = client.query(new QueryStream(sql, params, { batchSize }));
  for await (const row of stream) yield row as T;
}

/** A query's rows in their own snapshot on a client of the pool, released when the consumer is done. */
export async function* streamRows<T>(pool: pg.Pool, sql: string, params: unknown[] = [], batchSize = 500): AsyncGenerator<T> {
  const client = await pool.connect();
  let done = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Every row will be read: plan for the whole result, not for the first rows (the cursor default).
    await client.query('SET LOCAL cursor_tuple_fraction = 1');
    yield* cursorRows<T>(client, sql, params, batchSize);
    await client.query('COMMIT');
    done = true;
  } finally {
    if (!done) await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}
