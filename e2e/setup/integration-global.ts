import type { TestProject } from 'vitest/node';
import { createTestDatabase, testServer, type TestDatabase } from './test-database';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database of this run's own (dropped at the end). */
    databaseUrl: string;
    /** The server's URL, for tests that create further databases of their own. */
    serverUrl: string;
  }
}

/**
 * Once per integration run: a fresh, migrated database on the test server, and the real test cluster
 * (started or reused; see e2e/cluster). Both are torn down at the end.
 */
export default async function setup(project: TestProject) {
  const server = await testServer();
  let db: TestDatabase | undefined;
  try {
    db = await createTestDatabase(server.url, 'int');
    project.provide('databaseUrl', db.url);
    project.provide('serverUrl', server.url);
    const cluster = await startClusterIfWanted();
    const ready = db;
    return async () => {
      await cluster?.stop();
      await ready.drop();
      await server.stop();
    };
  } catch (e) {
    // Vitest runs no teardown when the setup throws: undo what was made, then report the failure
    // (scripts/test-all.ts counts a layer whose setup failed as failed, with this message).
    await db?.drop().catch(() => {});
    await server.stop().catch(() => {});
    throw e;
  }
}

async function startClusterIfWanted(): Promise<{ stop: () => Promise<void> } | undefined> {
  if (process.env.NHI_SKIP_CLUSTER === '1') return undefined;
  const harness = await import('../cluster/harness');
  const cluster = await harness.ensureCluster();
  // A cluster a developer started stays up; one this run started is stopped at the end.
  return { stop: () => (cluster.startedByThisCall ? harness.stopCluster() : Promise.resolve()) };
}
