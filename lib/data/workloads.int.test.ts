/**
 * The workloads list (listWorkloads) and a workload's timeline (workloadTimeline) on the demo dataset, on the
 * real PostgreSQL: the list's totals, pages and orders are checked against an independent count (every
 * workload's facts read once, then filtered and sorted here), for each filter, the team scope and a page past
 * the end; the timeline against the rows each source holds, with the events this test adds (an image change,
 * a rule change of a role bound to its account, a claim rejected, an admission decision) and a window, types
 * and the bound.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { podNamePattern } from '@/lib/runtime/attribution';
import { TIMELINE_CATEGORIES } from './timeline-window';
import { workloadTimeline } from './workload-timeline';
import { listWorkloads, WORKLOAD_PAGE_SIZE, workloadFilterSchema, type WorkloadFilter } from './workloads';

let db: TestDatabase;
let prisma: PrismaClient;

interface Fact {
  id: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  deleted: boolean;
  podCount: number;
  teams: string[];
  open: number;
  admin: boolean;
  score: number | null;
}
let facts: Fact[] = [];

const readFacts = async () =>
  (facts = await prisma.$queryRaw<Fact[]>`
    SELECT w.id, c.name AS cluster, w.namespace, w.kind, w.name, w."deletedAt" IS NOT NULL AS deleted, w."podCount" AS "podCount",
      COALESCE((SELECT array_agg(t.name) FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."workloadId" = w.id), '{}') AS teams,
      (SELECT count(*)::int FROM "Finding" f WHERE f."workloadId" = w.id AND f.status = 'open') AS open,
      COALESCE((SELECT bool_or(r."reachesClusterAdmin") FROM "WorkloadIdentity" wi JOIN "IdentityReach" r ON r."identityId" = wi."identityId"
                WHERE wi."workloadId" = w.id AND wi."deletedAt" IS NULL), false) AS admin,
      (SELECT s.score FROM "RiskScore" s WHERE s."workloadId" = w.id) AS score
    FROM "Workload" w JOIN "Cluster" c ON c.id = w."clusterId"`);

const filter = (f: Partial<WorkloadFilter> = {}) => workloadFilterSchema.parse(f);

/** Every page's ids, in order. */
async function allIds(f: WorkloadFilter, scope: string[] | null = null): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; page < 100; page++) {
    const { rows, total } = await listWorkloads(prisma, { ...f, page }, scope);
    ids.push(...rows.map((r) => r.id));
    if (ids.length >= total) break;
  }
  return ids;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'workloads');
  prisma = createPrisma(db.url);
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  await readFacts();
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('listWorkloads', () => {
  it('counts and pages what an independent count finds, for each filter', async () => {
    const live = facts.filter((w) => !w.deleted);
    expect(live.length, 'the demo has workloads').toBeGreaterThan(5);
    const some = live[0]!;
    const cases: [Partial<WorkloadFilter>, (w: Fact) => boolean][] = [
      [{}, (w) => !w.deleted],
      [{ deleted: 'show' }, () => true],
      [{ cluster: some.cluster }, (w) => !w.deleted && w.cluster === some.cluster],
      [{ cluster: 'no-such-cluster' }, () => false],
      [{ namespace: some.namespace }, (w) => !w.deleted && w.namespace === some.namespace],
      [{ kind: 'Deployment' }, (w) => !w.deleted && w.kind === 'Deployment'],
      [{ team: '(none)' }, (w) => !w.deleted && w.teams.length === 0],
      [{ findings: 'open' }, (w) => !w.deleted && w.open > 0],
      [{ risk: 'cluster-admin' }, (w) => !w.deleted && w.admin],
      [
        { q: some.name.slice(1, 4).toUpperCase() },
        (w) =>
          !w.deleted &&
          (w.name.toLowerCase().includes(some.name.slice(1, 4).toLowerCase()) ||
            w.namespace.toLowerCase().includes(some.name.slice(1, 4).toLowerCase())),
      ],
      [{ q: '%' }, (w) => !w.deleted && (w.name.includes('%') || w.namespace.includes('%'))],
    ];
    for (const [f, keep] of cases) {
      const expected = facts.filter(keep).map((w) => w.id);
      const { total, rows } = await listWorkloads(prisma, filter(f));
      expect(total, JSON.stringify(f)).toBe(expected.length);
      expect(rows.length, JSON.stringify(f)).toBe(Math.min(WORKLOAD_PAGE_SIZE, expected.length));
      expect((await allIds(filter(f))).sort(), JSON.stringify(f)).toEqual(expected.sort());
    }
    expect(
      facts.some((w) => w.open > 0),
      'the demo has workloads with open findings',
    ).toBe(true);
  });

  it('shows each row as the facts say', async () => {
    const { rows } = await listWorkloads(prisma, filter({ deleted: 'show', sort: 'findings', dir: 'desc' }));
    for (const r of rows) {
      const f = facts.find((x) => x.id === r.id)!;
      expect([r.cluster, r.namespace, r.kind, r.name, r.deleted, r.podCount, r.openFindings, r.risk]).toEqual([
        f.cluster,
        f.namespace,
        f.kind,
        f.name,
        f.deleted,
        f.podCount,
        f.open,
        f.score,
      ]);
      expect(r.owners).toEqual([...new Set(f.teams)].sort());
      expect(r.runsAs.some((i) => i.reachesClusterAdmin)).toBe(f.admin);
    }
  });

  it('sorts by each column, both ways, with a stable order over the pages', async () => {
    const live = facts.filter((w) => !w.deleted);
    const byName = (a: Fact, b: Fact) =>
      a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    const ids = await allIds(filter());
    expect(ids).toEqual([...live].sort((a, b) => byName(a, b) || (a.kind < b.kind ? -1 : 1)).map((w) => w.id));
    expect(await allIds(filter({ dir: 'desc' }))).toEqual([...ids].reverse());
    const key: Record<string, (w: Fact) => number | string> = {
      pods: (w) => w.podCount,
      findings: (w) => w.open,
      kind: (w) => w.kind,
      cluster: (w) => w.cluster,
    };
    for (const [sort, k] of Object.entries(key))
      for (const dir of ['asc', 'desc'] as const) {
        const order = (await allIds(filter({ sort: sort as WorkloadFilter['sort'], dir }))).map((id) =>
          k(facts.find((w) => w.id === id)!),
        );
        expect(order).toHaveLength(live.length);
        const sorted = [...order].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(order, `${sort} ${dir}`).toEqual(dir === 'asc' ? sorted : sorted.reverse());
      }
    // Risk: highest first, unscored last.
    const risk = (await allIds(filter({ sort: 'risk', dir: 'desc' }))).map((id) => facts.find((w) => w.id === id)!.score);
    const scored = risk.filter((s): s is number => s !== null);
    expect(scored).toEqual([...scored].sort((a, b) => b - a));
    expect(risk.slice(scored.length).every((s) => s === null)).toBe(true);
  });

  it('answers an empty page past the end', async () => {
    const { total, rows } = await listWorkloads(prisma, filter({ page: 9999 }));
    expect(total).toBe(facts.filter((w) => !w.deleted).length);
    expect(rows).toEqual([]);
  });

  it("shows a service owner their teams' workloads only, and filters by the owning team", async () => {
    const [a, b] = facts.filter((w) => !w.deleted);
    const team = await prisma.team.create({ data: { name: 'workloads-test-team' } });
    const other = await prisma.team.create({ data: { name: 'workloads-other-team' } });
    await prisma.ownership.create({ data: { teamId: team.id, workloadId: a!.id, origin: 'claimed' } });
    await prisma.ownership.create({ data: { teamId: other.id, workloadId: b!.id, origin: 'claimed' } });
    await readFacts();
    // In scope: owned by the team, or running as one of its identities (none here).
    expect(await allIds(filter(), [team.id])).toEqual([a!.id]);
    expect((await listWorkloads(prisma, filter(), [team.id])).total).toBe(1);
    expect(await allIds(filter({ team: 'workloads-other-team' }))).toEqual([b!.id]);
    expect(await allIds(filter({ team: 'workloads-other-team' }), [team.id])).toEqual([]);
    const unowned = await listWorkloads(prisma, filter({ team: '(none)' }));
    expect(unowned.total).toBe(facts.filter((w) => !w.deleted && w.teams.length === 0).length);
    expect(unowned.rows.map((r) => r.id)).not.toContain(a!.id);
  });
});

