/**
 * The list and detail reads rewritten for 100,000 identities (issue 14) answer what their Prisma forms
 * answered, on the real PostgreSQL: a generated cluster (scripts/bench/cluster-gen.ts, 1/50 of the bench's
 * size, with Group bindings of the ServiceAccount groups added) is imported through the collection
 * pipeline, and each function is compared with its previous form, kept here as the reference:
 *
 * - listIdentities (ids chosen in SQL, then the page read) for filters, sorts and pages;
 * - credentialsOfIdentity / credentialsOfWorkload and findingsOfIdentity / findingsOfWorkload (ids by UNION);
 * - escalationPaths (the overview's ranked paths);
 * - federatedCredentials (one statement) and its pages;
 * - riskRollups (counts per score) and listRisk's count;
 * - loadRbacSubset: what its groups' bindings grant and who else its own bindings name, as on the whole
 *   RBAC snapshot, for every ServiceAccount.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { bindingsFor } from '@/lib/rbac/evaluator';
import { buildIndex, type RbacIndex } from '@/lib/rbac/rbac-index';
import { serviceAccountUser, subjectAppliesTo } from '@/lib/rbac/subjects';
import { benchClusterAsList, FULL_SCALE, generateBenchCluster, scaledDown } from '@/scripts/bench/cluster-gen';
import {
  credentialFilterSchema,
  credentialsOfIdentity,
  credentialsOfWorkload,
  FEDERATED_PAGE_SIZE,
  federatedCredentialPage,
  federatedCredentials,
} from './credentials';
import { findingsOfIdentity, findingsOfWorkload } from './findings';
import {
  escalationPaths,
  escalationPathsQuerySchema,
  identityFilterSchema,
  listIdentities,
  PAGE_SIZE,
  rankEscalationPaths,
  type EscalationPathRow,
  type EscalationPathsQuery,
  type IdentityFilter,
} from './identities';
import { escalationStepSchema, parseStored, reachBindingSchema } from './json';
import { loadRbacSnapshot, loadRbacSubset } from './rbac';
import { rebuildRiskRollups } from '@/lib/risk/rollups';
import { HIGH_RISK, listRisk, riskFilterSchema, riskRollups } from './risk';
import { z } from 'zod';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-pages-test-'));
const NOW = new Date('2026-11-30T12:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'pages');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  const cluster = benchClusterAsList(generateBenchCluster({ ...scaledDown(50, FULL_SCALE), serviceAccounts: 2000 }));
  // What the generated cluster lacks: bindings of the groups every ServiceAccount is in, one of them also
  // naming a ServiceAccount, and a ServiceAccount's own binding that names someone else too.
  const ns = cluster.items.find((i) => i.kind === 'Namespace')!.metadata.name;
  const sa = cluster.items.find((i) => i.kind === 'ServiceAccount' && i.metadata.namespace === ns)!.metadata.name;
  const binding = (kind: string, name: string, subjects: object[], namespace?: string, roleRef = 'view') =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleRef },
      subjects,
    }) as (typeof cluster.items)[number];
  const group = (name: string) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
  cluster.items.push(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'view' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    } as (typeof cluster.items)[number],
    binding('ClusterRoleBinding', 'all-authenticated', [group('system:authenticated')]),
    binding('ClusterRoleBinding', 'all-serviceaccounts', [group('system:serviceaccounts')]),
    binding('RoleBinding', 'ns-serviceaccounts', [group(`system:serviceaccounts:${ns}`)], ns),
    binding(
      'RoleBinding',
      'own-and-shared',
      [{ kind: 'ServiceAccount', name: sa, namespace: ns }, { kind: 'User', name: 'alice@example.com' }, group('team-a')],
      ns,
    ),
    binding('RoleBinding', 'missing-role', [{ kind: 'ServiceAccount', name: sa, namespace: ns }], ns, 'no-such-role'),
  );
  // Paths to cluster-admin for the overview: one account is admin, a few may run pods as it.
  const accounts = cluster.items.filter((i) => i.kind === 'ServiceAccount').slice(10, 16);
  const asSubject = (m: (typeof accounts)[number]) => ({
    kind: 'ServiceAccount',
    name: m.metadata.name,
    namespace: m.metadata.namespace,
  });
  const role = (name: string, rules: object[]) =>
    ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules,
    }) as (typeof cluster.items)[number];
  cluster.items.push(
    role('it-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
    role('it-pod-creator', [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list'] }]),
    binding('ClusterRoleBinding', 'it-admin', [asSubject(accounts[0]!)], undefined, 'it-admin'),
    binding('ClusterRoleBinding', 'it-pod-creators', accounts.slice(1).map(asSubject), undefined, 'it-pod-creator'),
  );
  const file = path.join(dir, 'cluster.json');
  writeFileSync(file, JSON.stringify(cluster));
  await importDumps(pool, [file], { clusterName: 'pages' });
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const ids = async (sql: string) => (await pool.query<{ id: string }>(sql)).rows.map((r) => r.id);

// ---- the previous forms ---------------------------------------------------------------------------

const ACTIVE_ANOMALY = ['open', 'acknowledged'] as const;

function identityWhereBefore(f: IdentityFilter): Prisma.IdentityWhereInput {
  const and: Prisma.IdentityWhereInput[] = [];
  if (f.deleted === 'hide') and.push({ deletedAt: null });
  if (f.cluster) and.push({ cluster: { name: f.cluster } });
  if (f.namespace) and.push({ namespace: f.namespace });
  if (f.kind) and.push({ kind: f.kind });
  if (f.builtIn === 'hide') and.push({ builtIn: false });
  if (f.q)
    and.push({ OR: [{ name: { contains: f.q, mode: 'insensitive' } }, { namespace: { contains: f.q, mode: 'insensitive' } }] });
  if (f.risk === 'cluster-admin') and.push({ reach: { reachesClusterAdmin: true } });
  if (f.risk === 'critical') and.push({ reach: { maxSeverity: 'critical' } });
  if (f.risk === 'high') and.push({ reach: { maxSeverity: { in: ['high', 'critical'] } } });
  if (f.risk === 'any') and.push({ reach: { capabilityCount: { gt: 0 } } });
  return { AND: and };
}

async function listIdentitiesBefore(f: IdentityFilter) {
  const w = identityWhereBefore(f);
  const [total, rows] = await Promise.all([
    prisma.identity.count({ where: w }),
    prisma.identity.findMany({
      where: w,
      orderBy: [
        ...(f.deleted === 'hide' ? [{ risk: { score: 'desc' as const } }] : []),
        { reach: { escalationDistance: { sort: 'asc', nulls: 'last' } } },
        { reach: { maxSeverity: { sort: 'desc', nulls: 'last' } } },
        { reach: { capabilityCount: 'desc' } },
        { namespace: 'asc' },
        { name: 'asc' },
        { id: 'asc' },
      ],
      skip: (f.page - 1) * PAGE_SIZE,
      take: PAGE_SIZE,
      include: {
        cluster: { select: { name: true } },
        reach: { select: { capabilityCount: true, maxSeverity: true, reachesClusterAdmin: true, escalationDistance: true } },
        risk: { select: { score: true } },
        ownerships: { include: { team: { select: { name: true } } } },
        _count: {
          select: { workloads: { where: { deletedAt: null } }, anomalies: { where: { status: { in: [...ACTIVE_ANOMALY] } } } },
        },
      },
    }),
  ]);
  return {
    total,
    rows: rows.map((i) => ({
      id: i.id,
      cluster: i.cluster.name,
      kind: i.kind,
      namespace: i.namespace,
      name: i.name,
      builtIn: i.builtIn,
      deleted: i.deletedAt !== null,
      workloads: i._count.workloads,
      capabilityCount: i.reach?.capabilityCount ?? null,
      maxSeverity: i.reach?.maxSeverity ?? null,
      reachesClusterAdmin: i.reach?.reachesClusterAdmin ?? null,
      escalationDistance: i.reach?.escalationDistance ?? null,
      owners: [...new Set(i.ownerships.map((o) => o.team.name))],
      anomalies: i._count.anomalies,
      risk: i.risk?.score ?? null,
    })),
  };
}

const credentialOrder: Prisma.CredentialOrderByWithRelationInput[] = [
  { findings: { _count: 'desc' } },
  { createdInClusterAt: { sort: 'asc', nulls: 'last' } },
  { namespace: 'asc' },
  { name: 'asc' },
  { id: 'asc' },
];
const credentialIdsBefore = async (where: Prisma.CredentialWhereInput) =>
  (await prisma.credential.findMany({ where, orderBy: credentialOrder, select: { id: true } })).map((c) => c.id);

const findingIdsBefore = async (where: Prisma.FindingWhereInput) =>
  (
    await prisma.finding.findMany({
      where,
      orderBy: [{ status: 'asc' }, { lastSeenAt: 'desc' }, { id: 'asc' }],
      select: { id: true },
    })
  )
    .map((f) => f.id)
    .sort();

async function rollupsBefore() {
  const stats = Prisma.sql`count(*)::int AS identities, round(avg(s.score))::int AS mean,
    percentile_disc(0.9) WITHIN GROUP (ORDER BY s.score)::int AS p90, max(s.score)::int AS max,
    count(*) FILTER (WHERE s.score >= ${HIGH_RISK})::int AS high`;
  const base = Prisma.sql`FROM "RiskScore" s JOIN "Cluster" cl ON cl.id = s."clusterId" JOIN "Identity" i ON i.id = s."identityId"
    WHERE NOT i."builtIn"`;
  const [clusters, namespaces, teams] = await Promise.all([
    prisma.$queryRaw`SELECT cl.name AS name, NULL AS cluster, ${stats} ${base} GROUP BY cl.name ORDER BY max DESC, mean DESC, 1`,
    prisma.$queryRaw`SELECT s.namespace AS name, cl.name AS cluster, ${stats} ${base} AND s.namespace <> ''
      GROUP BY cl.name, s.namespace ORDER BY max DESC, mean DESC, 2, 1 LIMIT 200`,
    prisma.$queryRaw`SELECT s.team AS name, NULL AS cluster, ${stats}
      FROM (SELECT DISTINCT i.id, rs.score, COALESCE(t.name, '(none)') AS team
            FROM "RiskScore" rs JOIN "Cluster" cl ON cl.id = rs."clusterId" JOIN "Identity" i ON i.id = rs."identityId"
            LEFT JOIN "Ownership" o ON o."identityId" = i.id LEFT JOIN "Team" t ON t.id = o."teamId"
            WHERE NOT i."builtIn") s
      GROUP BY s.team ORDER BY max DESC, mean DESC, 1 LIMIT 200`,
  ]);
  return { clusters, namespaces, teams };
}

/** Code-point order on each key in turn, as ORDER BY sorts under the test server's C.UTF-8 collation. */
const byText =
  <T>(...keys: ((x: T) => string)[]) =>
  (a: T, b: T) => {
    for (const k of keys) if (k(a) !== k(b)) return k(a) < k(b) ? -1 : 1;
    return 0;
  };

