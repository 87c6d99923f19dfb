import type pg from 'pg';
import { openStore } from '@/lib/collect/store';
import { databaseUrl } from './client';

const globalForPool = globalThis as unknown as { nhiPool?: pg.Pool };

/** The web server's process-wide pg pool for bulk writes (ingestion), like prisma() for reads. */
export function pgPool(): pg.Pool {
  globalForPool.nhiPool ??= openStore(databaseUrl());
  return globalForPool.nhiPool;
}
