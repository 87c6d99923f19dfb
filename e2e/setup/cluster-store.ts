import { KubernetesObjectApi } from '@kubernetes/client-node';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { adminKubeConfig, ensureCluster, seedCluster, type TestCluster } from '@/e2e/cluster/harness';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { openStore } from '@/lib/collect/store';

export interface ClusterStore {
  cluster: TestCluster;
  db: TestDatabase;
  pool: pg.Pool;
}

/**
 * The set-up of an integration test file that collects from the test cluster into a database of its
 * own: before all tests, the cluster (seeded when asked), a fresh migrated database and a pool on it,
 * handed to `ready`; after all tests, the file's own namespace (if any) is deleted and the database dropped.
 */
export function withClusterAndStore(
  label: string,
  opts: { seed?: boolean; namespace?: string },
  ready: (s: ClusterStore) => void,
): void {
  let store: Partial<ClusterStore> = {};
  beforeAll(async () => {
    const cluster = await ensureCluster();
    if (opts.seed) await seedCluster(cluster);
    store = { cluster };
    const db = await createTestDatabase(inject('serverUrl'), label);
    store = { cluster, db, pool: openStore(db.url) };
    ready(store as ClusterStore);
  });
  afterAll(async () => {
    if (opts.namespace && store.cluster) {
      await KubernetesObjectApi.makeApiClient(adminKubeConfig(store.cluster))
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.namespace } })
        .catch(() => {});
    }
    await store.pool?.end();
    await store.db?.drop();
  });
}
