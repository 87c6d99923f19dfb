import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedTestServer } from '@/e2e/setup/test-database';
import { AppError } from '@/lib/errors';
import { repoRoot } from '@/lib/paths';
import { defaultPort, startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import { freePort } from '@/e2e/setup/ports';

async function dataDirectory(url: string): Promise<string> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
  } finally {
    await c.end();
  }
}

describe('the tests’ embedded server beside a running demo', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'nhi-embedded-'));
  // The postgres system user (as root) must be able to enter it, as it can enter a checkout.
  chmodSync(work, 0o711);
  const started: EmbeddedDatabase[] = [];
  afterAll(async () => {
    for (const s of started.reverse()) await s.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('never defaults to the demo’s port or data folder', () => {
    const saved = { ...process.env };
    try {
      delete process.env.NHI_TEST_PG_PORT;
      delete process.env.NHI_TEST_DATA_DIR;
      process.env.NHI_DATA_DIR = path.join(work, 'demo-data');
      const t = embeddedTestServer();
      expect(t.port).not.toBe(defaultPort);
      expect(t.dataDir).toBe(path.join(repoRoot, 'data', 'test'));
      expect(t.dataDir).not.toBe(process.env.NHI_DATA_DIR);
    } finally {
      process.env = saved;
    }
  });

  it('starts its own server while a demo serves <data>, and a second server on a folder in use says why', async () => {
    // The README's order: `npm run demo` serves <checkout>/data; `npm test` starts its server in data/test.
    const demoData = path.join(work, 'data');
    const demo = await startEmbeddedPostgres({ dataDir: demoData, port: await freePort() });
    started.push(demo);
    const tests = await startEmbeddedPostgres({ dataDir: path.join(demoData, 'test'), port: await freePort() });
    started.push(tests);
    expect(await dataDirectory(tests.url)).not.toBe(await dataDirectory(demo.url));

    // What `npm test` did before: another port, the demo's data folder. It must fail with a message.
    const error = await startEmbeddedPostgres({ dataDir: demoData, port: await freePort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/PostgreSQL stopped before accepting connections/);
    expect((error as AppError).message).toMatch(/Another server uses this data folder/);
  });
});