/** escalationPaths as it was (HEAD before issue 14). */
async function escalationPathsBefore(
  db: PrismaClient,
  query: EscalationPathsQuery = {},
): Promise<{ rows: EscalationPathRow[]; total: number }> {
  const { cluster, limit } = escalationPathsQuerySchema.parse(query);
  const withPath: Prisma.IdentityWhereInput = {
    deletedAt: null,
    reach: { escalationDistance: { not: null } },
    ...(cluster ? { cluster: { name: cluster } } : {}),
  };
  const counted = await db.anomaly.groupBy({
    by: ['identityId'],
    where: { status: { in: [...ACTIVE_ANOMALY] }, identityId: { not: null }, identity: withPath },
    _count: { _all: true },
  });
  const anomalies = new Map(counted.flatMap((c) => (c.identityId ? [[c.identityId, c._count._all] as const] : [])));
  const ids = [...anomalies.keys()];
  const select = {
    id: true,
    kind: true,
    namespace: true,
    name: true,
    builtIn: true,
    cluster: { select: { name: true } },
    reach: { select: { escalationDistance: true, maxSeverity: true, escalationSteps: true } },
  } as const;
  const quiet: Prisma.IdentityWhereInput = { AND: [withPath, { builtIn: false }, { id: { notIn: ids } }] };
  const [anomalous, others, quietTotal] = await Promise.all([
    ids.length ? db.identity.findMany({ where: { id: { in: ids } }, select }) : [],
    db.identity.findMany({
      where: quiet,
      orderBy: [
        { reach: { escalationDistance: 'asc' } },
        { reach: { maxSeverity: { sort: 'desc', nulls: 'last' } } },
        { cluster: { name: 'asc' } },
        { namespace: 'asc' },
        { name: 'asc' },
      ],
      take: limit,
      select,
    }),
    db.identity.count({ where: quiet }),
  ]);
  const rows = [...anomalous, ...others].map((i) => {
    const steps = parseStored(
      z.array(escalationStepSchema),
      i.reach?.escalationSteps ?? [],
      `IdentityReach.escalationSteps of identity ${i.id}`,
    );
    return {
      id: i.id,
      cluster: i.cluster.name,
      kind: i.kind,
      namespace: i.namespace,
      name: i.name,
      builtIn: i.builtIn,
      distance: i.reach?.escalationDistance ?? 0,
      maxSeverity: i.reach?.maxSeverity ?? null,
      anomalies: anomalies.get(i.id) ?? 0,
      firstStep: steps[0]?.text ?? null,
    };
  });
  return { rows: rankEscalationPaths(rows).slice(0, limit), total: anomalous.length + quietTotal };
}

