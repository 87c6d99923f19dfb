import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { corpusPath } from '@/lib/corpus';
import { describeWithCorpus } from '@/lib/corpus/testing';

import { readDumps } from './import';
import { fixture, names, sa, tmpFolders } from './import/test-support';
import type { ClusterSnapshot, KubeObject } from './types';

const tmp = tmpFolders();
afterAll(tmp.remove);

describe('readDumps: kubectl output', () => {
  it('reads a `kubectl get -o json` List into the snapshot arrays, sanitised and slimmed', async () => {
    const r = await readDumps([fixture('kubectl-list.json')]);
    expect(r.files).toBe(1);
    expect(r.read).toBe(9);
    expect(r.objects).toBe(7);
    expect(r.counts).toEqual({ namespaces: 2, serviceAccounts: 1, secrets: 1, pods: 1, roleBindings: 1, clusterRoles: 1 });
    expect(r.skipped).toEqual({ ConfigMap: 2 });
    expect(r.clusterUid).toBe('5f0c9f0e-7d64-4f3b-9a51-0f6a1c2b3d4e');
    expect(names(r.snapshot.namespaces)).toEqual(['kube-system', 'payments']);

    const [secret] = r.snapshot.secrets;
    expect(secret).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'payments-api-token',
        namespace: 'payments',
        uid: 'a1e2b3c4-0000-4000-8000-000000000003',
        resourceVersion: '901',
        annotations: {
          'kubernetes.io/service-account.name': 'payments-api',
          'kubernetes.io/service-account.uid': 'a1e2b3c4-0000-4000-8000-000000000002',
        },
      },
    });

    const pod = r.snapshot.pods[0]!;
    expect(pod.metadata.annotations).toEqual({});
    expect(pod.metadata).not.toHaveProperty('managedFields');
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: 'payments-api-7d9f8' });
    expect((pod.spec as { serviceAccountName: string }).serviceAccountName).toBe('payments-api');

    const sa0 = r.snapshot.serviceAccounts[0]!;
    expect(sa0.automountServiceAccountToken).toBe(false);
    expect(sa0.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/payments-api' });

    expect(r.notes).toEqual([
      { level: 'info', resource: 'ConfigMap', message: 'skipped 2 ConfigMap objects: not part of the inventory' },
    ]);
    const text = JSON.stringify(r);
    for (const value of ['bGlzdC1maXh0dXJlLXRva2VuLXZhbHVl', 'not kept', '"mode"', 'managedFields', 'last-applied'])
      expect(text).not.toContain(value);
  });
});

describe('readDumps: bad input', () => {
  it('reports objects without kind or name, missing paths and empty input, and reads the rest', async () => {
    const dir = tmp.files({
      'objects.json': JSON.stringify({
        kind: 'List',
        apiVersion: 'v1',
        items: [
          { metadata: { name: 'no-kind' } },
          { kind: 'Job', apiVersion: 'batch/v1', metadata: { generateName: 'nightly-', namespace: 'x' } },
          { kind: 'Secret', apiVersion: 'v1' },
          sa('fine', 'x'),
          'a string',
        ],
      }),
      'empty.yaml': '# nothing here\n',
    });
    const missing = path.join(dir, 'does-not-exist.json');
    const r = await readDumps([dir, missing]);
    expect(names(r.snapshot.serviceAccounts)).toEqual(['x/fine']);
    const messages = r.notes.map((n) => `${n.level}: ${n.message.replace(dir + path.sep, '')}`);
    expect(messages).toEqual([
      'error: does-not-exist.json: cannot read (not found)',
      'warning: empty.yaml: contains no Kubernetes objects',
      'error: objects.json: contains objects without kind (not imported): item 1',
      'error: objects.json: contains objects without metadata.name (not imported): Job (generateName nightly-) in item 2',
      'error: objects.json: contains objects without metadata (not imported): Secret in item 3',
      'warning: objects.json: contains an item that is not an object (ignored): item 5',
    ]);
    expect((await readDumps([])).notes[0]).toMatchObject({ level: 'error', message: 'no files or folders were given to import' });
    const emptyDir = tmp.files({ 'notes.txt': 'x' });
    expect((await readDumps([emptyDir])).notes[0]?.message).toBe(`no dump files found in ${emptyDir}`);
  });
});

