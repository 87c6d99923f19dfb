/**
 * NetworkPolicies and admission objects collected from the real test cluster, and the namespace and cluster posture
 * rules on it: what the seeded cluster is documented to lack (README "Seed": admission webhooks and policies are
 * skipped; the demo namespaces carry no NetworkPolicy and no Pod Security label), then watched changes — a
 * NetworkPolicy, a Pod Security label, a ValidatingAdmissionPolicy — resolving and reopening their findings.
 */
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type pg from 'pg';
import { expect, it } from 'vitest';
import { adminKubeConfig, eventually, type TestCluster } from '@/e2e/cluster/harness';
import { withClusterAndStore } from '@/e2e/setup/cluster-store';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { collectOnce } from './collect';
import { resolveTargets } from './kube';
import { watchCluster } from './watch';

let cluster: TestCluster;
let pool: pg.Pool;
const ns = `it-scope-${Date.now().toString(36)}`;
const policyName = `nhi-it-${ns}`;

withClusterAndStore('scope', { seed: true, namespace: ns }, (s) => ({ cluster, pool } = s));

const finding = async (clusterName: string, ruleId: string, subjectKey: string) =>
  (
    await pool.query<{ id: string; status: string; severity: string; evidence: Record<string, unknown> }>(
      `SELECT f.id, f.status::text AS status, f.severity::text AS severity, f.evidence FROM "Finding" f
       JOIN "Cluster" c ON c.id = f."clusterId" WHERE c.name = $1 AND f."ruleId" = $2 AND f."subjectKey" = $3`,
      [clusterName, ruleId, subjectKey],
    )
  ).rows[0];

