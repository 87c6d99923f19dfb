import type pg from 'pg';
import { openStore } from '@/lib/collect/store';
import { unavailable } from '@/lib/errors';

const globalForPool = globalThis as unknown as { nhiPool?: pg.Pool };

/** The web server's process-wide pg pool for bulk writes (ingestion), like prisma() for reads. */
export function pgPool(): pg.Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw unavailable('DATABASE_URL is not set; start the web app with `npm run demo` or `npx nhi web`.');
  globalForPool.nhiPool ??= openStore(url);
  return globalForPool.nhiPool;
}
