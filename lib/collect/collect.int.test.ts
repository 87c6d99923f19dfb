import { spawn } from 'node:child_process';
import { bearerOf } from '@/lib/auth/test-principal';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { adminKubeConfig, canaryNeedles, eventually, serviceAccountToken, type TestCluster } from '@/e2e/cluster/harness';
import { collectorKubeconfig, databaseText as databaseTextOf, withClusterAndStore } from '@/e2e/setup/cluster-store';
import type { TestDatabase } from '@/e2e/setup/test-database';
import { runNhi } from '@/lib/cli/run-nhi';
import { repoRoot } from '@/lib/paths';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { collectOnce, listSnapshot } from './collect';
import { readDumps } from './import';
import { normalize } from './normalize';
import { collectionPath, resources } from './resources';
import { kubeGet, resolveTargets } from './kube';
import { identityFilterSchema, identityInventory } from '@/lib/data/identities';
import { createPrisma } from '@/lib/db/client';
import { watchCluster } from './watch';

let cluster: TestCluster;
let db: TestDatabase;
let pool: pg.Pool;

withClusterAndStore('collect', { seed: true }, (s) => ({ cluster, db, pool } = s));

/** The inventory with links, as `nhi identities --json` prints it. */
async function inventory(filter: { cluster?: string; namespace?: string }) {
  const prisma = createPrisma(db.url);
  try {
    return await identityInventory(prisma, identityFilterSchema.parse({ ...filter, builtIn: 'show' }));
  } finally {
    await prisma.$disconnect();
  }
}

const databaseText = () => databaseTextOf(pool);

