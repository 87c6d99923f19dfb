/**
 * The database of a CLI command: DATABASE_URL's, or the embedded server (started for the command and
 * stopped after it), checked before the command runs, and every client closed afterwards.
 *
 *   await withDatabase(async ({ db }) => print(await listClusters(db)));          // reads: Prisma
 *   await withDatabase(async ({ pool }) => collectOnce(pool, target));             // bulk writes: pg
 *   await withDatabase(async ({ url }) => applyMigrations(url), { check: 'reachable' });
 */
import type pg from 'pg';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { resolveDatabase } from '@/lib/db/embedded';
import { checkDatabaseReachable, preflight } from '@/lib/db/preflight';

export interface CliDatabase {
  url: string;
  /** The read layer's client (lib/data), opened on first use. */
  readonly db: PrismaClient;
  /** A pg pool for the collector's bulk writes, opened on first use. */
  readonly pool: pg.Pool;
}

export interface WithDatabaseOptions {
  /**
   * `migrations` (default): reachable and every committed migration applied, unedited.
   * `reachable`: only reachable (the `db` commands, which inspect or change the migrations themselves).
   */
  check?: 'migrations' | 'reachable';
}

export async function withDatabase<T>(fn: (database: CliDatabase) => Promise<T>, options: WithDatabaseOptions = {}): Promise<T> {
  const server = await resolveDatabase();
  let db: PrismaClient | undefined;
  let pool: pg.Pool | undefined;
  try {
    if (options.check === 'reachable') await checkDatabaseReachable(server.url);
    else await preflight(server.url);
    return await fn({
      url: server.url,
      get db() {
        return (db ??= createPrisma(server.url));
      },
      get pool() {
        return (pool ??= openStore(server.url));
      },
    });
  } finally {
    await db?.$disconnect();
    await pool?.end();
    await server.stop();
  }
}