describeWithCorpus('namespace and cluster posture on the real test cluster', () => {
  it('finds what the seeded cluster is documented to lack, and stores its NetworkPolicies and admission objects', async () => {
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const outcome = await collectOnce(pool, { ...target!, name: 'scope-seeded' });
    expect(outcome.phase).toBe('succeeded');
    expect(outcome.counts.networkPolicies).toBeGreaterThanOrEqual(7);

    const argocd = await pool.query<{ networkPolicies: string[] }>(
      `SELECT n."networkPolicies" FROM "Namespace" n JOIN "Cluster" c ON c.id = n."clusterId" WHERE c.name = 'scope-seeded' AND n.name = 'argocd'`,
    );
    expect(argocd.rows[0]!.networkPolicies).toContain('argocd-server-network-policy');
    const stored = await pool.query<{ admissionPolicies: { kind: string; name: string }[] }>(
      `SELECT "admissionPolicies" FROM "Cluster" WHERE name = 'scope-seeded'`,
    );
    expect(Array.isArray(stored.rows[0]!.admissionPolicies)).toBe(true);

    // The seed skips admission webhooks and policies: nothing judges pods.
    expect(await finding('scope-seeded', 'NHI-POS-010', 'cluster:')).toMatchObject({ status: 'open', severity: 'high' });
    for (const name of ['payments', 'checkout', 'data-platform', 'monitoring']) {
      expect(await finding('scope-seeded', 'NHI-POS-008', `namespace:${name}`), name).toMatchObject({ status: 'open' });
      expect(await finding('scope-seeded', 'NHI-POS-009', `namespace:${name}`), name).toMatchObject({ status: 'open' });
    }
    expect(await finding('scope-seeded', 'NHI-POS-008', 'namespace:argocd')).toBeUndefined();
    for (const name of ['gatekeeper-system', 'kube-flannel', 'tigera-operator', 'kube-system'])
      expect(await finding('scope-seeded', 'NHI-POS-009', `namespace:${name}`), name).toBeUndefined();
  });

  it('watch: a NetworkPolicy, a Pod Security label and an admission policy resolve their findings within seconds; removing the policy reopens', async () => {
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const controller = new AbortController();
    const watchLog: string[] = [];
    const watching = watchCluster(
      pool,
      { ...target!, name: 'scope-watched' },
      { signal: controller.signal, debounceMs: 200, log: (l) => watchLog.push(l) },
    );
    const latencies: Record<string, number> = {};
    const timed = async (what: string, change: () => Promise<unknown>, done: () => Promise<boolean>) => {
      const t0 = Date.now();
      await change();
      await eventually(what, async () => (await done()) || undefined, 10_000);
      latencies[what] = Date.now() - t0;
    };
    const vap = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policyName },
      spec: {
        failurePolicy: 'Ignore',
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }],
        },
        // Admits everything: the test only needs a policy that judges pods, in its own namespace only.
        validations: [{ expression: 'true' }],
      },
    } as KubernetesObject;
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: policyName },
      spec: {
        policyName,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
      },
    } as KubernetesObject;
    try {
      // The first save has written its posture findings (they come after the inventory and reach).
      const opened = await eventually('initial sync', () => finding('scope-watched', 'NHI-POS-010', 'cluster:'), 60_000);
      expect(opened).toMatchObject({ status: 'open' });

      await timed(
        'namespace with a workload: NHI-POS-008 and 009 open',
        async () => {
          await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
          await api.create({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web', namespace: ns },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: 'web' } },
              template: {
                metadata: { labels: { app: 'web' } },
                spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
              },
            },
          } as KubernetesObject);
        },
        async () =>
          (await finding('scope-watched', 'NHI-POS-008', `namespace:${ns}`))?.status === 'open' &&
          (await finding('scope-watched', 'NHI-POS-009', `namespace:${ns}`))?.status === 'open',
      );
      await timed(
        'a NetworkPolicy resolves NHI-POS-008',
        () =>
          api.create({
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: { name: 'default-deny', namespace: ns },
            spec: { podSelector: {}, policyTypes: ['Ingress'] },
          } as KubernetesObject),
        async () => (await finding('scope-watched', 'NHI-POS-008', `namespace:${ns}`))?.status === 'resolved',
      );
      await timed(
        'a Pod Security enforce label resolves NHI-POS-009',
        async () => {
          const current = await api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
          current.metadata!.labels = { ...current.metadata!.labels, 'pod-security.kubernetes.io/enforce': 'baseline' };
          await api.replace(current);
        },
        async () => (await finding('scope-watched', 'NHI-POS-009', `namespace:${ns}`))?.status === 'resolved',
      );
      await timed(
        'a ValidatingAdmissionPolicy bound with Deny resolves NHI-POS-010',
        async () => {
          await api.create(vap);
          await api.create(binding);
        },
        async () => (await finding('scope-watched', 'NHI-POS-010', 'cluster:'))?.status === 'resolved',
      );
      const stored = await pool.query<{ admissionPolicies: { kind: string; name: string; resources: string[] }[] }>(
        `SELECT "admissionPolicies" FROM "Cluster" WHERE name = 'scope-watched'`,
      );
      expect(stored.rows[0]!.admissionPolicies.filter((a) => a.name === policyName)).toEqual([
        { kind: 'ValidatingAdmissionPolicy', name: policyName, resources: ['pods'] },
        { kind: 'ValidatingAdmissionPolicyBinding', name: policyName, resources: [], policyName, validationActions: ['Deny'] },
      ]);
      await timed(
        'removing the policy reopens NHI-POS-010 (same row)',
        async () => {
          await api.delete(binding);
          await api.delete(vap);
        },
        async () => (await finding('scope-watched', 'NHI-POS-010', 'cluster:'))?.status === 'open',
      );
      expect((await finding('scope-watched', 'NHI-POS-010', 'cluster:'))!.id).toBe(opened!.id);
      console.log(`scope watch latencies (ms): ${JSON.stringify(latencies)}`);
      for (const [what, ms] of Object.entries(latencies)) expect(ms, what).toBeLessThan(5_000);
    } catch (e) {
      console.log(watchLog.slice(-30).join('\n'));
      throw e;
    } finally {
      controller.abort();
      await watching.catch(() => {});
      await api.delete(binding).catch(() => {});
      await api.delete(vap).catch(() => {});
    }
  });
});
