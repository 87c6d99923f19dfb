import { describe, expect, it } from 'vitest';
import { readDumps } from '@/lib/collect/import';
import { demoDataFile } from '@/lib/demo/load';
import { snapshotFromObjects } from './load';
import { escalationFingerprint, materializeEscalation, materializeReach } from './materialize';
import { buildIndex } from './rbac-index';

async function demoObjects(): Promise<unknown[]> {
  const { snapshot } = await readDumps([demoDataFile]);
  return Object.values(snapshot).flat();
}

describe('materialised reach', () => {
  it('recomputes nothing when nothing changed, whatever the input order', async () => {
    const objects = await demoObjects();
    const index = buildIndex(snapshotFromObjects(objects).snapshot);
    const first = materializeReach(index, new Map());
    expect(first.unchanged).toEqual([]);
    expect(first.changed.length).toBeGreaterThan(100);
    const shuffled = buildIndex(snapshotFromObjects([...objects].reverse()).snapshot);
    const again = materializeReach(shuffled, new Map(first.changed.map((r) => [r.identityKey, r.fingerprint])));
    expect(again.changed.map((r) => r.identityKey)).toEqual([]);
    expect(escalationFingerprint(shuffled)).toBe(escalationFingerprint(index));
  });

  it('recomputes exactly the subjects of a changed binding', async () => {
    const objects = await demoObjects();
    const base = materializeReach(buildIndex(snapshotFromObjects(objects).snapshot), new Map());
    const previous = new Map(base.changed.map((r) => [r.identityKey, r.fingerprint]));
    const extra = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'extra', namespace: 'payments' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'payments-api', namespace: 'payments' }],
    };
    const next = materializeReach(buildIndex(snapshotFromObjects([...objects, extra]).snapshot), previous);
    expect(next.changed.map((r) => r.identityKey)).toEqual(['ServiceAccount/payments/payments-api']);
    const secretsRead = next.changed[0]!.capabilities.find(
      (c) => c.id === 'secrets-read' && c.grants.some((g) => g.binding === 'RoleBinding payments/extra'),
    );
    expect(secretsRead).toMatchObject({ scope: 'namespace payments', effective: true });
    expect(secretsRead!.grants).toContainEqual({ binding: 'RoleBinding payments/extra', role: 'ClusterRole edit' });
  });

  it('names each granting binding once, even when several rules of its role grant the capability', () => {
    const rbac = 'rbac.authorization.k8s.io/v1';
    const index = buildIndex(
      snapshotFromObjects([
        {
          apiVersion: rbac,
          kind: 'Role',
          metadata: { name: 'reader', namespace: 'apps' },
          rules: [
            { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] },
            { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
          ],
        },
        {
          apiVersion: rbac,
          kind: 'RoleBinding',
          metadata: { name: 'read', namespace: 'apps' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
          subjects: [{ kind: 'ServiceAccount', name: 'app', namespace: 'apps' }],
        },
      ]).snapshot,
    );
    const [row] = materializeReach(index, new Map()).changed.filter((r) => r.identityKey === 'ServiceAccount/apps/app');
    const secrets = row!.capabilities.find((c) => c.id === 'secrets-read');
    expect(secrets?.grants).toEqual([{ binding: 'RoleBinding apps/read', role: 'Role apps/reader' }]);
  });

  it("states each capability's scope in words: cluster-wide, or the namespace", async () => {
    const { changed } = materializeReach(buildIndex(snapshotFromObjects(await demoObjects()).snapshot), new Map());
    const scopes = new Set(changed.flatMap((r) => r.capabilities.map((c) => c.scope)));
    expect(scopes).toContain('cluster-wide');
    for (const s of scopes) expect(s).toMatch(/^(cluster-wide|namespace [a-z0-9-]+)$/);
  });

  it('explains the shortest path to cluster-admin step by step', async () => {
    const index = buildIndex(snapshotFromObjects(await demoObjects()).snapshot);
    const rows = materializeEscalation(index);
    const kustomize = rows.find((r) => r.identityKey === 'ServiceAccount/flux-system/kustomize-controller')!;
    expect(kustomize).toMatchObject({ reachesClusterAdmin: true, distance: 0 });
    const some = rows.find((r) => r.reachesClusterAdmin && (r.distance ?? 0) >= 1)!;
    expect(some.steps.length).toBe(some.distance);
    expect(some.steps.every((s) => s.text.length > 10)).toBe(true);
  });
});
