/**
 * Credential lifecycle on the real test cluster: legacy token Secrets (made the way current Kubernetes
 * still allows) with their age and last use, projected tokens with their expiry, rotations on the
 * timeline, the findings of the seeded demo namespaces against a hand-checked list, and `nhi credentials`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type V1Secret } from '@kubernetes/client-node';
import type pg from 'pg';
import { expect, it } from 'vitest';
import { adminKubeConfig, eventually, type TestCluster } from '@/e2e/cluster/harness';
import { withClusterAndStore } from '@/e2e/setup/cluster-store';
import type { TestDatabase } from '@/e2e/setup/test-database';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { allCredentials, credentialFilterSchema } from '@/lib/data/credentials';
import { getIdentity } from '@/lib/data/identities';
import { createPrisma } from '@/lib/db/client';
import { repoRoot } from '@/lib/paths';
import { collectOnce } from './collect';
import { resolveTargets } from './kube';

let cluster: TestCluster;
let db: TestDatabase;
let pool: pg.Pool;
const ns = `it-cred-${Date.now().toString(36)}`;
withClusterAndStore('credentials', { seed: true, namespace: ns }, (s) => ({ cluster, db, pool } = s));

const CLUSTER = 'cred-cluster';
const collect = async () => {
  const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
  const outcome = await collectOnce(pool, { ...target!, name: CLUSTER }, undefined, { tlsCertificates: true });
  expect(outcome.phase).toBe('succeeded');
  return outcome;
};

const credential = async (namespace: string, name: string) =>
  (
    await pool.query<{
      class: string;
      kind: string;
      createdInClusterAt: Date | null;
      rotatedAt: Date | null;
      lastUsedAt: Date | null;
      lastUsedSource: string | null;
      expiresAt: Date | null;
      metadata: Record<string, unknown>;
      identity: string | null;
    }>(
      `SELECT c.class, c.kind::text AS kind, c."createdInClusterAt", c."rotatedAt", c."lastUsedAt", c."lastUsedSource", c."expiresAt", c.metadata,
              i.namespace || '/' || i.name AS identity
       FROM "Credential" c JOIN "Cluster" k ON k.id = c."clusterId" LEFT JOIN "Identity" i ON i.id = c."identityId"
       WHERE k.name = $1 AND c.namespace = $2 AND c.name = $3 AND c."deletedAt" IS NULL`,
      [CLUSTER, namespace, name],
    )
  ).rows[0];

const today = () => new Date().toISOString().slice(0, 10);

describeWithCorpus('credential lifecycle on the real test cluster', () => {
  it('finds a legacy token Secret with its age, and its last use once the token is used', async () => {
    const kc = adminKubeConfig(cluster);
    const api = KubernetesObjectApi.makeApiClient(kc);
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'old-ci', namespace: ns } });
    // The way current Kubernetes still allows: an annotated Secret of this type, filled by the token controller.
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'old-ci-token', namespace: ns, annotations: { 'kubernetes.io/service-account.name': 'old-ci' } },
    });
    const core = kc.makeApiClient(CoreV1Api);
    const filled = await eventually('the token controller fills the Secret', async () => {
      const s: V1Secret = await core.readNamespacedSecret({ name: 'old-ci-token', namespace: ns });
      return s.data?.token ? s : undefined;
    });

    await collect();
    const before = await credential(ns, 'old-ci-token');
    expect(before).toMatchObject({
      class: 'legacy-service-account-token',
      kind: 'LegacyServiceAccountToken',
      identity: `${ns}/old-ci`,
    });
    expect(before!.createdInClusterAt!.getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(before!.lastUsedAt).toBeNull();

    // Use the token once (the test reads it; the product never does): the API server stamps the Secret.
    const token = Buffer.from(filled.data!.token!, 'base64').toString('utf8');
    const asToken = new KubeConfig();
    asToken.loadFromOptions({
      clusters: kc.clusters,
      users: [{ name: 'legacy', token }],
      contexts: [{ name: 'legacy', cluster: kc.getCurrentCluster()!.name, user: 'legacy' }],
      currentContext: 'legacy',
    });
    await asToken
      .makeApiClient(CoreV1Api)
      .listNamespacedServiceAccount({ namespace: ns })
      .catch(() => {});
    await eventually('the API server records the legacy token use', async () => {
      const s = await core.readNamespacedSecret({ name: 'old-ci-token', namespace: ns });
      return s.metadata?.labels?.['kubernetes.io/legacy-token-last-used'];
    });

    await collect();
    const after = await credential(ns, 'old-ci-token');
    expect(after!.lastUsedAt?.toISOString().slice(0, 10)).toBe(today());
    expect(after!.lastUsedSource).toBe('label kubernetes.io/legacy-token-last-used');
    // The label moved the resourceVersion, but no data changed: not a rotation.
    expect(after!.rotatedAt).toBeNull();
  });

  it('recognises projected tokens with their audience and expiry, and records rotations on the timeline', async () => {
    const kc = adminKubeConfig(cluster);
    const api = KubernetesObjectApi.makeApiClient(kc);
    await api.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vault-client', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'vault-client' } },
        template: {
          metadata: { labels: { app: 'vault-client' } },
          spec: {
            serviceAccountName: 'old-ci',
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'c',
                image: 'registry.example/vault-client:1',
                env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-db', key: 'password' } } }],
                volumeMounts: [{ name: 'vault-token', mountPath: '/var/run/vault' }],
              },
            ],
            volumes: [
              {
                name: 'vault-token',
                projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 1800 } }] },
              },
            ],
          },
        },
      },
    });
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'orders-db', namespace: ns },
      stringData: { password: 'first' },
    });
    await collect();
    const projected = await credential(ns, 'Deployment/vault-client/vault-token');
    expect(projected).toMatchObject({
      class: 'projected-service-account-token',
      kind: 'ProjectedToken',
      identity: `${ns}/old-ci`,
    });
    expect(projected!.metadata).toMatchObject({ audience: 'vault', expirationSeconds: 1800 });
    expect(await credential(ns, 'Deployment/vault-client/automount')).toBeUndefined(); // automount is off
    expect((await credential(ns, 'orders-db'))!.class).toBe('database-credential');

    // Rotation 1: the value replaced in place (same metadata). Rotation 2: deleted and created again.
    const core = kc.makeApiClient(CoreV1Api);
    await core.replaceNamespacedSecret({
      name: 'orders-db',
      namespace: ns,
      body: { metadata: { name: 'orders-db', namespace: ns }, type: 'Opaque', stringData: { password: 'second' } },
    });
    await collect();
    const replaced = await credential(ns, 'orders-db');
    expect(replaced!.rotatedAt).not.toBeNull();
    await core.deleteNamespacedSecret({ name: 'orders-db', namespace: ns });
    await api.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'orders-db', namespace: ns },
      stringData: { password: 'third' },
    });
    await collect();
    const events = await pool.query<{ kind: string; summary: string; reason: string; credential: string }>(
      `SELECT t.kind, t.summary, t.details->>'reason' AS reason, c.name AS credential FROM "TimelineEvent" t JOIN "Credential" c ON c.id = t."credentialId"
       WHERE c.namespace = $1 ORDER BY t.at`,
      [ns],
    );
    expect(events.rows.map((e) => [e.kind, e.credential, e.reason])).toEqual([
      ['credential.rotated', 'orders-db', 'data replaced'],
      ['credential.rotated', 'orders-db', 'recreated'],
    ]);
    expect(events.rows[1]!.summary).toBe(`Secret ${ns}/orders-db (OpaqueSecret) was deleted and created again`);
    // The identity page shows the rotations of the credentials its workloads use.
    const prisma = createPrisma(db.url);
    try {
      const { id } = (
        await pool.query<{ id: string }>(`SELECT id FROM "Identity" WHERE namespace = $1 AND name = 'old-ci'`, [ns])
      ).rows[0]!;
      const identity = await getIdentity(prisma, id);
      expect(identity!.timeline.filter((e) => e.kind === 'credential.rotated').map((e) => e.details)).toEqual([
        expect.objectContaining({ reason: 'recreated' }),
        expect.objectContaining({ reason: 'data replaced' }),
      ]);
    } finally {
      await prisma.$disconnect();
    }
    // The values never reached the database.
    const text = (await pool.query<{ t: string }>(`SELECT string_agg(row_to_json(c)::text, '') AS t FROM "Credential" c`))
      .rows[0]!.t;
    for (const value of ['first', 'second', 'third']) expect(text).not.toContain(`"${value}"`);
  });

  it('judges the seeded demo namespaces exactly as a person would (hand-checked list)', async () => {
    await collect();
    const demo = ['payments', 'checkout', 'data-platform', 'monitoring'];
    const rows = await pool.query<{ f: string; severity: string; owasp: string[] }>(
      `SELECT f."ruleId" || ' ' || f."subjectKey" AS f, f.severity, f."owaspIds" AS owasp FROM "Finding" f JOIN "Cluster" k ON k.id = f."clusterId"
       WHERE k.name = $1 AND f.status = 'open' AND split_part(f."subjectKey", '/', CASE WHEN f."subjectKey" LIKE 'ServiceAccount/%' THEN 2 ELSE 1 END) = ANY($2)
       ORDER BY 1`,
      [CLUSTER, demo],
    );
    // The seed makes the certificate valid for 20 days: expiring on a fresh cluster, expired on one seeded long ago.
    const tls = await credential('checkout', 'checkout-tls');
    const expired = tls!.expiresAt!.getTime() < Date.now();
    expect(rows.rows.map((r) => r.f)).toEqual([
      // Three legacy token Secrets: "kept for the old CI", the ETL job's, and the orphan of a replaced exporter.
      'NHI-CRED-001 data-platform/LegacyServiceAccountToken/etl-runner-token',
      'NHI-CRED-001 monitoring/LegacyServiceAccountToken/legacy-exporter-token',
      'NHI-CRED-001 payments/LegacyServiceAccountToken/payments-api-legacy-token',
      // The storefront certificate, made by the seed to expire 20 days after it was issued.
      `${expired ? 'NHI-CRED-003' : 'NHI-CRED-002'} checkout/TlsCertificate/checkout-tls`,
    ]);
    expect(rows.rows.map((r) => `${r.severity} ${r.owasp.join(',')}`)).toEqual([
      'high NHI7',
      'high NHI7',
      'high NHI7',
      `${expired ? 'high' : 'medium'} NHI7`,
    ]);
  });

  it('`nhi credentials --json` lists every credential with class, age, expiry, last use, identities and workloads', async () => {
    const r = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'bin', 'nhi.mjs'), 'credentials', '--json', '--cluster', CLUSTER],
      {
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(list.length).toBeGreaterThan(100);
    for (const c of list) {
      expect(Object.keys(c).slice(0, 10)).toEqual([
        'cluster',
        'namespace',
        'name',
        'class',
        'ageDays',
        'expiresAt',
        'lastUsedAt',
        'identities',
        'workloads',
        'lifetime',
      ]);
    }
    const tls = list.find((c) => c.namespace === 'checkout' && c.name === 'checkout-tls')!;
    expect(tls.class).toBe('tls-certificate');
    expect(typeof tls.expiresAt).toBe('string');
    const legacy = list.find((c) => c.namespace === ns && c.name === 'old-ci-token')!;
    expect(legacy).toMatchObject({
      class: 'legacy-service-account-token',
      ageDays: 0,
      identities: [`ServiceAccount/${ns}/old-ci`],
    });
    expect(String(legacy.lastUsedAt).slice(0, 10)).toBe(today());
    const irsa = list.find((c) => c.class === 'workload-identity-federation' && c.namespace === 'payments');
    expect(irsa).toMatchObject({
      name: 'arn:aws:iam::111122223333:role/payments-api',
      identities: ['ServiceAccount/payments/payments-api'],
    });

    // The read layer agrees with the command.
    const prisma = createPrisma(db.url);
    try {
      const rows = await allCredentials(
        prisma,
        credentialFilterSchema.parse({ cluster: CLUSTER, lifetime: 'long-lived', olderThan: '0' }),
        new Date(Date.now() + 2 * 86_400_000),
      );
      expect(rows.every((x) => x.lifetime === 'long-lived' && (x.ageDays ?? 0) >= 1)).toBe(true);
    } finally {
      await prisma.$disconnect();
    }
  });
});
