/**
 * `nhi can` / `nhi who-can` on a real inventory: the test cluster (seeded with the corpus) is collected
 * into a database of this test's own, then known answers are checked through the CLI functions and the
 * commander commands, and the answers computed from the database are compared with the API server's
 * own (SubjectAccessReview).
 */
import { Command, CommanderError } from 'commander';
import type pg from 'pg';
import { afterAll, beforeAll, expect, inject, it, vi } from 'vitest';
import { describeWithCorpus } from '@/lib/corpus/testing';
import { adminKubeConfig, ensureCluster, seedCluster } from '@/e2e/cluster/harness';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { collectOnce } from '@/lib/collect/collect';
import { resolveTargets } from '@/lib/collect/kube';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import { GENERATED_PREFIX, kubeClients, listLiveRbac, sampleCorpusTuples } from '@/scripts/rbac-verify/agreement';
import { can } from '@/lib/rbac/evaluator';
import { formatRequest, formatUser } from '@/lib/rbac/explain';
import { resolveCluster } from '@/lib/data/clusters';
import { loadRbacSnapshot } from '@/lib/data/rbac';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { AppError } from '@/lib/errors';
import { buildIndex, type RbacIndex } from '@/lib/rbac/rbac-index';
import { createSarClient, type SarClient } from '@/scripts/rbac-verify/sar';
import type { RbacSnapshot } from '@/lib/rbac/types';
import {
  formatCanResult,
  formatWhoCanResult,
  loadRbacView,
  registerRbacCommands,
  runCan,
  runWhoCan,
  type RbacView,
} from './rbac';

const CLUSTER = 'test-cluster';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let view: RbacView;
let sar: SarClient;
let dbIndex: RbacIndex;
let liveSnapshot: RbacSnapshot;

beforeAll(async () => {
  const cluster = await ensureCluster();
  await seedCluster(cluster);
  db = await createTestDatabase(inject('serverUrl'), 'rbaccli');
  pool = openStore(db.url);
  const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
  const outcome = await collectOnce(pool, { ...target!, name: CLUSTER });
  expect(outcome.phase).toBe('succeeded');
  const kc = adminKubeConfig(cluster);
  sar = createSarClient(kc);
  const clients = kubeClients(kc);
  try {
    liveSnapshot = (await listLiveRbac(clients)).snapshot;
  } finally {
    await clients.close();
  }
  prisma = createPrisma(db.url);
  const row = await resolveCluster(prisma, CLUSTER);
  const loaded = await loadRbacSnapshot(prisma, row.id);
  expect(loaded.issues).toEqual([]);
  dbIndex = buildIndex(loaded.snapshot);
  view = await loadRbacView(prisma, undefined);
});

