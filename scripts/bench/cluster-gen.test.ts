import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

import { readDumps } from '@/lib/collect/import';

import {
  BENCH_LABEL,
  BENCH_PLAN_ANNOTATION,
  BENCH_POD_ANNOTATION,
  BENCH_POD_ANNOTATION_VALUE,
  FULL_SCALE,
  allocate,
  benchClusterAsList,
  benchCounts,
  benchObjectCount,
  benchPlanId,
  generateBenchCluster,
  scaledDown,
} from './cluster-gen';
import type { Manifest } from './cluster-gen';
import { Semaphore, describeApiError, pool } from './load-cluster';

const small = generateBenchCluster(scaledDown(50));
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

function allObjects(c = small): Manifest[] {
  return [
    ...c.admission,
    ...c.namespaces,
    ...c.clusterRoles,
    ...c.roles,
    ...c.serviceAccounts,
    ...c.secrets,
    ...c.roleBindings,
    ...c.clusterRoleBindings,
    ...c.workloads.flatMap((w) => [w.deployment, w.replicaSet, ...w.pods]),
    ...c.barePods,
  ];
}

describe('generateBenchCluster', () => {
  it('has the issue’s counts at full scale: 10,000 SAs, 50,000 Secrets, 20,000 bindings, 30,000 Pods', () => {
    const full = generateBenchCluster(FULL_SCALE);
    const c = benchCounts(full);
    expect(c.ServiceAccount).toBe(10_000);
    expect(c.Secret).toBe(50_000);
    expect(c.RoleBinding! + c.ClusterRoleBinding!).toBe(20_000);
    expect(c.Pod).toBe(30_000);
    expect(c.Namespace).toBe(200);
    expect(c.Deployment).toBe(c.ReplicaSet);
    expect(benchObjectCount(full)).toBe(Object.values(c).reduce((a, b) => a + b, 0));
    const types = new Map<string, number>();
    for (const s of full.secrets) types.set(String(s.type), (types.get(String(s.type)) ?? 0) + 1);
    expect([...types.keys()].sort()).toEqual([
      'Opaque',
      'kubernetes.io/dockerconfigjson',
      'kubernetes.io/service-account-token',
      'kubernetes.io/tls',
    ]);
    expect(types.get('kubernetes.io/service-account-token')).toBeGreaterThan(4_000);
  });

  it('is deterministic: same seed, same objects; another seed, other objects', () => {
    expect(generateBenchCluster(scaledDown(50))).toEqual(small);
    const other = generateBenchCluster({ ...scaledDown(50), seed: 7 });
    expect(other.serviceAccounts.length).toBe(small.serviceAccounts.length);
    expect(other).not.toEqual(small);
  });

  it('scales every count down (1/50: 200 SAs, 1,000 Secrets, 400 bindings, 600 Pods)', () => {
    const c = benchCounts(small);
    expect(c).toMatchObject({
      ServiceAccount: 200,
      Secret: 1000,
      RoleBinding: 360,
      ClusterRoleBinding: 40,
      Pod: 600,
      Namespace: 4,
    });
  });

  it('makes valid, unique, labelled objects', () => {
    const seen = new Set<string>();
    for (const m of allObjects()) {
      expect(seen.has(key(m)), key(m)).toBe(false);
      seen.add(key(m));
      expect(m.metadata.labels?.[BENCH_LABEL], key(m)).toBe('load');
      for (const v of Object.values(m.metadata.labels ?? {})) expect(v, key(m)).toMatch(labelValue);
      const nameRule = m.kind === 'Namespace' || m.kind === 'ServiceAccount' ? dns1123Label : dns1123Subdomain;
      expect(m.metadata.name, key(m)).toMatch(nameRule);
      expect(m.metadata.name.length).toBeLessThanOrEqual(m.kind === 'Namespace' ? 63 : 253);
      if (m.kind !== 'Namespace' && !m.kind.startsWith('Cluster') && !m.kind.startsWith('ValidatingAdmission')) {
        expect(m.metadata.namespace, key(m)).toMatch(/^bench-/);
      }
    }
    for (const m of [...small.namespaces, ...small.clusterRoles, ...small.clusterRoleBindings])
      expect(m.metadata.name).toMatch(/^bench-/);
    // the loader refuses to mix plans: each namespace says which plan it belongs to
    for (const n of small.namespaces) expect(n.metadata.annotations?.[BENCH_PLAN_ANNOTATION]).toBe(benchPlanId(small.scale));
    expect(benchPlanId(small.scale)).not.toBe(benchPlanId(FULL_SCALE));
  });

  it('only references objects it creates (or built-in ClusterRoles)', () => {
    const sas = new Set(small.serviceAccounts.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    const secrets = new Set(small.secrets.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
    const roles = new Set(small.roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
    const clusterRoles = new Set([...small.clusterRoles.map((r) => r.metadata.name), 'view', 'edit', 'admin', 'cluster-admin']);
    for (const s of small.secrets.filter((x) => x.type === 'kubernetes.io/service-account-token')) {
      expect(sas.has(`${s.metadata.namespace}/${s.metadata.annotations?.['kubernetes.io/service-account.name']}`)).toBe(true);
    }
    for (const s of small.secrets.filter((x) => x.type === 'kubernetes.io/dockerconfigjson')) {
      const data = s.data as Record<string, string>;
      expect(() => JSON.parse(Buffer.from(data['.dockerconfigjson']!, 'base64').toString())).not.toThrow();
    }
    for (const s of small.secrets.filter((x) => x.type === 'kubernetes.io/tls'))
      expect(Object.keys(s.data as object).sort()).toEqual(['tls.crt', 'tls.key']);
    for (const b of small.roleBindings) {
      const ref = b.roleRef as { kind: string; name: string };
      expect(ref.kind === 'Role' ? roles.has(`${b.metadata.namespace}/${ref.name}`) : clusterRoles.has(ref.name), key(b)).toBe(
        true,
      );
    }
    for (const b of [...small.roleBindings, ...small.clusterRoleBindings]) {
      for (const s of b.subjects as { kind: string; name: string; namespace?: string }[]) {
        if (s.kind === 'ServiceAccount') expect(sas.has(`${s.namespace}/${s.name}`), key(b)).toBe(true);
      }
      if (b.kind === 'ClusterRoleBinding') expect(clusterRoles.has((b.roleRef as { name: string }).name)).toBe(true);
    }
    for (const pod of [...small.workloads.flatMap((w) => w.pods), ...small.barePods]) {
      const spec = pod.spec as {
        serviceAccountName?: string;
        imagePullSecrets?: { name: string }[];
        volumes?: { secret?: { secretName: string } }[];
        containers: { env?: { valueFrom: { secretKeyRef: { name: string } } }[] }[];
      };
      if (spec.serviceAccountName) expect(sas.has(`${pod.metadata.namespace}/${spec.serviceAccountName}`)).toBe(true);
      for (const p of spec.imagePullSecrets ?? []) expect(secrets.has(`${pod.metadata.namespace}/${p.name}`)).toBe(true);
      for (const v of spec.volumes ?? [])
        if (v.secret) expect(secrets.has(`${pod.metadata.namespace}/${v.secret.secretName}`)).toBe(true);
      for (const e of spec.containers[0]!.env ?? [])
        expect(secrets.has(`${pod.metadata.namespace}/${e.valueFrom.secretKeyRef.name}`)).toBe(true);
      expect(pod.metadata.annotations?.[BENCH_POD_ANNOTATION]).toBe(BENCH_POD_ANNOTATION_VALUE);
    }
  });

  it('shapes Deployment → ReplicaSet → Pods so that no controller has anything to do', () => {
    for (const w of small.workloads) {
      const d = w.deployment.spec as {
        replicas: number;
        paused: boolean;
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string> }; spec: unknown };
      };
      const rs = w.replicaSet.spec as typeof d;
      expect(d.paused).toBe(true);
      expect(rs.replicas).toBe(w.pods.length);
      expect(d.replicas).toBe(w.pods.length);
      // the Deployment controller takes our ReplicaSet as its current one: same template but the hash label
      const { 'pod-template-hash': hash, ...rsTemplateLabels } = rs.template.metadata.labels;
      expect(hash).toBeTruthy();
      expect(rsTemplateLabels).toEqual(d.template.metadata.labels);
      expect(rs.template.spec).toEqual(d.template.spec);
      expect(w.replicaSet.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: w.deployment.metadata.name,
          uid: '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      for (const p of w.pods) {
        // the ReplicaSet selects exactly its Pods, and they are controlled by it
        for (const [k, v] of Object.entries(rs.selector.matchLabels)) expect(p.metadata.labels?.[k]).toBe(v);
        for (const [k, v] of Object.entries(d.selector.matchLabels)) expect(p.metadata.labels?.[k]).toBe(v);
        expect(p.metadata.ownerReferences?.[0]).toMatchObject({
          kind: 'ReplicaSet',
          name: w.replicaSet.metadata.name,
          controller: true,
        });
        expect(p.spec).toEqual(rs.template.spec);
      }
    }
  });

  it('splits totals exactly', () => {
    expect(allocate(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(allocate(7, [5, 0.1, 0.1], 1).reduce((a, b) => a + b, 0)).toBe(7);
    expect(Math.min(...allocate(7, [5, 0.1, 0.1], 1))).toBe(1);
    expect(allocate(0, [1, 2])).toEqual([0, 0]);
  });
});

describe('benchClusterAsList + readDumps', () => {
  it('round-trips through the offline import with the planned counts and no Secret values', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-bench-dump-'));
    try {
      const file = path.join(dir, 'bench.json.gz');
      writeFileSync(file, gzipSync(JSON.stringify(benchClusterAsList(small))));
      const r = await readDumps([file]);
      const c = benchCounts(small);
      expect(r.counts).toEqual({
        namespaces: c.Namespace,
        serviceAccounts: c.ServiceAccount,
        secrets: c.Secret,
        pods: c.Pod,
        replicaSets: c.ReplicaSet,
        deployments: c.Deployment,
        roles: c.Role,
        clusterRoles: c.ClusterRole,
        roleBindings: c.RoleBinding,
        clusterRoleBindings: c.ClusterRoleBinding,
        validatingAdmissionPolicies: 1,
        validatingAdmissionPolicyBindings: 1,
      });
      expect(r.notes).toEqual([]);
      // owner uids line up: every Pod's ReplicaSet uid exists
      const rsUids = new Set(r.snapshot.replicaSets.map((x) => x.metadata.uid));
      expect(
        r.snapshot.pods.filter((p) => p.metadata.ownerReferences).every((p) => rsUids.has(p.metadata.ownerReferences![0]!.uid)),
      ).toBe(true);
      const text = JSON.stringify(r);
      const opaque = small.secrets.find((s) => s.type === 'Opaque')!;
      const password = (opaque.data as Record<string, string>).password!;
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(password, 'base64').toString());
      expect(text).not.toContain('bench-filler');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loader helpers', () => {
  it('Semaphore never lets more than its permits run, and pool visits every item once', async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await pool(
      Array.from({ length: 40 }, (_, i) => i),
      10,
      (i) =>
        sem.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 1));
          seen.push(i);
          running--;
        }),
    );
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('describes API errors without Secret contents', () => {
    const err = {
      code: 422,
      body: {
        reason: 'Invalid',
        message: 'Secret "x" is invalid: data[.dockerconfigjson]: Invalid value: "hunter2"',
        details: { causes: [{ field: 'data[.dockerconfigjson]', reason: 'FieldValueInvalid' }] },
      },
    };
    const m = { kind: 'Secret', metadata: { name: 'x', namespace: 'ns' } };
    const text = describeApiError(err, m);
    expect(text).toBe('Secret ns/x: HTTP 422 Invalid: data[.dockerconfigjson] FieldValueInvalid');
    expect(
      describeApiError(
        { ...err, body: { reason: 'Conflict', message: 'pods "p" already exists' } },
        { kind: 'Pod', metadata: { name: 'p' } },
      ),
    ).toBe('Pod p: HTTP 422 Conflict: pods "p" already exists');
  });
});
