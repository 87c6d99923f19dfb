/**
 * The overview on the demo data, in a database of its own. Every expected number is computed another way: Prisma
 * counts and groupings, or the rows read and counted here, never the overview's SQL. Then a service owner's slice
 * (their team owns a few identities and a workload) and a broken cluster beside a sound one.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { principalByEmail, teamScope, type Principal } from '@/lib/auth/principal';
import { identityInScope, subjectInScope } from '@/lib/auth/scope';
import { addUser } from '@/lib/auth/users';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { openStore } from '@/lib/collect/store';
import { demoClusterName, loadDemoData } from '@/lib/demo/load';
import { rebuildRiskRollups } from '@/lib/risk/rollups';
import { credentialCoverage } from './credentials';
import { overview, principalClass, RISK_BANDS, TOP_NAMESPACES, TOP_RISKS, type Overview } from './overview';

let db: TestDatabase;
let prisma: PrismaClient;
let owner: Principal;
let all: Overview;
const now = new Date();

/** The data of a block that must have succeeded. */
function ok<T>(b: { ok: true; data: T } | { ok: false; error: string } | null): T {
  expect(b).not.toBeNull();
  if (!b!.ok) throw new Error(`block failed: ${b!.error}`);
  return b!.data;
}

const live = { deletedAt: null, builtIn: false } as const;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'overview');
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  prisma = createPrisma(db.url);
  all = await overview(prisma, { now });
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

