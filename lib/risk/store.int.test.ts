/**
 * Risk scores and exceptions on the bundled demo dataset (real PostgreSQL, no cluster, fixed clock): every
 * identity and workload is scored after an import; the factors of each stored score add up to it; the same
 * input gives the same scores; the top identities' evidence links to findings, anomalies or the identity's
 * own page; an exception takes its finding out of the score and out of the open queue, and its expiry (or a
 * revocation) brings both back; roll-ups and the daily history follow.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { fixedClock } from '@/lib/clock';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { listRisk, riskFilterSchema, riskOf, riskRollups } from '@/lib/data/risk';
import { demoDataFile } from '@/lib/demo/load';
import { createException, expireExceptions, listExceptions, revokeException } from '@/lib/findings/exceptions';
import { updateRiskScores } from './store';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let clusterId: string;
const at = new Date('2026-12-01T00:00:00Z');
const later = (days: number) => new Date(at.getTime() + days * 86_400_000);

interface ScoreRow {
  subjectKey: string;
  score: number;
  factors: { name: string; points: number; evidence: { label: string; href?: string }[] }[];
  identityId: string | null;
}
const scores = async () =>
  (await pool.query<ScoreRow>(`SELECT "subjectKey", score, factors, "identityId" FROM "RiskScore" ORDER BY "subjectKey"`)).rows;
const scoreOf = async (subjectKey: string) =>
  (
    await pool.query<ScoreRow>(`SELECT "subjectKey", score, factors, "identityId" FROM "RiskScore" WHERE "subjectKey" = $1`, [
      subjectKey,
    ])
  ).rows[0]!;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'riskdemo');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  const outcome = await importDumps(pool, [demoDataFile], {
    clusterName: 'demo',
    source: 'demo',
    tlsCertificates: true,
    now: fixedClock(at),
  });
  clusterId = outcome.clusterId;
  expect(outcome.risk!.identities).toBeGreaterThan(100);
  expect(outcome.risk!.workloads).toBeGreaterThan(100);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

describe('risk scores of the demo dataset', () => {
  it('scores every live identity and workload; the factors of each add up to its score', async () => {
    const rows = await scores();
    const live = await pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM "Identity" WHERE "deletedAt" IS NULL)::int + (SELECT count(*) FROM "Workload" WHERE "deletedAt" IS NULL)::int AS n`,
    );
    expect(rows).toHaveLength(live.rows[0]!.n);
    for (const r of rows) {
      expect(r.score, r.subjectKey).toBeGreaterThanOrEqual(0);
      expect(r.score, r.subjectKey).toBeLessThanOrEqual(100);
      expect(
        r.factors.reduce((s, f) => s + f.points, 0),
        r.subjectKey,
      ).toBe(r.score);
    }
  });

  it('ranks an identity already holding cluster-admin power above an owned one with nothing against it', async () => {
    const argocd = await scoreOf('identity:ServiceAccount/argocd/argocd-application-controller');
    expect(argocd.factors.map((f) => f.name)).toContain('Holds cluster-admin-equivalent power');
    expect(argocd.score).toBeGreaterThanOrEqual(45);
    // Every identity with a path to cluster-admin counts it, with the path's steps as evidence.
    const paths = await pool.query<{ id: string; distance: number; steps: number }>(
      `SELECT "identityId" AS id, "escalationDistance" AS distance, jsonb_array_length("escalationSteps") AS steps
       FROM "IdentityReach" WHERE "escalationDistance" > 0`,
    );
    expect(paths.rowCount).toBeGreaterThan(0);
    for (const p of paths.rows) {
      const s = (await pool.query<ScoreRow>(`SELECT factors FROM "RiskScore" WHERE "identityId" = $1`, [p.id])).rows[0]!;
      const factor = s.factors.find((f) => f.name.startsWith('Path to cluster-admin'));
      expect(factor?.name).toBe(`Path to cluster-admin in ${p.distance} step${p.distance === 1 ? '' : 's'}`);
      expect(factor?.evidence).toHaveLength(p.steps);
    }
    const owned = await pool.query<{ score: number }>(
      `SELECT s.score FROM "RiskScore" s JOIN "Identity" i ON i.id = s."identityId" LEFT JOIN "IdentityReach" r ON r."identityId" = i.id
       WHERE EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id) AND r."escalationDistance" IS NULL AND r."capabilityCount" = 0
       ORDER BY s.score LIMIT 1`,
    );
    expect(owned.rows[0]!.score).toBeLessThan(argocd.score);
  });

  it('the ten riskiest identities each list factors adding up to the score, with links to their evidence', async () => {
    const { rows } = await listRisk(prisma, riskFilterSchema.parse({ pageSize: '10' }));
    expect(rows).toHaveLength(10);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.score).toBeGreaterThanOrEqual(rows[i]!.score);
    for (const r of rows) {
      expect(r.factors.reduce((s, f) => s + f.points, 0)).toBe(r.score);
      const links = r.factors.flatMap((f) => f.evidence.map((e) => e.href)).filter(Boolean) as string[];
      expect(links.length, r.name).toBeGreaterThan(0);
      for (const href of links) expect(href).toMatch(/^\/(findings|anomalies|identities|workloads)\/[0-9a-f-]{36}(#\w+)?$/);
    }
  });

  it('the same input gives the same scores', async () => {
    const before = await scores();
    await updateRiskScores(pool, clusterId, later(0));
    expect(await scores()).toEqual(before);
  });

  it('rolls up per cluster, namespace and team, with a daily history', async () => {
    const r = await riskRollups(prisma);
    expect(r.clusters).toHaveLength(1);
    expect(r.clusters[0]).toMatchObject({ name: 'demo' });
    expect(r.clusters[0]!.max).toBeGreaterThanOrEqual(r.clusters[0]!.p90);
    expect(r.namespaces.map((n) => n.name)).toContain('argocd');
    expect(r.teams.length).toBeGreaterThan(0);
    expect(r.trend.length).toBeGreaterThanOrEqual(0);
    const daily = await pool.query<{ days: number }>(`SELECT count(DISTINCT day)::int AS days FROM "RiskScoreDaily"`);
    expect(daily.rows[0]!.days).toBe(1);
  });
});

describe('exceptions', () => {
  let findingId: string;
  let identityId: string;
  const subject = 'identity:ServiceAccount/checkout/checkout-worker';

  it('accepting a finding takes it out of the score and the open queue until the expiry', async () => {
    const f = await pool.query<{ id: string; identityId: string }>(
      `SELECT id, "identityId" FROM "Finding" WHERE "subjectKey" = $1 AND "ruleId" LIKE 'NHI-CRED-%' AND status = 'open' ORDER BY "ruleId" LIMIT 1`,
      [subject],
    );
    if (!f.rows[0]) {
      // The credential rules say nothing of this account: accept its posture finding instead.
      const p = await pool.query<{ id: string; identityId: string }>(
        `SELECT id, "identityId" FROM "Finding" WHERE "subjectKey" = $1 AND status = 'open' ORDER BY "ruleId" LIMIT 1`,
        [subject],
      );
      f.rows.push(p.rows[0]!);
    }
    findingId = f.rows[0]!.id;
    identityId = f.rows[0]!.identityId;
    const before = await riskOf(prisma, { identityId });
    const e = await createException(
      pool,
      { findingId, reason: 'Vendor chart; fix due in Q1', requestedBy: 'alice', approvedBy: 'bob', expires: '30d' },
      later(1),
    );
    expect(e).toMatchObject({ state: 'active', requestedBy: 'alice', approvedBy: 'bob', finding: { status: 'excepted' } });
    expect(e.expiresAt).toBe(later(31).toISOString());
    const after = await riskOf(prisma, { identityId });
    const counted = (r: typeof after) => r!.factors.flatMap((x) => x.evidence).some((x) => x.href === `/findings/${findingId}`);
    // A finding counted before is not counted any more (rules the score leaves out are in neither).
    if (counted(before)) {
      expect(counted(after)).toBe(false);
      expect(after!.score).toBeLessThan(before!.score);
    }
    const tl = await pool.query(
      `SELECT kind FROM "TimelineEvent" WHERE kind = 'finding.excepted' AND details->>'findingId' = $1`,
      [findingId],
    );
    expect(tl.rowCount).toBe(1);
  });

  it('refuses an approver who is the requester, a second exception, a past or too distant expiry', async () => {
    const { exceptionRequestSchema } = await import('@/lib/findings/exceptions');
    expect(
      exceptionRequestSchema.safeParse({
        findingId,
        reason: 'long enough reason',
        requestedBy: 'bob',
        approvedBy: 'Bob',
        expires: '1d',
      }).success,
    ).toBe(false);
    await expect(
      createException(
        pool,
        { findingId, reason: 'again and again', requestedBy: 'carol', approvedBy: 'dave', expires: '1d' },
        later(2),
      ),
    ).rejects.toThrow(/already has an exception/);
    const other = (
      await pool.query<{ id: string }>(`SELECT id FROM "Finding" WHERE status = 'open' AND id <> $1 LIMIT 1`, [findingId])
    ).rows[0]!.id;
    await expect(
      createException(
        pool,
        { findingId: other, reason: 'a past expiry', requestedBy: 'carol', approvedBy: 'dave', expires: '2020-01-01' },
        later(2),
      ),
    ).rejects.toThrow(/in the future/);
    await expect(
      createException(
        pool,
        { findingId: other, reason: 'too long an expiry', requestedBy: 'carol', approvedBy: 'dave', expires: '400d' },
        later(2),
      ),
    ).rejects.toThrow(/at most 365 days/);
  });

  it('a re-collection keeps an excepted finding excepted', async () => {
    await importDumps(pool, [demoDataFile], {
      clusterName: 'demo',
      source: 'demo',
      tlsCertificates: true,
      now: fixedClock(later(3)),
    });
    const f = await pool.query<{ status: string }>(`SELECT status FROM "Finding" WHERE id = $1`, [findingId]);
    expect(f.rows[0]!.status).toBe('excepted');
  });

  it('an expired exception reopens its finding and is listed as expired with its approver', async () => {
    expect(await expireExceptions(pool, later(20))).toBe(0);
    expect(await expireExceptions(pool, later(32))).toBe(1);
    const f = await pool.query<{ status: string }>(`SELECT status FROM "Finding" WHERE id = $1`, [findingId]);
    expect(f.rows[0]!.status).toBe('open');
    const [e] = await listExceptions(pool, { state: 'expired' }, later(32));
    expect(e).toMatchObject({ state: 'expired', approvedBy: 'bob', finding: { id: findingId, status: 'open' } });
    const tl = await pool.query(
      `SELECT kind FROM "TimelineEvent" WHERE kind = 'finding.exception_expired' AND details->>'findingId' = $1`,
      [findingId],
    );
    expect(tl.rowCount).toBe(1);
  });

  it('a revoked exception reopens its finding at once', async () => {
    const e = await createException(
      pool,
      { findingId, reason: 'Accepted again for the migration', requestedBy: 'alice', approvedBy: 'erin', expires: '7d' },
      later(33),
    );
    const revoked = await revokeException(pool, e.id, { by: 'erin', note: 'migration done' }, later(34));
    expect(revoked).toMatchObject({ state: 'revoked', revokedBy: 'erin', finding: { status: 'open' } });
    await expect(revokeException(pool, e.id, { by: 'erin' }, later(34))).rejects.toThrow(/already revoked/);
    expect((await listExceptions(pool, { state: 'all' }, later(34))).map((x) => x.state).sort()).toEqual(['expired', 'revoked']);
  });
});