describeWithCorpus('live collection from the real test cluster', () => {
  it('collects every seeded identity with links: pods → workloads → ServiceAccounts → credentials, cloud and SPIFFE identities, owners', async () => {
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const outcome = await collectOnce(pool, { ...target!, name: 'test-cluster' });
    expect(outcome.phase).toBe('succeeded');
    expect(outcome.counts.serviceAccounts).toBeGreaterThan(50);
    expect(outcome.notes.filter((n) => n.level === 'error')).toEqual([]);

    const payments = await inventory({ cluster: 'test-cluster', namespace: 'payments' });
    const api = payments.find((i) => i.kind === 'ServiceAccount' && i.name === 'payments-api');
    expect(api).toBeDefined();
    expect(api!.workloads.map((w) => `${w.kind}/${w.name}`)).toContain('Deployment/payments-api');
    const creds = api!.credentials.map((c) => `${c.kind}/${c.name}`);
    expect(creds).toContain('OpaqueSecret/payments-db');
    expect(api!.credentials.find((c) => c.name === 'payments-db')!.via).toContain('env');
    expect(api!.linkedIdentities.some((l) => l.link === 'aws-irsa' && l.name.startsWith('arn:aws:iam::'))).toBe(true);
    expect(
      api!.linkedIdentities.some((l) => l.link === 'spiffe' && l.name === 'spiffe://cluster.local/ns/payments/sa/payments-api'),
    ).toBe(true);
    expect(api!.owners.length).toBeGreaterThan(0);

    // A Deployment's pods (made by the real controller-manager) resolve to the Deployment, not the ReplicaSet.
    const workloads = await pool.query<{ kind: string; name: string; podCount: number }>(
      `SELECT kind, name, "podCount" FROM "Workload" WHERE namespace = 'payments' AND "deletedAt" IS NULL ORDER BY name`,
    );
    expect(workloads.rows.filter((w) => w.kind === 'ReplicaSet')).toEqual([]);

    // Built-in controllers are marked as such.
    const builtIn = await pool.query(
      `SELECT "builtIn" FROM "Identity" WHERE kind = 'ServiceAccount' AND namespace = 'kube-system' AND name = 'generic-garbage-collector'`,
    );
    expect(builtIn.rows).toEqual([{ builtIn: true }]);
  });

  it('stores no planted canary Secret value anywhere in the database', async () => {
    const needles = canaryNeedles(cluster);
    expect(needles.length).toBeGreaterThan(0);
    const text = await databaseText();
    expect(text.length).toBeGreaterThan(10_000);
    const leaked = needles.filter((n) => text.includes(n));
    expect(leaked.length, 'canary values found in the database').toBe(0);
    expect(text).not.toContain('last-applied-configuration');
  });

  it('prints no canary value in what the CLI answers (identities with links as JSON)', async () => {
    const out = JSON.stringify(await inventory({}));
    expect(out.length).toBeGreaterThan(10_000);
    expect(canaryNeedles(cluster).filter((n) => out.includes(n)).length).toBe(0);
  });

  it("says no canary value anywhere: the CLI (collect output, JSON inventory, can/who-can), the web app's data for every identity page, and its API", async () => {
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const nhi = (...args: string[]) => {
      const r = runNhi(db.url, ...args);
      expect(r.status, `nhi ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout + r.stderr;
    };
    const said: string[] = [];
    said.push(nhi('collect', '--once', '--kubeconfig', cluster.kubeconfigPath));
    expect(said[0]).toContain(`${target!.name}: succeeded`);
    said.push(nhi('collect', '--once', '--kubeconfig', cluster.kubeconfigPath, '--json'));
    said.push(nhi('identities', '--json', '--cluster', target!.name));
    said.push(nhi('clusters', '--json'));
    said.push(nhi('who-can', 'get', 'secrets', '-n', 'payments', '--cluster', target!.name, '--json'));
    said.push(
      nhi(
        'can',
        'system:serviceaccount:payments:payments-api',
        'get',
        'secrets',
        '-n',
        'payments',
        '--cluster',
        target!.name,
        '--json',
      ),
    );

    // What the web app's pages and API routes are built from, for every identity of that cluster.
    const previousUrl = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    try {
      const { GET: clustersRoute } = await import('@/app/api/clusters/route');
      const headers = await bearerOf(db.url);
      said.push(await (await clustersRoute(new Request('http://127.0.0.1/api/clusters', { headers }))).text());
      const { getIdentity, listIdentities, PAGE_SIZE } = await import('@/lib/data/identities');
      const { prisma } = await import('@/lib/db/client');
      let pages = 0;
      let details = 0;
      for (let page = 1; ; page++) {
        const { rows, total } = await listIdentities(
          prisma(),
          identityFilterSchema.parse({ cluster: target!.name, builtIn: 'show', page: String(page) }),
        );
        said.push(JSON.stringify(rows));
        pages++;
        for (const row of rows) {
          said.push(JSON.stringify(await getIdentity(prisma(), row.id)));
          details++;
        }
        if (page * PAGE_SIZE >= total) break;
      }
      expect(pages).toBeGreaterThan(1);
      expect(details).toBeGreaterThan(100);
    } finally {
      const { prisma } = await import('@/lib/db/client');
      await prisma().$disconnect();
      process.env.DATABASE_URL = previousUrl;
    }
    const text = said.join('\n');
    expect(text.length).toBeGreaterThan(100_000);
    expect(canaryNeedles(cluster).filter((n) => text.includes(n))).toEqual([]);
  });

  it('an import of full `kubectl get -o json`-style dumps (Secret values included) gives the same inventory as live collection', async () => {
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    // What an operator would hand over: every resource as the API serves it, Secrets with their data.
    const writeDumps = async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-dump-'));
      for (const spec of resources.filter((r) => !r.optional)) {
        writeFileSync(path.join(dir, `${spec.plural}.json`), JSON.stringify(await kubeGet(target!.kc, collectionPath(spec))));
      }
      try {
        return await readDumps([dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    // The controller-manager may still be creating Pods for freshly seeded workloads. Compare only a
    // live listing taken between two dumps that agree, i.e. while the cluster held still.
    let dump: Awaited<ReturnType<typeof writeDumps>> | undefined;
    let live: ReturnType<typeof normalize> | undefined;
    for (let attempt = 0; attempt < 20 && !live; attempt++) {
      const before = await writeDumps();
      const listed = normalize((await listSnapshot(target!)).snapshot);
      const after = await writeDumps();
      if (JSON.stringify(normalize(before.snapshot)) === JSON.stringify(normalize(after.snapshot))) {
        dump = before;
        live = listed;
      } else await new Promise((r) => setTimeout(r, 1000));
    }
    if (!dump || !live) throw new Error('the cluster kept changing for 20 attempts; nothing to compare');
    expect(dump.notes.filter((n) => n.level === 'error')).toEqual([]);
    const imported = normalize(dump.snapshot);
    expect(imported.identities).toEqual(live.identities);
    expect(imported.workloads).toEqual(live.workloads);
    expect(imported.credentials).toEqual(live.credentials);
    expect(imported.credentialUses).toEqual(live.credentialUses);
    expect(imported.bindings).toEqual(live.bindings);
    expect(imported.roles).toEqual(live.roles);
    expect(imported.identityLinks).toEqual(live.identityLinks);
    expect(imported.ownerHints).toEqual(live.ownerHints);
    const text = JSON.stringify(dump.snapshot);
    expect(canaryNeedles(cluster).filter((n) => text.includes(n)).length).toBe(0);
  });

  it('collects with exactly the shipped read-only collector ClusterRole', async () => {
    const kubeconfig = await collectorKubeconfig(cluster);
    const [target] = resolveTargets({ kubeconfig });
    const outcome = await collectOnce(pool, { ...target!, name: 'least-privilege' });
    expect(outcome.notes.filter((n) => n.level !== 'info')).toEqual([]);
    expect(outcome.phase).toBe('succeeded');
    expect(outcome.counts.secrets).toBeGreaterThan(0);
  });

  it('collects in-cluster, as a Pod would: the mounted ServiceAccount token, CA and the service environment', async () => {
    // The previous test installed the shipped ClusterRole for nhi-system/nhi-collector.
    const { token } = await serviceAccountToken(cluster, 'nhi-system', 'nhi-collector');
    const root = mkdtempSync(path.join(os.tmpdir(), 'nhi-pod-'));
    const mount = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(mount, { recursive: true });
    writeFileSync(path.join(mount, 'token'), token);
    writeFileSync(path.join(mount, 'ca.crt'), readFileSync(cluster.caFile));
    writeFileSync(path.join(mount, 'namespace'), 'nhi-system');
    const server = new URL(cluster.server);
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    try {
      delete process.env.KUBERNETES_SERVICE_HOST;
      expect(() => resolveTargets({ inCluster: true, inClusterRoot: root })).toThrow(/KUBERNETES_SERVICE_HOST/);
      process.env.KUBERNETES_SERVICE_HOST = server.hostname;
      process.env.KUBERNETES_SERVICE_PORT = server.port;
      const [target] = resolveTargets({ inCluster: true, inClusterRoot: root });
      expect(target!.source).toBe('in_cluster');
      const outcome = await collectOnce(pool, { ...target!, name: 'in-cluster-test' });
      expect(outcome.notes.filter((n) => n.level !== 'info')).toEqual([]);
      expect(outcome.phase).toBe('succeeded');
      expect(outcome.counts.serviceAccounts).toBeGreaterThan(50);
      const row = await pool.query(`SELECT source FROM "Cluster" WHERE name = 'in-cluster-test'`);
      expect(row.rows).toEqual([{ source: 'in_cluster' }]);
    } finally {
      for (const [k, v] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('watch: additions, changes and deletions reach the database within 5 s, with timeline events', async () => {
    const kc = adminKubeConfig(cluster);
    const api = KubernetesObjectApi.makeApiClient(kc);
    const ns = `watch-${Date.now().toString(36)}`;
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const controller = new AbortController();
    // The watcher's own log (relists, saves), shown when the test fails.
    const watchLog: string[] = [];
    const log = (line: string) => watchLog.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    const watching = watchCluster(pool, { ...target!, name: 'watched' }, { signal: controller.signal, debounceMs: 200, log });
    try {
      await eventually(
        'initial sync',
        async () =>
          ((await pool.query(`SELECT 1 FROM "Cluster" WHERE name = 'watched' AND "lastSyncAt" IS NOT NULL`)).rowCount ?? 0) > 0,
        60_000,
      );
      const sa = (name: string) =>
        pool.query<{ deletedAt: Date | null }>(
          `SELECT i."deletedAt" FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId" WHERE c.name = 'watched' AND i.kind = 'ServiceAccount' AND i.namespace = $1 AND i.name = $2 AND i.uid IS NOT NULL`,
          [ns, name],
        );
      let t0 = Date.now();
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: ns } });
      await eventually('SA appears', async () => (await sa('robot')).rows[0]?.deletedAt === null, 5_000);
      const addLatency = Date.now() - t0;

      t0 = Date.now();
      await api.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'robot-view', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: ns }],
      } as KubernetesObject);
      const bindingEvent = async (kind: string) =>
        ((
          await pool.query(
            `SELECT 1 FROM "TimelineEvent" e JOIN "Cluster" c ON c.id = e."clusterId" WHERE c.name = 'watched' AND e.kind = $1 AND e.details->>'binding' = $2`,
            [kind, `RoleBinding/${ns}/robot-view`],
          )
        ).rowCount ?? 0) > 0;
      await eventually('binding.added event', () => bindingEvent('binding.added'), 5_000);
      const bindLatency = Date.now() - t0;

      // Changing an existing workload: its image and the ServiceAccount it runs as.
      const deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'robot-app', namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'robot-app' } },
          template: {
            metadata: { labels: { app: 'robot-app' } },
            spec: { serviceAccountName: 'robot-runner', containers: [{ name: 'app', image: 'registry.example/robot-app:1.0' }] },
          },
        },
      };
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot-runner', namespace: ns } });
      await api.create(deployment as KubernetesObject);
      const workloadEvent = async (kind: string) =>
        ((
          await pool.query(
            `SELECT 1 FROM "TimelineEvent" e JOIN "Cluster" c ON c.id = e."clusterId" WHERE c.name = 'watched' AND e.kind = $1 AND e.summary LIKE $2`,
            [kind, `Deployment ${ns}/robot-app %`],
          )
        ).rowCount ?? 0) > 0;
      await eventually(
        'the Deployment stored',
        async () =>
          ((
            await pool.query(
              `SELECT 1 FROM "Workload" w JOIN "Cluster" c ON c.id = w."clusterId" WHERE c.name = 'watched' AND w.namespace = $1 AND w.name = 'robot-app'`,
              [ns],
            )
          ).rowCount ?? 0) > 0,
        5_000,
      );
      t0 = Date.now();
      const current = (await api.read({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'robot-app', namespace: ns },
      })) as typeof deployment;
      current.spec.template.spec.serviceAccountName = 'default';
      current.spec.template.spec.containers[0]!.image = 'registry.example/robot-app:2.0';
      await api.replace(current as KubernetesObject);
      await eventually('workload.image_changed event', () => workloadEvent('workload.image_changed'), 5_000);
      await eventually('workload.sa_changed event', () => workloadEvent('workload.sa_changed'), 5_000);
      const changeLatency = Date.now() - t0;

      // Removing the binding, then the ServiceAccount: the SA is no longer referenced, so its row is
      // marked deleted (kept for history), and both changes are on its timeline.
      await api.delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'robot-view', namespace: ns },
      });
      await eventually('binding.removed event', () => bindingEvent('binding.removed'), 5_000);
      t0 = Date.now();
      await api.delete({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: ns } });
      await eventually(
        'SA marked deleted',
        async () => {
          const rows = await pool.query<{ deletedAt: Date | null }>(
            `SELECT i."deletedAt" FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId" WHERE c.name = 'watched' AND i.kind = 'ServiceAccount' AND i.namespace = $1 AND i.name = 'robot'`,
            [ns],
          );
          return rows.rows[0]?.deletedAt instanceof Date;
        },
        5_000,
      );
      const deleteLatency = Date.now() - t0;
      const events = await pool.query<{ kind: string; summary: string }>(
        `SELECT e.kind, e.summary FROM "TimelineEvent" e JOIN "Cluster" c ON c.id = e."clusterId" WHERE c.name = 'watched' ORDER BY e.at`,
      );
      expect(events.rows.filter((e) => e.summary.includes(`${ns}/robot`)).map((e) => e.kind)).toEqual(
        expect.arrayContaining(['sa.created', 'binding.added', 'binding.removed', 'sa.deleted']),
      );
      expect(canaryNeedles(cluster).filter((n) => watchLog.join('\n').includes(n))).toEqual([]);
      // One run for the watch session; the incremental saves only move lastSyncAt on.
      const runs = await pool.query(
        `SELECT r.mode, r.phase::text AS phase FROM "CollectionRun" r JOIN "Cluster" c ON c.id = r."clusterId" WHERE c.name = 'watched'`,
      );
      expect(runs.rows).toEqual([{ mode: 'watch', phase: 'succeeded' }]);
      console.log(
        `watch latency: add ${addLatency} ms, bind ${bindLatency} ms, change ${changeLatency} ms, delete ${deleteLatency} ms`,
      );
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}\nwatcher log:\n${watchLog.join('\n')}`);
    } finally {
      controller.abort();
      await watching;
      await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch(() => {});
    }
  });

  it('`nhi collect --watch` keeps the database current and stops cleanly on SIGTERM, exit status 0', async () => {
    const api = KubernetesObjectApi.makeApiClient(adminKubeConfig(cluster));
    const ns = `cli-watch-${Date.now().toString(36)}`;
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'nhi.mjs'), 'collect', '--watch', '--kubeconfig', cluster.kubeconfigPath],
      {
        env: { ...process.env, DATABASE_URL: db.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await eventually('the first listing stored', () => output.includes(`${target!.name}: listed and stored`), 60_000);
      await api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'via-cli', namespace: ns } });
      await eventually(
        'the ServiceAccount in the database',
        async () =>
          (
            await pool.query(
              `SELECT 1 FROM "Identity" i JOIN "Cluster" c ON c.id = i."clusterId" WHERE c.name = $1 AND i.namespace = $2 AND i.name = 'via-cli' AND i."deletedAt" IS NULL`,
              [target!.name, ns],
            )
          ).rowCount === 1,
        5_000,
      );
      const t0 = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      expect(code, output).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(output).toContain('SIGTERM: stopping');
      expect(output).toMatch(/stopped\n?$/);
      expect(canaryNeedles(cluster).filter((n) => output.includes(n))).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch(() => {});
    }
  });
});