describe('identity sprawl', () => {
  it('counts live identities by kind, cluster and namespace (top N and others), Kubernetes’ own apart', async () => {
    const s = ok(all.sprawl);
    expect(s.total).toBe(await prisma.identity.count({ where: live }));
    expect(s.total).toBeGreaterThan(50);
    expect(s.builtIn).toBe(await prisma.identity.count({ where: { deletedAt: null, builtIn: true } }));
    const kinds = await prisma.identity.groupBy({ by: ['kind'], where: live, _count: { _all: true } });
    expect(Object.fromEntries(s.byKind.map((k) => [k.kind, k.identities]))).toEqual(
      Object.fromEntries(kinds.map((k) => [k.kind, k._count._all])),
    );
    expect(s.byCluster).toEqual([{ cluster: demoClusterName, identities: s.total, unowned: s.unowned }]);

    const ns = await prisma.identity.groupBy({
      by: ['namespace'],
      where: { ...live, namespace: { not: '' } },
      _count: { _all: true },
    });
    const sorted = ns.map((n) => [n.namespace, n._count._all] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    expect(sorted.length).toBeGreaterThan(TOP_NAMESPACES);
    expect(s.byNamespace.map((n) => [n.namespace, n.identities])).toEqual(sorted.slice(0, TOP_NAMESPACES));
    const rest = sorted.slice(TOP_NAMESPACES);
    expect(s.otherNamespaces).toEqual({ namespaces: rest.length, identities: rest.reduce((n, r) => n + r[1], 0) });
  });

  it('counts the unowned share and each team’s identities as the Ownership rows say', async () => {
    const s = ok(all.sprawl);
    const unowned = await prisma.identity.count({
      where: { ...live, ownerships: { none: {} }, workloads: { none: { workload: { ownerships: { some: {} } } } } },
    });
    expect(s.unowned).toBe(unowned);
    expect(s.unowned).toBeGreaterThan(0);
    const teams = await prisma.team.findMany({ select: { id: true, name: true } });
    for (const t of teams) {
      const n = await prisma.identity.count({
        where: {
          ...live,
          OR: [
            { ownerships: { some: { teamId: t.id } } },
            { workloads: { some: { workload: { ownerships: { some: { teamId: t.id } } } } } },
          ],
        },
      });
      expect(s.byTeam.find((x) => x.team === t.name)?.identities ?? 0, t.name).toBe(n);
    }
  });

  it('gives the distribution of identities per live workload (its accounts and what they are federated to)', async () => {
    const workloads = await prisma.workload.findMany({
      where: { deletedAt: null },
      select: {
        identities: {
          where: { deletedAt: null, identity: { deletedAt: null } },
          select: { identityId: true },
        },
      },
    });
    const links = await prisma.identityLink.findMany({ where: { deletedAt: null }, select: { fromId: true, toId: true } });
    const buckets = new Map<string, number>();
    for (const w of workloads) {
      const held = new Set(w.identities.map((i) => i.identityId));
      for (const l of links) if (held.has(l.fromId)) held.add(`link:${l.toId}`);
      const key = held.size >= 4 ? '4+' : String(held.size);
      buckets.set(key, (buckets.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(ok(all.sprawl).perWorkload.map((p) => [p.identities, p.workloads]))).toEqual(
      Object.fromEntries(buckets),
    );
  });
});

describe('risk, coverage and anomalies', () => {
  it('puts every scored identity in one band and lists the riskiest', async () => {
    const scores = await prisma.riskScore.findMany({
      where: { identity: live },
      select: { score: true, identityId: true },
    });
    const r = ok(all.risk);
    expect(r.scored).toBe(scores.length);
    for (const b of RISK_BANDS)
      expect(r.bands.find((x) => x.band === b.band)!.identities, b.band).toBe(
        scores.filter((s) => s.score >= b.min && s.score <= b.max).length,
      );
    const top = scores.map((s) => s.score).sort((a, b) => b - a);
    expect(r.top.map((t) => t.score)).toEqual(top.slice(0, TOP_RISKS));
    const ids = new Set(scores.map((s) => s.identityId));
    expect(r.top.every((t) => ids.has(t.id))).toBe(true);
  });

  it('reads short-lived coverage as the Credentials page does', async () => {
    const [c] = await credentialCoverage(prisma, demoClusterName);
    const cluster = c!.scopes.find((s) => s.scopeKind === 'cluster')!;
    const cov = ok(all.coverage);
    expect(cov.rows).toHaveLength(1);
    expect(cov.total).toEqual({
      workloads: cluster.workloads,
      shortLived: cluster.shortLived,
      longLived: cluster.longLived,
      none: cluster.none,
    });
  });

  it('counts open and acknowledged anomalies by severity', async () => {
    const rows = await prisma.anomaly.groupBy({ by: ['severity', 'status'], _count: { _all: true } });
    const a = ok(all.anomalies);
    const open = rows.filter((r) => r.status === 'open');
    expect(a.open).toBe(open.reduce((n, r) => n + r._count._all, 0));
    expect(a.open).toBeGreaterThan(0);
    for (const s of a.bySeverity) {
      expect(s.open, s.severity).toBe(open.find((r) => r.severity === s.severity)?._count._all ?? 0);
      expect(s.acknowledged).toBe(rows.find((r) => r.severity === s.severity && r.status === 'acknowledged')?._count._all ?? 0);
    }
  });
});

describe('principals seen in the audit logs', () => {
  it('tells machine principals from people over the window read', async () => {
    const events = await prisma.runtimeEvent.findMany({ where: { source: 'audit' }, select: { username: true, at: true } });
    const times = events.map((e) => e.at.getTime());
    // The demo's traffic is a few seconds long and far under the window's cap: the window is all of it.
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(20_000);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(86_400_000);
    const users = new Set(events.flatMap((e) => (e.username ? [e.username] : [])));
    const p = ok(all.principals);
    const [c] = p.clusters;
    expect(c!.cluster).toBe(demoClusterName);
    expect(c!.events).toBe(events.length);
    for (const k of c!.classes)
      expect(k.principals, k.class).toBe([...users].filter((u) => principalClass(u) === k.class).length);
    expect(p.machine + p.human).toBe(users.size);
    expect(p.machine).toBeGreaterThan(0);
  });
});

describe('trends', () => {
  it('has one point a day ending today, with today’s identities, scores and anomalies', async () => {
    const t = ok(all.trends);
    expect(t).toHaveLength(30);
    const today = now.toISOString().slice(0, 10);
    const last = t.at(-1)!;
    expect(last.day).toBe(today);
    expect(last.identities).toBe(ok(all.sprawl).total);
    const daily = await prisma.riskScoreDaily.findMany({
      where: { day: new Date(`${today}T00:00:00Z`), subjectKey: { startsWith: 'identity:' } },
      select: { score: true, subjectKey: true },
    });
    const builtIn = new Set(
      (await prisma.identity.findMany({ where: { builtIn: true }, select: { kind: true, namespace: true, name: true } })).map(
        (i) => `identity:${i.kind}/${i.namespace}/${i.name}`,
      ),
    );
    const mine = daily.filter((d) => !builtIn.has(d.subjectKey));
    expect(mine.length).toBeGreaterThan(0);
    expect(last.riskMean).toBe(Math.round(mine.reduce((n, d) => n + d.score, 0) / mine.length));
    expect(last.riskHigh).toBe(mine.filter((d) => d.score >= 70).length);
    const since = new Date(`${t[0]!.day}T00:00:00Z`);
    expect(t.reduce((n, p) => n + p.anomalies, 0)).toBe(await prisma.anomaly.count({ where: { createdAt: { gte: since } } }));
    expect(last.coverage).not.toBeNull();
  });
});

describe('a service owner', () => {
  let scoped: Overview;
  let teamId: string;

  beforeAll(async () => {
    await addUser(prisma, { email: 'owner@overview.test', name: 'owner', role: 'service_owner', teams: ['ov-team'] }, 'test');
    owner = await principalByEmail(prisma, 'owner@overview.test');
    teamId = owner.teams[0]!.id;
    // The team owns the three riskiest identities nobody owns, and a workload.
    const risky = await prisma.riskScore.findMany({
      where: { identity: { ...live, ownerships: { none: {} } } },
      orderBy: { score: 'desc' },
      take: 3,
      select: { identityId: true },
    });
    await prisma.ownership.createMany({
      data: risky.map((r) => ({ teamId, identityId: r.identityId!, origin: 'claimed', source: 'test' })),
    });
    const w = await prisma.workload.findFirstOrThrow({
      where: { deletedAt: null, ownerships: { none: {} }, identities: { some: {} } },
      orderBy: { name: 'asc' },
    });
    await prisma.ownership.create({ data: { teamId, workloadId: w.id, origin: 'claimed', source: 'test' } });
    // As an approved claim does (lib/ownership/claims.ts): the risk roll-ups follow the new owners.
    const pool = openStore(db.url);
    try {
      await rebuildRiskRollups(pool, { days: 1, today: now });
    } finally {
      await pool.end();
    }
    scoped = await overview(prisma, { now }, teamScope(owner));
  });

  it('sees their teams’ identities only, and none of the cluster-wide blocks', async () => {
    const s = ok(scoped.sprawl);
    const mine = await prisma.identity.count({ where: { ...live, ...identityInScope([teamId]) } });
    expect(s.total).toBe(mine);
    expect(s.total).toBeGreaterThanOrEqual(3);
    expect(s.total).toBeLessThan(ok(all.sprawl).total);
    expect(s.unowned).toBe(0);
    expect(s.builtIn).toBe(0);
    expect(s.byTeam).toContainEqual({ team: 'ov-team', identities: mine });
    expect(scoped.principals).toBeNull();
    expect(scoped.ingestion).toBeNull();
  });

  it('sees the risk, anomalies and trends of their slice', async () => {
    const r = ok(scoped.risk);
    const inScope = await prisma.identity.findMany({ where: { ...live, ...identityInScope([teamId]) }, select: { id: true } });
    const ids = new Set(inScope.map((i) => i.id));
    expect(r.top.length).toBeGreaterThanOrEqual(3);
    expect(r.top.every((t) => ids.has(t.id))).toBe(true);
    expect(r.scored).toBe(await prisma.riskScore.count({ where: { identityId: { in: [...ids] } } }));
    const open = await prisma.anomaly.count({ where: { status: 'open', ...subjectInScope([teamId]) } });
    expect(ok(scoped.anomalies).open).toBe(open);
    expect(ok(scoped.trends).at(-1)!.identities).toBe(ok(scoped.sprawl).total);
    const esc = ok(scoped.escalation);
    expect(esc.rows.every((e) => ids.has(e.id))).toBe(true);
  });

  it('sees the coverage of their teams, not the cluster’s', () => {
    const cov = ok(scoped.coverage);
    expect(cov.rows.every((r) => r.scope === 'ov-team')).toBe(true);
  });
});

describe('a broken cluster', () => {
  it('shows its error beside the other clusters’ status', async () => {
    const broken = await prisma.cluster.create({ data: { name: 'broken-cluster', source: 'import' } });
    await prisma.ingestBatch.create({
      data: {
        clusterId: broken.id,
        channel: 'webhook',
        source: 'audit',
        events: 1,
        inserted: 0,
        duplicates: 0,
        rejected: 1,
        rejectedSample: { not: 'a list' },
        receivedAt: new Date(now.getTime() - 60_000),
      },
    });
    const o = await overview(prisma, { now: new Date() });
    const ingestion = ok(o.ingestion);
    expect(ingestion.map((i) => i.cluster)).toEqual(['broken-cluster', demoClusterName]);
    expect(ingestion[0]!.status.ok).toBe(false);
    expect(ingestion[1]!.status.ok).toBe(true);
    expect(ok(o.sprawl).total).toBe(ok(all.sprawl).total);
    expect(ok(o.clusters).map((c) => c.name)).toEqual(['broken-cluster', demoClusterName]);
    // One cluster asked for: only its numbers.
    const one = await overview(prisma, { now: new Date(), cluster: demoClusterName });
    expect(ok(one.ingestion).map((i) => i.cluster)).toEqual([demoClusterName]);
    expect(ok(one.sprawl).total).toBe(ok(all.sprawl).total);
  });
});
