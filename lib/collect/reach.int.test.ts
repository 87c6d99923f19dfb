import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { adminKubeConfig, type TestCluster } from '@/e2e/cluster/harness';
import { withClusterAndStore } from '@/e2e/setup/cluster-store';
import { collectOnce } from './collect';
import { resolveTargets } from './kube';

let cluster: TestCluster;
let pool: pg.Pool;
const ns = `it-reach-${Date.now().toString(36)}`;
withClusterAndStore('reach', { seed: true, namespace: ns }, (s) => ({ cluster, pool } = s));

const computedAt = async (namespace: string, name: string) =>
  (
    await pool.query<{ at: Date }>(
      `SELECT r."computedAt" AS at FROM "IdentityReach" r JOIN "Identity" i ON i.id = r."identityId" WHERE i.kind = 'ServiceAccount' AND i.namespace = $1 AND i.name = $2`,
      [namespace, name],
    )
  ).rows[0]?.at.getTime();

const reachOf = async (namespace: string, name: string) =>
  (
    await pool.query<{
      namespaces: string[];
      capabilities: { id: string; effective: boolean; grants: { binding: string }[] }[];
      reachesClusterAdmin: boolean;
      escalationDistance: number | null;
      escalationSteps: { text: string }[];
    }>(
      `SELECT r.namespaces, r.capabilities, r."reachesClusterAdmin", r."escalationDistance", r."escalationSteps"
       FROM "IdentityReach" r JOIN "Identity" i ON i.id = r."identityId" WHERE i.kind = 'ServiceAccount' AND i.namespace = $1 AND i.name = $2`,
      [namespace, name],
    )
  ).rows[0];

describeWithCorpus('RBAC reach materialised after each collection', () => {
  it('stores reach and the shortest path to cluster-admin, and recomputes only identities a change touches', async () => {
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const first = await collectOnce(pool, { ...target!, name: 'reach' });
    expect(first.reach.recomputed).toBe(first.reach.identities);
    expect(first.reach.escalationRecomputed).toBe(true);

    // flux's kustomize-controller is bound to cluster-admin by the operator's own manifests.
    const flux = await reachOf('flux-system', 'kustomize-controller');
    expect(flux?.reachesClusterAdmin).toBe(true);
    expect(flux?.escalationDistance).toBe(0);
    expect(flux?.capabilities.find((c) => c.id === 'cluster-admin')?.effective).toBe(true);

    // A new ServiceAccount given `edit` in its own namespace: only it (and nothing else) is recomputed.
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: ns } });
    await api.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer-edit', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: ns }],
    } as KubernetesObject);
    const fluxComputed = await computedAt('flux-system', 'kustomize-controller');
    const second = await collectOnce(pool, { ...target!, name: 'reach' });
    expect(second.reach.recomputed).toBeGreaterThanOrEqual(1);
    expect(await computedAt('flux-system', 'kustomize-controller')).toBe(fluxComputed);
    const deployer = await reachOf(ns, 'deployer');
    // (tekton grants every authenticated user a read in its namespace, so other namespaces appear too.)
    expect(deployer?.namespaces).toContain(ns);
    const secrets = deployer?.capabilities.find((c) => c.id === 'secrets-read');
    expect(secrets?.effective).toBe(true);
    expect(secrets?.grants[0]?.binding).toBe(`RoleBinding ${ns}/deployer-edit`);
    expect(deployer?.capabilities.some((c) => c.id === 'pods-create' && c.effective)).toBe(true);

    const deployerComputed = await computedAt(ns, 'deployer');
    await collectOnce(pool, { ...target!, name: 'reach' });
    expect(await computedAt(ns, 'deployer')).toBe(deployerComputed);
    expect(await computedAt('flux-system', 'kustomize-controller')).toBe(fluxComputed);
  });
});
