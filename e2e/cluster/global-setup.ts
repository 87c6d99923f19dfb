import { ensureCluster, stopCluster } from './harness';

/**
 * Global setup for running only the cluster tests (e2e/cluster/vitest.config.ts), without the
 * database the full integration setup (e2e/setup/integration-global.ts) also prepares.
 * Starts the cluster (or reuses a running one) and stops it at the end only if it started it here,
 * so a developer's `npm run cluster:up` survives a test run. NHI_CLUSTER_KEEP=1 never stops it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const cluster = await ensureCluster();
  return async () => {
    if (cluster.startedByThisCall && process.env.NHI_CLUSTER_KEEP !== '1') await stopCluster();
  };
}
