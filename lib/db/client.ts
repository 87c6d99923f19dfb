import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client';
import { unavailable } from '@/lib/errors';
import { poolConfigFromUrl } from './url';

export type { PrismaClient };

/** A Prisma client for `url` through the pg driver adapter (no Rust query engine). */
export function createPrisma(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ ...poolConfigFromUrl(url), max: 10 }) });
}

/** DATABASE_URL, which `nhi web` always sets for the web server (to the embedded server if need be). */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw unavailable('DATABASE_URL is not set; start the web app with `npm run demo` or `npx nhi web`.');
  return url;
}

const globalForPrisma = globalThis as unknown as { nhiPrisma?: PrismaClient };

/**
 * The process-wide client for DATABASE_URL (kept on globalThis so Next's dev reloads reuse it).
 * The web server is always started with DATABASE_URL set (by `nhi web`, to the embedded server if needed).
 */
export function prisma(): PrismaClient {
  globalForPrisma.nhiPrisma ??= createPrisma(databaseUrl());
  return globalForPrisma.nhiPrisma;
}
