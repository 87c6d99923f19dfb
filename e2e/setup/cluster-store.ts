import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  adminKubeConfig,
  ensureCluster,
  kubeconfigForServiceAccount,
  seedCluster,
  type TestCluster,
} from '@/e2e/cluster/harness';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { openStore } from '@/lib/collect/store';
import { repoRoot } from '@/lib/paths';

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

/** Every text value in every table of the database, to search for leaked values. */
export async function databaseText(pool: pg.Pool): Promise<string> {
  const tables = await pool.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  const parts: string[] = [];
  for (const { tablename } of tables.rows) {
    const rows = await pool.query(`SELECT row_to_json(t)::text AS j FROM "${tablename}" t`);
    for (const r of rows.rows) parts.push(r.j as string);
  }
  return parts.join('\n');
}

/**
 * Applies the shipped read-only collector ClusterRole (public/collector-clusterrole.yaml) and returns a
 * kubeconfig that acts as its ServiceAccount, to prove a collection needs nothing more.
 */
export async function collectorKubeconfig(cluster: TestCluster): Promise<string> {
  const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
  const docs = parseAllDocuments(readFileSync(path.join(repoRoot, 'public', 'collector-clusterrole.yaml'), 'utf8')).map(
    (d) => d.toJS() as KubernetesObject,
  );
  await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nhi-system' } }).catch(() => {});
  for (const doc of docs)
    await api
      .create(doc)
      .catch(() => api.patch(doc, undefined, undefined, 'nhi-test', undefined, 'application/apply-patch+yaml' as never));
  return kubeconfigForServiceAccount(cluster, 'nhi-system', 'nhi-collector');
}
