/**
 * The runtime event store: parsed events written in bulk (one COPY per batch, copy.ts encodes the rows),
 * into day partitions of "RuntimeEvent" made as events arrive (schema nhi_runtime), each event once per
 * cluster and key (a replay is counted as a duplicate), and old days dropped by retention.
 */
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { invalidInput } from '@/lib/errors';
import { COPY_COLUMN_LIST, encodeRows, type EncodedRows } from './copy';
import type { RuntimeEvent } from './types';

const DAY = 86_400_000;
const PARTITION_SCHEMA = 'nhi_runtime';

/** `RuntimeEvent_20261129` for the UTC day of `at`. */
export function partitionName(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw invalidInput(`not a day: ${day}`);
  return `RuntimeEvent_${day.replaceAll('-', '')}`;
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + DAY).toISOString().slice(0, 10);

/**
 * Creates the day partitions the events need (idempotent). Concurrent DDL on one parent may collide, so
 * writers take a transaction lock, on one connection: a session lock taken through a pool could be taken
 * on one connection and released on another, and then held for good.
 */
export async function ensurePartitions(pool: pg.Pool, days: Iterable<string>): Promise<void> {
  const wanted = [...new Set(days)];
  if (!wanted.length) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('nhi_runtime_partitions'))`);
    for (const day of wanted) {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${PARTITION_SCHEMA}"."${partitionName(day)}" PARTITION OF "RuntimeEvent"
         FOR VALUES FROM ('${day}') TO ('${nextDay(day)}')`,
      );
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

export interface StoreResult {
  inserted: number;
  duplicates: number;
}

/** Writes events of one cluster; those already stored (same key) are skipped and counted. */
export async function storeEvents(db: pg.Pool, clusterId: string, events: readonly RuntimeEvent[]): Promise<StoreResult> {
  if (!events.length) return { inserted: 0, duplicates: 0 };
  return storeRows(db, encodeRows(clusterId, events));
}

export interface StoreRowsOptions {
  /**
   * Days whose partition this writer already made: skipped, so a long ingestion does not ask again per
   * batch. If one was dropped since (retention), the write fails on it, the days are made again and the
   * write retried once.
   */
  ensured?: Set<string>;
  /**
   * false: the transaction commits without waiting for its WAL to reach the disk (`synchronous_commit =
   * off`, for this transaction only). A crash of PostgreSQL may then lose the last few hundred
   * milliseconds of committed batches, never corrupt or half-write one: acceptable for file ingestion,
   * whose runs are replayed idempotently (and for senders that retry), not for the webhook's answer.
   */
  synchronousCommit?: boolean;
  /**
   * Shared by the batches of one file: whether to try the direct COPY first. It is turned off by the first
   * batch that meets an event already stored (a replayed file is usually replayed whole).
   */
  direct?: { enabled: boolean };
}

/** SQLSTATEs after which a direct COPY is retried through the staging table. */
const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';
/** "no partition of relation … found for row": a day dropped by retention after it was ensured. */
const NO_PARTITION = '23514';

const sqlState = (e: unknown) => (typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined);

/**
 * Writes a batch of COPY rows (copy.ts encodeRows), each event once per cluster and key: the events
 * already stored are skipped and counted as duplicates.
 *
 * A batch is first COPYed straight into "RuntimeEvent" (the cheapest write: no staging, no speculative
 * insertion), in one transaction: a batch holding an event already stored fails as a whole on the
 * primary key, is rolled back, and is then written the idempotent way, COPYed into a temporary staging
 * table and moved with INSERT … SELECT … ON CONFLICT DO NOTHING. Either way it is one bulk statement per
 * batch, and the same (cluster, key, time) is stored once.
 */
export async function storeRows(db: pg.Pool, batch: EncodedRows, options: StoreRowsOptions = {}): Promise<StoreResult> {
  if (!batch.count) return { inserted: 0, duplicates: 0 };
  const { ensured } = options;
  const ensure = async (days: readonly string[]) => {
    await ensurePartitions(db, days);
    for (const day of days) ensured?.add(day);
  };
  await ensure(ensured ? batch.days.filter((d) => !ensured.has(d)) : batch.days);
  let inserted: number;
  try {
    inserted = await writeRows(db, batch, options);
  } catch (e) {
    if (!ensured || sqlState(e) !== NO_PARTITION) throw e;
    for (const day of batch.days) ensured.delete(day);
    await ensure(batch.days);
    inserted = await writeRows(db, batch, options);
  }
  return { inserted, duplicates: batch.count - inserted };
}

const STAGE = 'nhi_runtime_stage';

async function writeRows(db: pg.Pool, batch: EncodedRows, options: StoreRowsOptions): Promise<number> {
  const begin = options.synchronousCommit === false ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN';
  const client = await db.connect();
  let broken: unknown;
  try {
    if (options.direct?.enabled ?? true) {
      await client.query(begin);
      try {
        const copied = await copyIn(client, `COPY "RuntimeEvent" (${COPY_COLUMN_LIST}) FROM STDIN`, batch.rows);
        await client.query('COMMIT');
        return copied;
      } catch (e) {
        await client.query('ROLLBACK').catch((r: unknown) => (broken = r));
        if (broken !== undefined || (sqlState(e) !== UNIQUE_VIOLATION && sqlState(e) !== DEADLOCK)) throw e;
        if (options.direct) options.direct.enabled = false;
      }
    }
    await client.query(begin);
    try {
      // Session-local, emptied at each commit; made once per connection.
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} (LIKE "RuntimeEvent" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
      );
      await copyIn(client, `COPY ${STAGE} (${COPY_COLUMN_LIST}) FROM STDIN`, batch.rows);
      const res = await client.query(
        `INSERT INTO "RuntimeEvent" (${COPY_COLUMN_LIST}) SELECT ${COPY_COLUMN_LIST} FROM ${STAGE} ON CONFLICT DO NOTHING`,
      );
      await client.query('COMMIT');
      return res.rowCount ?? 0;
    } catch (e) {
      await client.query('ROLLBACK').catch((r: unknown) => (broken = r));
      throw e;
    }
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: dropped, not reused.
    client.release(broken instanceof Error ? broken : broken !== undefined);
  }
}

/** Sends rows to a `COPY … FROM STDIN`; the number of rows copied. */
async function copyIn(client: pg.PoolClient, sql: string, rows: Uint8Array): Promise<number> {
  const stream = client.query(copyFrom(sql));
  stream.end(Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength));
  await finished(stream);
  return stream.rowCount;
}

/** Drops the day partitions older than `days` days before `now`; returns the tables dropped. */
export async function dropExpiredPartitions(db: pg.Pool, days: number, now: Date): Promise<string[]> {
  if (!Number.isInteger(days) || days < 1) throw invalidInput(`retention must be a whole number of days ≥ 1, got ${days}`);
  const cutoff = partitionName(new Date(now.getTime() - days * DAY).toISOString().slice(0, 10));
  const res = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.inhparent = '"RuntimeEvent"'::regclass AND n.nspname = $1 ORDER BY 1`,
    [PARTITION_SCHEMA],
  );
  const expired = res.rows.map((r) => r.name).filter((name) => name < cutoff);
  for (const name of expired) await db.query(`DROP TABLE "${PARTITION_SCHEMA}"."${name}"`);
  return expired;
}