// ---- the comparisons -----------------------------------------------------------------------------

describe('reads rewritten for 100,000 identities answer as their Prisma forms did', () => {
  it('lists identities: every filter, first, middle and last pages', async () => {
    const [{ namespace, name }] = (
      await pool.query<{ namespace: string; name: string }>(
        `SELECT namespace, name FROM "Identity" WHERE kind = 'ServiceAccount' ORDER BY md5(id::text) LIMIT 1`,
      )
    ).rows as [{ namespace: string; name: string }];
    const filters: Record<string, string>[] = [
      {},
      { builtIn: 'show' },
      { deleted: 'show' },
      { namespace },
      { q: name.slice(0, 5) },
      { q: namespace.slice(0, 6).toUpperCase() },
      { q: 'no_such_name' },
      { kind: 'ServiceAccount' },
      { kind: 'CloudIdentity' },
      { risk: 'any' },
      { risk: 'high' },
      { risk: 'critical' },
      { risk: 'cluster-admin' },
      { cluster: 'pages' },
      { cluster: 'elsewhere' },
    ];
    let compared = 0;
    for (const params of filters) {
      const first = identityFilterSchema.parse(params);
      const { total } = await listIdentitiesBefore(first);
      const last = Math.max(1, Math.ceil(total / PAGE_SIZE));
      for (const page of new Set([1, 2, Math.ceil(last / 2), last, last + 1])) {
        const f = identityFilterSchema.parse({ ...params, page: String(page) });
        expect(await listIdentities(prisma, f), JSON.stringify({ ...params, page })).toEqual(await listIdentitiesBefore(f));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
    // Unlike Prisma's `contains`, the search takes `%` and `_` literally: `_` finds the names that have one.
    for (const q of ['_', '%', 'example.com']) {
      const [{ n }] = (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "Identity" WHERE "deletedAt" IS NULL AND NOT "builtIn"
             AND (strpos(lower(name), $1) > 0 OR strpos(lower(namespace), $1) > 0)`,
          [q],
        )
      ).rows as [{ n: number }];
      expect((await listIdentities(prisma, identityFilterSchema.parse({ q }))).total, q).toBe(n);
    }
  });

  it("reads an identity's and a workload's credentials and an identity's findings", async () => {
    const identities = await ids(
      `SELECT id FROM "Identity" i WHERE EXISTS (SELECT 1 FROM "Credential" c WHERE c."identityId" = i.id)
          OR EXISTS (SELECT 1 FROM "WorkloadIdentity" wi WHERE wi."identityId" = i.id)
       ORDER BY md5(id::text) LIMIT 150`,
    );
    const workloads = await ids(`SELECT id FROM "Workload" ORDER BY md5(id::text) LIMIT 100`);
    let credentials = 0;
    let findings = 0;
    let workloadFindings = 0;
    for (const identityId of identities) {
      const got = (await credentialsOfIdentity(prisma, identityId, NOW)).map((c) => c.id);
      expect(got).toEqual(
        await credentialIdsBefore({
          deletedAt: null,
          OR: [
            { identityId },
            {
              uses: {
                some: { deletedAt: null, workload: { deletedAt: null, identities: { some: { identityId, deletedAt: null } } } },
              },
            },
          ],
        }),
      );
      credentials += got.length;
      const found = (await findingsOfIdentity(prisma, identityId)).map((f) => f.id).sort();
      expect(found).toEqual(
        await findingIdsBefore({
          OR: [
            { identityId },
            { credential: { identityId } },
            { workload: { identities: { some: { identityId, deletedAt: null } } } },
          ],
        }),
      );
      findings += found.length;
    }
    for (const workloadId of workloads) {
      const got = (await credentialsOfWorkload(prisma, workloadId, NOW)).map((c) => c.id);
      expect(got).toEqual(await credentialIdsBefore({ deletedAt: null, uses: { some: { workloadId, deletedAt: null } } }));
      credentials += got.length;
      const w = (await prisma.workload.findUnique({ where: { id: workloadId }, select: { clusterId: true, namespace: true } }))!;
      const found = (await findingsOfWorkload(prisma, workloadId)).map((f) => f.id).sort();
      expect(found).toEqual(
        await findingIdsBefore({
          OR: [
            { workloadId },
            { credential: { uses: { some: { workloadId, deletedAt: null } } } },
            { clusterId: w.clusterId, subjectKey: `namespace:${w.namespace}` },
          ],
        }),
      );
      workloadFindings += found.length;
    }
    expect(credentials).toBeGreaterThan(50);
    expect(findings).toBeGreaterThan(20);
    expect(workloadFindings).toBeGreaterThan(20);
    expect(await credentialsOfIdentity(prisma, 'not-a-uuid', NOW)).toEqual([]);
    expect(await findingsOfIdentity(prisma, 'not-a-uuid')).toEqual([]);
  });

  it('ranks the escalation paths of the overview', async () => {
    for (const query of [{}, { limit: 200 }, { cluster: 'pages', limit: 5 }, { cluster: 'elsewhere' }]) {
      const after = await escalationPaths(prisma, query);
      expect(after, JSON.stringify(query)).toEqual(await escalationPathsBefore(prisma, query));
    }
    expect((await escalationPaths(prisma, {})).total).toBeGreaterThan(3);
  });

  it('lists the federated identities, whole and by page', async () => {
    for (const f of [
      {},
      { cluster: 'pages' },
      { namespace: (await federatedCredentials(prisma, {}))[0]!.serviceAccount.namespace },
    ]) {
      const links = await prisma.identityLink.findMany({
        where: {
          deletedAt: null,
          inferred: false,
          from: {
            deletedAt: null,
            ...('cluster' in f ? { cluster: { name: f.cluster } } : {}),
            ...('namespace' in f ? { namespace: f.namespace } : {}),
          },
        },
        include: {
          to: true,
          from: {
            include: {
              cluster: { select: { name: true } },
              workloads: {
                where: { deletedAt: null, workload: { deletedAt: null } },
                include: { workload: { select: { kind: true, namespace: true, name: true } } },
              },
            },
          },
        },
        orderBy: [{ kind: 'asc' }, { to: { name: 'asc' } }, { from: { namespace: 'asc' } }, { from: { name: 'asc' } }],
      });
      const before = links.map((l) => ({
        cluster: l.from.cluster.name,
        class: l.kind === 'spiffe' ? 'spiffe-svid' : 'workload-identity-federation',
        link: l.kind,
        target: l.to.name,
        provider: l.to.provider,
        serviceAccount: { id: l.from.id, namespace: l.from.namespace, name: l.from.name },
        source: l.source,
        workloads: l.from.workloads
          .map((w) => w.workload)
          .sort(
            byText(
              (w) => w.namespace,
              (w) => w.kind,
              (w) => w.name,
            ),
          ),
      }));
      const all = await federatedCredentials(prisma, f);
      expect(all).toEqual(before);
      const filter = credentialFilterSchema.parse({ ...f, federatedPage: '2' });
      const page = await federatedCredentialPage(prisma, filter);
      expect(page.total).toBe(before.length);
      expect(page.rows).toEqual(before.slice(FEDERATED_PAGE_SIZE, 2 * FEDERATED_PAGE_SIZE));
    }
    expect((await federatedCredentials(prisma, {})).length).toBeGreaterThan(FEDERATED_PAGE_SIZE);
  });

  it('rolls risk up per cluster, namespace and team as percentile_disc did, and counts the Risk list', async () => {
    const before = await rollupsBefore();
    const after = await riskRollups(prisma, {});
    expect({ clusters: after.clusters, namespaces: after.namespaces, teams: after.teams }).toEqual(before);
    expect(after.namespaces.length).toBeGreaterThan(2);
    expect(after.teams.length).toBeGreaterThan(2);
    // A built-in identity is left out of both.
    const made = await ids(
      `SELECT i.id FROM "RiskScore" s JOIN "Identity" i ON i.id = s."identityId" WHERE NOT i."builtIn" ORDER BY s.score DESC, i.id LIMIT 3`,
    );
    // As the next collection would: the flag changes, then the scoring counts the roll-ups again.
    const recount = () => rebuildRiskRollups(pool, { days: 1 });
    await pool.query(`UPDATE "Identity" SET "builtIn" = true WHERE id = ANY($1::uuid[])`, [made]);
    try {
      await recount();
      expect(await riskRollups(prisma, {})).toMatchObject(await rollupsBefore());
      const [{ all, own }] = (
        await pool.query<{ all: number; own: number }>(
          `SELECT count(*)::int AS all, count(*) FILTER (WHERE NOT i."builtIn")::int AS own
           FROM "RiskScore" s JOIN "Identity" i ON i.id = s."identityId"`,
        )
      ).rows as [{ all: number; own: number }];
      expect(all - own).toBeGreaterThanOrEqual(3);
      expect((await listRisk(prisma, riskFilterSchema.parse({}))).total).toBe(own);
      expect((await listRisk(prisma, riskFilterSchema.parse({ builtIn: 'true' }))).total).toBe(all);
    } finally {
      await pool.query(`UPDATE "Identity" SET "builtIn" = false WHERE id = ANY($1::uuid[])`, [made]);
      await recount();
    }
  });

  it("reads a ServiceAccount's groups' bindings and its own as the whole RBAC snapshot has them", async () => {
    const [{ id: clusterId }] = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = 'pages'`)).rows as [
      { id: string },
    ];
    const full = buildIndex((await loadRbacSnapshot(prisma, clusterId)).snapshot);
    const accounts = await prisma.identity.findMany({
      where: { clusterId, kind: 'ServiceAccount', deletedAt: null },
      select: { id: true, namespace: true, name: true, reach: { select: { bindings: true } } },
    });
    const seen = { shared: 0, own: 0, others: 0 };
    for (const a of accounts) {
      const user = serviceAccountUser(a.namespace, a.name);
      const own = parseStored(z.array(reachBindingSchema), a.reach?.bindings ?? [], a.id)
        .filter((b) => b.group === null)
        .map((b) => ({ kind: b.kind, namespace: b.kind === 'RoleBinding' ? b.namespace : '', name: b.name }));
      const subset = buildIndex((await loadRbacSubset(prisma, clusterId, { groups: user.groups, bindings: own })).snapshot);
      const shared = (index: RbacIndex) =>
        bindingsFor(index, { name: '', groups: user.groups }).map(({ binding, subjectIndex }) => ({
          binding: `${binding.kind}/${binding.namespace}/${binding.name}`,
          subject: binding.subjects[subjectIndex],
          rules: binding.role?.rules ?? null,
        }));
      const others = (index: RbacIndex) =>
        own.map((k) => {
          const found = index.bindings.find((x) => x.kind === k.kind && x.name === k.name && x.namespace === k.namespace);
          return found
            ? found.subjects.filter((s) => !subjectAppliesTo({ name: user.name, groups: [] }, s, found.namespace)).length
            : null;
        });
      expect(shared(subset), `${a.namespace}/${a.name}`).toEqual(shared(full));
      expect(others(subset), `${a.namespace}/${a.name}`).toEqual(others(full));
      seen.shared += shared(subset).length;
      seen.own += own.length;
      seen.others += others(subset).reduce<number>((n, x) => n + (x ?? 0), 0);
    }
    expect(seen.shared).toBeGreaterThan(accounts.length * 2);
    expect(seen.own).toBeGreaterThan(0);
    expect(seen.others).toBeGreaterThan(0);
  });
});