describe('workloadTimeline', () => {
  let w: { id: string; clusterId: string; namespace: string; kind: string; name: string; serviceAccountName: string | null };
  let identityId: string | undefined;

  beforeAll(async () => {
    // The workload with the most Falco alerts (the demo's runtime events), else the first.
    const rows = await prisma.workload.findMany({
      where: { deletedAt: null },
      select: { id: true, clusterId: true, namespace: true, kind: true, name: true, serviceAccountName: true },
    });
    let best = { w: rows[0]!, n: -1 };
    for (const r of rows) {
      const pattern = podNamePattern(r);
      if (!pattern) continue;
      const [row] = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "RuntimeEvent" WHERE source = 'falco' AND namespace = ${r.namespace} AND "podName" ~ ${pattern}`;
      if (row && row.n > best.n) best = { w: r, n: row.n };
    }
    w = best.w;
    identityId = (await prisma.workloadIdentity.findFirst({ where: { workloadId: w.id } }))?.identityId;

    // What a collection, the webhook and a claim would have written.
    const at = (d: string) => new Date(`${d}T12:00:00Z`);
    await prisma.timelineEvent.create({
      data: {
        clusterId: w.clusterId,
        workloadId: w.id,
        at: at('2026-01-10'),
        kind: 'workload.image_changed',
        summary: `${w.kind} ${w.namespace}/${w.name} images changed`,
        details: { before: ['a:1'], after: ['a:2'] },
      },
    });
    if (identityId)
      await prisma.timelineEvent.create({
        data: {
          clusterId: w.clusterId,
          identityId,
          at: at('2026-01-11'),
          kind: 'binding.added',
          summary: 'RoleBinding x grants Role y',
          details: {},
        },
      });
    // A rule change of a role bound to its account, and one of a role that is not.
    const sa = w.serviceAccountName ?? 'default';
    await prisma.rbacBinding.create({
      data: {
        clusterId: w.clusterId,
        kind: 'RoleBinding',
        namespace: w.namespace,
        name: 'timeline-test',
        roleRefKind: 'Role',
        roleRefName: 'timeline-test-role',
        subjects: [{ kind: 'ServiceAccount', name: sa }],
      },
    });
    for (const [role, day] of [
      [`Role/${w.namespace}/timeline-test-role`, '2026-01-12'],
      [`Role/${w.namespace}/unrelated-role`, '2026-01-12'],
    ] as const)
      await prisma.timelineEvent.create({
        data: {
          clusterId: w.clusterId,
          at: at(day),
          kind: 'role.rules_changed',
          summary: `${role} rules changed`,
          details: { role },
        },
      });
    const team = await prisma.team.create({ data: { name: 'timeline-team' } });
    const user = await prisma.user.create({ data: { email: 'owner@timeline.test', name: 'Owner', role: 'service_owner' } });
    await prisma.claim.create({
      data: {
        workloadId: w.id,
        teamId: team.id,
        userId: user.id,
        status: 'rejected',
        createdAt: at('2026-01-13'),
        decidedAt: at('2026-01-14'),
        decisionNote: 'not yours',
      },
    });
    await prisma.admissionDecision.create({
      data: {
        clusterId: w.clusterId,
        at: at('2026-01-15'),
        uid: 'timeline-test',
        operation: 'UPDATE',
        kind: w.kind,
        namespace: w.namespace,
        name: w.name,
        workloadKind: w.kind,
        workloadName: w.name,
        serviceAccounts: [`${w.namespace}/${sa}`],
        decision: 'denied',
        mode: 'enforce',
        failOn: 'high',
        rules: ['NHI-TEST'],
        message: 'denied',
        user: 'alice',
      },
    });
  });

  const all = { from: null, to: null, types: [...TIMELINE_CATEGORIES] };

  it("lists every source's events about the workload, newest first, and counts them per bucket", async () => {
    const t = (await workloadTimeline(prisma, w.id, all))!;
    const pattern = podNamePattern(w)!;
    const identities = (await prisma.workloadIdentity.findMany({ where: { workloadId: w.id } })).map((i) => i.identityId);
    const credentials = (await prisma.credentialUse.findMany({ where: { workloadId: w.id } })).map((c) => c.credentialId);
    // Independently: each source's rows.
    const [changes, alerts, anomalies] = await Promise.all([
      prisma.timelineEvent.count({
        where: {
          OR: [
            { workloadId: w.id },
            { identityId: { in: identities } },
            { credentialId: { in: credentials } },
            { kind: 'role.rules_changed', details: { path: ['role'], equals: `Role/${w.namespace}/timeline-test-role` } },
          ],
        },
      }),
      prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "RuntimeEvent" WHERE "clusterId" = ${w.clusterId}::uuid AND source = 'falco'
          AND namespace = ${w.namespace} AND "podName" ~ ${pattern}`,
      prisma.anomaly.count({
        where: { OR: [{ workloadId: w.id }, { workloadId: null, identityId: { in: identities } }] },
      }),
    ]);
    const expected =
      changes + alerts[0]!.n + anomalies + 1 /* first seen */ + 2 /* claim requested, rejected */ + 1; /* admission */
    expect(expected).toBeLessThan(500);
    expect(t.events).toHaveLength(expected);
    expect(t.truncated).toBe(false);
    expect(t.countsCapped).toBe(false);
    expect(alerts[0]!.n, 'the demo has Falco alerts of a workload').toBeGreaterThan(0);
    const times = t.events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(t.events.map((e) => e.id)).size).toBe(t.events.length);
    const kinds = t.events.map((e) => e.kind);
    for (const k of [
      'workload.image_changed',
      'workload.first_seen',
      'claim.requested',
      'claim.rejected',
      'admission.denied',
      'falco.alert',
    ])
      expect(kinds, k).toContain(k);
    expect(t.events.filter((e) => e.kind === 'role.rules_changed').map((e) => e.summary)).toEqual([
      `Role/${w.namespace}/timeline-test-role rules changed`,
    ]);
    if (identityId) expect(kinds).toContain('binding.added');
    // The chart counts the same events, per category.
    const inBuckets = t.buckets.reduce((n, b) => n + b.total, 0);
    expect(inBuckets).toBe(expected);
    for (const c of TIMELINE_CATEGORIES) expect(t.counts[c], c).toBe(t.events.filter((e) => e.category === c).length);
    expect(t.extent!.from <= '2026-01-10T12:00:00.000Z').toBe(true);
  });

  it('narrows the list to a window and to types, and keeps the chart whole', async () => {
    const whole = (await workloadTimeline(prisma, w.id, all))!;
    const from = new Date('2026-01-11T00:00:00Z');
    const to = new Date('2026-01-15T00:00:00Z');
    const windowed = (await workloadTimeline(prisma, w.id, { ...all, from, to }))!;
    const inside = whole.events.filter((e) => e.at >= from.toISOString() && e.at < to.toISOString());
    expect(windowed.events.map((e) => e.id)).toEqual(inside.map((e) => e.id));
    expect(windowed.events.map((e) => e.kind)).toContain('claim.rejected');
    expect(windowed.events.map((e) => e.kind)).not.toContain('admission.denied'); // the 15th: at the end, excluded
    expect(windowed.buckets).toEqual(whole.buckets);

    const admission = (await workloadTimeline(prisma, w.id, { ...all, types: ['admission', 'claims'] }))!;
    expect(admission.events.map((e) => e.kind).sort()).toEqual(['admission.denied', 'claim.rejected', 'claim.requested']);
    expect(admission.query.types).toEqual(['admission', 'claims']);
  });

  it('shows the latest events only, and says so', async () => {
    const t = (await workloadTimeline(prisma, w.id, all, { limit: 3 }))!;
    expect(t.events).toHaveLength(3);
    expect(t.truncated).toBe(true);
    const whole = (await workloadTimeline(prisma, w.id, all))!;
    expect(t.events.map((e) => e.id)).toEqual(whole.events.slice(0, 3).map((e) => e.id));
  });

  it('answers null for a workload that does not exist', async () => {
    expect(await workloadTimeline(prisma, '00000000-0000-4000-8000-000000000000', all)).toBeNull();
    expect(await workloadTimeline(prisma, 'not-a-uuid', all)).toBeNull();
  });
});