describeWithCorpus('readDumps: the public corpus', () => {
  it('reads the cert-manager install manifest (counts checked by hand against its `kind:` lines)', async () => {
    const dir = corpusPath('rbac', 'charts', 'cert-manager');
    const r = await readDumps([dir]);
    expect(r.files).toBe(1);
    expect(r.counts).toEqual({
      namespaces: 1,
      serviceAccounts: 3,
      clusterRoles: 13,
      clusterRoleBindings: 10,
      roles: 4,
      roleBindings: 4,
      deployments: 3,
      mutatingWebhookConfigurations: 1,
      validatingWebhookConfigurations: 1,
    });
    expect(r.skipped).toEqual({ CustomResourceDefinition: 6, Service: 3 });
    expect(r.read).toBe(49);
    expect(r.notes.filter((n) => n.level !== 'info')).toEqual([]);
    expect(r.clusterNameHint).toBe('cert-manager');
    expect(names(r.snapshot.serviceAccounts)).toEqual([
      'cert-manager/cert-manager',
      'cert-manager/cert-manager-cainjector',
      'cert-manager/cert-manager-webhook',
    ]);
    // the controller's deployment runs as its ServiceAccount
    const controller = r.snapshot.deployments.find((d) => d.metadata.name === 'cert-manager') as KubeObject;
    expect((controller.spec as { template: { spec: { serviceAccountName: string } } }).template.spec.serviceAccountName).toBe(
      'cert-manager',
    );
  });

  it('reads the KubiScan fixtures: two SAs, their legacy token Secrets, bindings and roles', async () => {
    const dir = corpusPath('rbac', 'vulnerable', 'kubiscan');
    const r = await readDumps([path.join(dir, 'kubiscan-sa.yaml'), path.join(dir, 'kubiscan-sa2.yaml')]);
    expect(r.counts).toEqual({ serviceAccounts: 2, secrets: 2, clusterRoleBindings: 2, clusterRoles: 2 });
    expect(
      r.snapshot.secrets.map((s) => [s.metadata.name, s.type, s.metadata.annotations?.['kubernetes.io/service-account.name']]),
    ).toEqual([
      ['kubiscan-sa-token', 'kubernetes.io/service-account-token', 'kubiscan-sa'],
      ['kubiscan-sa2-token', 'kubernetes.io/service-account-token', 'kubiscan-sa2'],
    ]);
    expect(r.notes).toEqual([]);
  });

  it('reads the KubeHound collector dumps (List files, one per resource and namespace), resolving duplicates', async () => {
    const r = await readDumps([corpusPath('rbac', 'vulnerable', 'kubehound', 'collector-testdata')]);
    expect(r.files).toBe(11);
    expect(r.counts).toEqual({ clusterRoleBindings: 1, clusterRoles: 1, pods: 1, roleBindings: 1, roles: 1, nodes: 1 });
    expect(r.skipped).toEqual({ EndpointSlice: 1 });
    expect(r.read).toBe(10); // 6 kept + 1 EndpointSlice + the namespace-2 copies of the Pod, Role and RoleBinding
    expect(r.notes.filter((n) => n.level === 'warning').map((n) => n.resource)).toEqual(['pods', 'roleBindings', 'roles']);
  });

  it('reads the whole rbac/vulnerable folder without throwing, keeping plausible counts', async () => {
    const r = await readDumps([corpusPath('rbac', 'vulnerable')]);
    const c = r.counts as Record<keyof ClusterSnapshot, number>;
    // README: Pod 82, RoleBinding 64, ClusterRole 58, ServiceAccount 54 … counted before the many duplicates
    // across test cases (kubescape reuses names such as default/test), which collapse here
    expect(c.pods).toBeGreaterThan(50);
    expect(c.pods).toBeLessThanOrEqual(82);
    expect(c.serviceAccounts).toBeGreaterThan(20);
    expect(c.serviceAccounts).toBeLessThanOrEqual(54);
    expect(c.clusterRoles).toBeGreaterThan(10);
    expect(c.roleBindings).toBeGreaterThan(20);
    expect(c.secrets).toBe(6);
    expect(r.files).toBeGreaterThan(500);
    expect(r.objects).toBeLessThan(r.read);
    // kubescape's expected.json / rule metadata files are not Kubernetes objects: reported, not fatal
    expect(r.notes.some((n) => n.level === 'error' && /expected\.json: contains objects without kind/.test(n.message))).toBe(
      true,
    );
    const again = await readDumps([corpusPath('rbac', 'vulnerable')]);
    expect(again.snapshot).toEqual(r.snapshot);
  });
});
