import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { adminKubeConfig, ensureCluster, eventually, type TestCluster } from '@/e2e/cluster/harness';
import { withClusterAndStore } from '@/e2e/setup/cluster-store';
import { listSnapshot } from './collect';
import { resolveTargets } from './kube';
import { normalize } from './normalize';
import { watchCluster } from './watch';

let cluster: TestCluster;
let pool: pg.Pool;
const ns = `it-restart-${Date.now().toString(36)}`;
withClusterAndStore('restart', { namespace: ns }, (s) => ({ cluster, pool } = s));

async function apiServerDown(): Promise<void> {
  const pid = Number(readFileSync(path.join(cluster.dir, 'run', 'kube-apiserver.pid'), 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  await eventually(
    'kube-apiserver to exit',
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    60_000,
  );
}

/** The live inventory keys the database holds for a cluster, per table. */
async function databaseKeys(cluster: string) {
  const q = async (sql: string) => (await pool.query<{ k: string }>(sql, [cluster])).rows.map((r) => r.k).sort();
  return {
    serviceAccounts: await q(
      `SELECT i.namespace || '/' || i.name AS k FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId" WHERE c.name = $1 AND i.kind = 'ServiceAccount' AND i.uid IS NOT NULL AND i."deletedAt" IS NULL`,
    ),
    bindings: await q(
      `SELECT b.kind || '/' || b.namespace || '/' || b.name AS k FROM "RbacBinding" b JOIN "Cluster" c ON c.id = b."clusterId" WHERE c.name = $1 AND b."deletedAt" IS NULL`,
    ),
    secrets: await q(
      `SELECT r.namespace || '/' || r.name AS k FROM "Credential" r JOIN "Cluster" c ON c.id = r."clusterId" WHERE c.name = $1 AND r."secretType" IS NOT NULL AND r."deletedAt" IS NULL`,
    ),
  };
}

describe('watch across an API server restart', () => {
  it('loses nothing and invents nothing: after recovery the database equals the cluster', async () => {
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'before-restart', namespace: ns } });
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const controller = new AbortController();
    const watching = watchCluster(pool, { ...target!, name: 'restarted' }, { signal: controller.signal, debounceMs: 200 });
    try {
      await eventually(
        'initial sync',
        async () => (await databaseKeys('restarted')).serviceAccounts.includes(`${ns}/before-restart`) || undefined,
        60_000,
      );

      await apiServerDown();
      await ensureCluster(); // starts kube-apiserver again (same etcd: the data survives)
      // Changes right after the restart, while the collector's watches are reconnecting.
      await api.delete({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'before-restart', namespace: ns } });
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'after-restart', namespace: ns } });
      await api.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'after-restart-config', namespace: ns },
        type: 'Opaque',
        stringData: { k: 'v' },
      } as never);

      // The cluster's truth, listed afresh and normalised the same way.
      const truth = async () => {
        const inv = normalize((await listSnapshot(target!)).snapshot);
        return {
          serviceAccounts: inv.identities
            .filter((i) => i.kind === 'ServiceAccount' && i.uid)
            .map((i) => `${i.namespace}/${i.name}`)
            .sort(),
          bindings: inv.bindings.map((b) => b.key).sort(),
          secrets: inv.credentials
            .filter((c) => c.secretType !== null)
            .map((c) => `${c.namespace}/${c.name}`)
            .sort(),
        };
      };
      await eventually(
        'database equals the cluster',
        async () => {
          const [want, have] = [await truth(), await databaseKeys('restarted')];
          return JSON.stringify(want) === JSON.stringify(have) || undefined;
        },
        60_000,
      );
      const have = await databaseKeys('restarted');
      expect(have.serviceAccounts).toContain(`${ns}/after-restart`);
      expect(have.serviceAccounts).not.toContain(`${ns}/before-restart`);
      expect(have.secrets).toContain(`${ns}/after-restart-config`);
    } finally {
      controller.abort();
      await watching;
    }
  });
});
