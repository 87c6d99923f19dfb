import { KubernetesObjectApi } from '@kubernetes/client-node';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { adminKubeConfig, eventually, type TestCluster } from '@/e2e/cluster/harness';
import { withClusterAndStore } from '@/e2e/setup/cluster-store';
import { resolveTargets } from './kube';
import { watchCluster } from './watch';

let cluster: TestCluster;
let pool: pg.Pool;
const ns = `it-outage-${Date.now().toString(36)}`;
withClusterAndStore('outage', { namespace: ns }, (s) => ({ cluster, pool } = s));

const runs = async () =>
  (
    await pool.query<{ mode: string; phase: string; errors: { message: string }[] }>(
      `SELECT r.mode, r.phase::text AS phase, r.errors FROM "CollectionRun" r JOIN "Cluster" c ON c.id = r."clusterId" WHERE c.name = 'outage' ORDER BY r."startedAt"`,
    )
  ).rows;

const serviceAccountStored = async (name: string) =>
  (
    await pool.query(
      `SELECT 1 FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId" WHERE c.name = 'outage' AND i.kind = 'ServiceAccount' AND i.namespace = $1 AND i.name = $2 AND i."deletedAt" IS NULL`,
      [ns, name],
    )
  ).rowCount === 1;

describe('watch across a database outage', () => {
  it('records the failed save as a failed run, stores the change once the database is back, and records the recovery', async () => {
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const controller = new AbortController();
    const watching = watchCluster(pool, { ...target!, name: 'outage' }, { signal: controller.signal, debounceMs: 200 });
    try {
      await eventually('initial sync', async () => (await runs())[0]?.phase === 'succeeded', 60_000);

      // The inventory's main table goes away: every save fails until it is back.
      await pool.query(`ALTER TABLE "Identity" RENAME TO "Identity_away"`);
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'during-outage', namespace: ns } });
      await eventually('a failed run', async () => (await runs()).some((r) => r.phase === 'failed'), 30_000);
      await pool.query(`ALTER TABLE "Identity_away" RENAME TO "Identity"`);

      // The retry delivers it (other tests' leftovers may change the cluster too, so the retry itself is
      // proven by coalesce.test.ts).
      await eventually('the ServiceAccount after recovery', () => serviceAccountStored('during-outage'), 30_000);
      await eventually('a run recording the recovery', async () => (await runs()).at(-1)?.phase === 'succeeded', 10_000);
      const all = await runs();
      expect(all[0]).toMatchObject({ mode: 'watch', phase: 'succeeded' });
      const failed = all.filter((r) => r.phase === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0]!.errors.map((e) => e.message).join('\n')).toMatch(/saving the inventory failed: .*Identity/);
      expect(all.at(-1)).toMatchObject({ mode: 'watch', phase: 'succeeded' });
    } finally {
      await pool.query(`ALTER TABLE IF EXISTS "Identity_away" RENAME TO "Identity"`).catch(() => {});
      controller.abort();
      await watching;
    }
  });
});