afterAll(async () => {
  await sar?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const notGenerated = (name: string) => !name.startsWith(GENERATED_PREFIX);

describeWithCorpus('RBAC snapshot from the database', () => {
  it('holds the same roles, rules and bindings as the API server (generated test objects aside)', () => {
    const db = dbIndex.snapshot;
    const key = (o: { metadata: { name: string; namespace?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const rulesOf = (list: { metadata: { name: string; namespace?: string }; rules: unknown[] }[]) =>
      Object.fromEntries(
        list
          .filter((o) => notGenerated(o.metadata.name) && notGenerated(o.metadata.namespace ?? ''))
          .map((o) => [key(o), o.rules]),
      );
    expect(rulesOf(db.clusterRoles)).toEqual(rulesOf(liveSnapshot.clusterRoles));
    expect(rulesOf(db.roles)).toEqual(rulesOf(liveSnapshot.roles));
    const bindingsOf = (
      list: { metadata: { name: string; namespace?: string }; roleRef: { kind: string; name: string }; subjects: unknown[] }[],
    ) =>
      Object.fromEntries(
        list
          .filter((o) => notGenerated(o.metadata.name) && notGenerated(o.metadata.namespace ?? ''))
          .map((o) => [key(o), { role: `${o.roleRef.kind}/${o.roleRef.name}`, subjects: o.subjects }]),
      );
    expect(bindingsOf(db.clusterRoleBindings)).toEqual(bindingsOf(liveSnapshot.clusterRoleBindings));
    expect(bindingsOf(db.roleBindings)).toEqual(bindingsOf(liveSnapshot.roleBindings));
    expect(db.clusterRoles.length).toBeGreaterThan(100);
  });

  it('answers like the API server on 300 sampled tuples about the corpus identities', async () => {
    const tuples = sampleCorpusTuples(dbIndex, 300, 99);
    const answers = await sar.reviewAll(tuples);
    const wrong = tuples.flatMap((t, i) =>
      can(dbIndex, t.user, t.attrs).allowed === answers[i]!.allowed
        ? []
        : [`${formatUser(t.user)}: ${formatRequest(t.attrs)}: SubjectAccessReview ${answers[i]!.allowed}`],
    );
    expect(wrong).toEqual([]);
  }, 120_000);
});

describeWithCorpus('nhi can / who-can on the collected test cluster', () => {
  it('flux kustomize-controller can * * cluster-wide through cluster-admin', async () => {
    const r = runCan(view, { subject: 'system:serviceaccount:flux-system:kustomize-controller', verb: '*', resource: '*' });
    expect(r.cluster).toBe(CLUSTER);
    expect(r.allowed).toBe(true);
    expect(r.reasons.every((x) => x.role.name === 'cluster-admin' && x.binding.kind === 'ClusterRoleBinding')).toBe(true);
    expect(r.reasons.map((x) => x.binding.name)).toContain('cluster-reconciler');
    expect(formatCanResult(r)).toContain(
      'ClusterRoleBinding cluster-reconciler (subject ServiceAccount flux-system/kustomize-controller) → ClusterRole cluster-admin rule #0',
    );
    // Its sibling source-controller is not cluster-admin.
    expect(runCan(view, { subject: 'sa:flux-system/source-controller', verb: '*', resource: '*' }).allowed).toBe(false);
  });

  it('known answers from the insecure scenarios and the bootstrap policy, each confirmed by SubjectAccessReview', async () => {
    const cases: { subject: string; verb: string; resource: string; namespace?: string; allowed: boolean; via?: string }[] = [
      {
        subject: 'sa:default/pod-exec-sa',
        verb: 'create',
        resource: 'pods/exec',
        namespace: 'default',
        allowed: true,
        via: 'RoleBinding default/pod-exec-pods',
      },
      {
        subject: 'sa:default/tokenget-sa',
        verb: 'get',
        resource: 'secrets',
        namespace: 'default',
        allowed: true,
        via: 'RoleBinding default/pod-get-secrets',
      },
      { subject: 'sa:default/default', verb: 'get', resource: 'secrets', namespace: 'default', allowed: false },
      {
        subject: 'sa:default/kubiscan-sa',
        verb: 'get',
        resource: 'secrets',
        namespace: 'kube-system',
        allowed: true,
        via: 'ClusterRoleBinding kubiscan-clusterrolebinding',
      },
      {
        subject: 'user:system:kube-scheduler',
        verb: 'create',
        resource: 'pods/binding',
        namespace: 'default',
        allowed: true,
        via: 'ClusterRoleBinding system:kube-scheduler',
      },
      {
        subject: 'group:system:unauthenticated',
        verb: 'get',
        resource: '/healthz',
        allowed: true,
        via: 'ClusterRoleBinding system:public-info-viewer',
      },
      { subject: 'group:system:unauthenticated', verb: 'get', resource: '/metrics', allowed: false },
    ];
    for (const c of cases) {
      const r = runCan(view, c);
      const label = `${c.subject} ${c.verb} ${c.resource} ${c.namespace ?? ''}`;
      expect(r.allowed, label).toBe(c.allowed);
      if (c.via) expect(formatCanResult(r), label).toContain(c.via);
      const answer = await sar.review({ user: r.subject.user, attrs: r.request });
      expect(answer.allowed, `SubjectAccessReview: ${label}`).toBe(c.allowed);
    }
  });

  it('who-can lists the identities that may exec into pods of namespace default', async () => {
    const r = runWhoCan(view, { verb: 'create', resource: 'pods/exec', namespace: 'default' });
    const names = r.subjects.map((s) =>
      s.subject.kind === 'ServiceAccount' ? `${s.subject.namespace}/${s.subject.name}` : `${s.subject.kind}:${s.subject.name}`,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'default/pod-exec-sa',
        'flux-system/kustomize-controller',
        'kube-system/superadmin',
        'Group:system:masters',
      ]),
    );
    expect(names).not.toContain('default/default');
    expect(formatWhoCanResult(r)).toMatch(
      /ServiceAccount +default\/pod-exec-sa +RoleBinding default\/pod-exec-pods → Role default\/exec-pods/,
    );
  });

  it('through the commander commands: --json output, exit code 2 on bad input and on an ambiguous cluster', async () => {
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const run = async (args: string[]) => {
      let err = '';
      const program = new Command('nhi').exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
      registerRbacCommands(program);
      try {
        await program.parseAsync(['node', 'nhi', ...args]);
        return { code: 0, err };
      } catch (e) {
        if (e instanceof CommanderError) return { code: e.exitCode, err };
        throw e;
      }
    };
    try {
      expect((await run(['can', 'sa:flux-system/kustomize-controller', '*', '*', '--json'])).code).toBe(0);
      const json = JSON.parse(String(out.mock.calls.at(-1)?.[0])) as {
        allowed: boolean;
        cluster: string;
        reasons: { role: { name: string } }[];
      };
      expect(json.allowed).toBe(true);
      expect(json.cluster).toBe(CLUSTER);
      expect(json.reasons[0]?.role.name).toBe('cluster-admin');

      expect((await run(['who-can', 'get', 'secrets', '-n', 'payments', '--json'])).code).toBe(0);
      const who = JSON.parse(String(out.mock.calls.at(-1)?.[0])) as { subjects: { subject: { name: string } }[] };
      expect(who.subjects.map((s) => s.subject.name)).toContain('kustomize-controller');

      expect((await run(['can', 'sa:default/default', 'get', 'gizmos'])).code).toBe(2);

      await ensureClusterRow(pool, 'other-cluster', 'import', null, null);
      const ambiguous = await run(['who-can', 'get', 'pods']);
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.err).toContain('choose one with --cluster NAME: other-cluster, test-cluster');
      await expect(loadRbacView(prisma, undefined)).rejects.toBeInstanceOf(AppError);
      await expect(loadRbacView(prisma, undefined)).rejects.toMatchObject({ kind: 'invalid_input', code: 'CLUSTER_AMBIGUOUS' });
      expect(
        (await run(['can', 'sa:default/pod-exec-sa', 'create', 'pods/exec', '-n', 'default', '--cluster', CLUSTER])).code,
      ).toBe(0);
      expect(String(out.mock.calls.at(-1)?.[0])).toMatch(/^yes\n/);
    } finally {
      out.mockRestore();
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
  });
});
