import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@/lib/db/embedded';
import { applyMigrations } from '@/lib/db/migrate';
import { poolConfigFromUrl, withDatabase } from '@/lib/db/url';
import { repoRoot } from '@/lib/paths';

/**
 * The PostgreSQL server the tests use: NHI_TEST_SERVER_URL (set by the test runner for its children),
 * else DATABASE_URL's server (CI points it at the machine's PostgreSQL), else the embedded server, so the
 * tests also run where no PostgreSQL is installed (port 54330 and <repo>/data/test, not the demo's). Tests never use DATABASE_URL's database itself:
 * each run creates databases of its own on that server and drops them.
 */
export async function testServer(): Promise<EmbeddedDatabase> {
  const url = process.env.NHI_TEST_SERVER_URL ?? process.env.DATABASE_URL;
  if (url) return { url, stop: async () => {} };
  return startEmbeddedPostgres(embeddedTestServer());
}

/** The tests' embedded server: never the demo's port or data folder (a demo may be serving them). */
export function embeddedTestServer(): { port: number; dataDir: string } {
  return {
    port: Number(process.env.NHI_TEST_PG_PORT ?? testPort),
    dataDir: process.env.NHI_TEST_DATA_DIR ?? path.join(repoRoot, 'data', 'test'),
  };
}

export const testPort = 54330;

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `nhi_test_<label>_<random>` on the server and applies the committed migrations to it. */
export async function createTestDatabase(
  serverUrl: string,
  label: string,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `nhi_test_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const admin = new pg.Client(poolConfigFromUrl(serverUrl));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  if (opts.migrate !== false) await applyMigrations(url);
  return {
    name,
    url,
    drop: async () => {
      const c = new pg.Client(poolConfigFromUrl(serverUrl));
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
