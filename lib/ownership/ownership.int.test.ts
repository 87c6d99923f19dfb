/**
 * Ownership on the demo data, in a database of its own: the unowned queue and its suggestions, the claim
 * workflow (who may claim for which team, who may decide, reassignment, reject, withdraw), what it writes
 * (owners, timeline, trail, the no-owner finding, the risk score) and what a team's service owner then sees.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { principalByEmail, teamScope, type Principal } from '@/lib/auth/principal';
import { assertIdentityInScope, assertWorkloadInScope } from '@/lib/auth/scope';
import { addUser } from '@/lib/auth/users';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { createClaim, decideClaim, listClaims, subjectOwnership, withdrawClaim } from './claims';
import { listTeams } from './teams';
import { unownedQueue } from './unowned';

let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
const who: Record<'leadA' | 'leadB' | 'ownerA' | 'ownerB' | 'auditor', Principal> = {} as never;
const team: Record<'a' | 'b', string> = {} as never;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'ownership');
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  prisma = createPrisma(db.url);
  pool = openStore(db.url);
  const add = async (email: string, role: Principal['role'], teams: string[] = []) => {
    await addUser(prisma, { email, name: email.split('@')[0]!, role, teams }, 'test');
    return principalByEmail(prisma, email);
  };
  who.leadA = await add('lead-a@own.test', 'security_lead');
  who.leadB = await add('lead-b@own.test', 'admin');
  who.ownerA = await add('owner-a@own.test', 'service_owner', ['own-a']);
  who.ownerB = await add('owner-b@own.test', 'service_owner', ['own-b']);
  who.auditor = await add('auditor@own.test', 'auditor');
  team.a = who.ownerA.teams[0]!.id;
  team.b = who.ownerB.teams[0]!.id;
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

/** Unowned workloads no team answers for (what a service owner may claim), riskiest first. */
async function orphanWorkloads(n: number, skip = 0) {
  const page = await unownedQueue(prisma, { kind: 'workload', pageSize: 100 }, [team.a]);
  expect(page.rows.length).toBeGreaterThanOrEqual(n + skip);
  return page.rows.slice(skip, skip + n);
}

const status = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { status?: number; code?: string }) => e.status ?? e,
  );

describe('the unowned queue', () => {
  it('lists only live subjects without an owner, riskiest first, with the pending claims on them', async () => {
    const page = await unownedQueue(prisma, { pageSize: 100 });
    expect(page.total).toBeGreaterThan(100);
    expect(page.rows).toHaveLength(100);
    const ids = page.rows.map((r) => r.id);
    expect(await prisma.ownership.count({ where: { OR: [{ identityId: { in: ids } }, { workloadId: { in: ids } }] } })).toBe(0);
    const risks = page.rows.map((r) => r.risk ?? -1);
    expect(risks).toEqual([...risks].sort((a, b) => b - a));
    const identities = await prisma.identity.findMany({ where: { id: { in: ids } } });
    expect(identities.length).toBeGreaterThan(0);
    expect(identities.every((i) => i.kind === 'ServiceAccount' && !i.builtIn && !i.deletedAt)).toBe(true);
    // Page 2 goes on where page 1 stopped.
    const next = await unownedQueue(prisma, { pageSize: 100, page: 2 });
    expect(next.rows[0]!.risk ?? -1).toBeLessThanOrEqual(risks.at(-1)!);
    expect(next.rows.some((r) => ids.includes(r.id))).toBe(false);
  });

  it('filters by kind, namespace and text', async () => {
    const deployments = await unownedQueue(prisma, { kind: 'Deployment', pageSize: 100 });
    expect(deployments.rows.length).toBeGreaterThan(0);
    expect(deployments.rows.every((r) => r.type === 'workload' && r.kind === 'Deployment')).toBe(true);
    const sas = await unownedQueue(prisma, { kind: 'ServiceAccount', pageSize: 100 });
    expect(sas.rows.every((r) => r.type === 'identity')).toBe(true);
    const one = deployments.rows[0]!;
    const found = await unownedQueue(prisma, { namespace: one.namespace, q: one.name });
    expect(found.rows.map((r) => r.id)).toContain(one.id);
    expect(found.rows.every((r) => r.namespace === one.namespace)).toBe(true);
  });

  it('suggests the owners of related subjects, of its namespace and teams its labels name', async () => {
    // An unowned ServiceAccount with an unowned workload running as it: own-a owns the workload.
    const [pair] = await prisma.$queryRaw<{ identityId: string; workloadId: string; namespace: string }[]>`
      SELECT wi."identityId", wi."workloadId", w.namespace FROM "WorkloadIdentity" wi
      JOIN "Workload" w ON w.id = wi."workloadId" JOIN "Identity" i ON i.id = wi."identityId"
      WHERE wi."deletedAt" IS NULL AND w."deletedAt" IS NULL AND i.kind = 'ServiceAccount' AND NOT i."builtIn"
        AND NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id OR o."workloadId" = w.id)
        AND (SELECT count(*) FROM "WorkloadIdentity" x WHERE x."identityId" = i.id) = 1
      ORDER BY w.namespace, w.name LIMIT 1`;
    expect(pair).toBeTruthy();
    await prisma.ownership.create({ data: { teamId: team.a, workloadId: pair!.workloadId, origin: 'claimed', source: 'test' } });
    // A label naming own-b (an owner key naming own-a is the collector's, and not read again).
    const identity = await prisma.identity.findUniqueOrThrow({ where: { id: pair!.identityId } });
    await prisma.identity.update({
      where: { id: identity.id },
      data: { labels: { ...(identity.labels as object), 'app.kubernetes.io/name': 'own-b', owner: 'own-a' } },
    });
    const page = await unownedQueue(prisma, { namespace: pair!.namespace, q: identity.name, kind: 'ServiceAccount' });
    const row = page.rows.find((r) => r.id === identity.id)!;
    expect(row.suggestions[0]).toEqual({
      team: 'own-a',
      why: ['owns 1 workload running as it', `owns 1 other in namespace ${pair!.namespace}`],
    });
    expect(row.suggestions).toContainEqual({ team: 'own-b', why: ['label app.kubernetes.io/name=own-b'] });
    expect(row.suggestions.flatMap((s) => s.why).join()).not.toContain('owner=');
    // Another team's service owner is not shown what own-a answers for (through its workload); own-a's is.
    expect((await unownedQueue(prisma, { pageSize: 100, q: identity.name }, [team.b])).rows.map((r) => r.id)).not.toContain(
      identity.id,
    );
    expect((await unownedQueue(prisma, { pageSize: 100, q: identity.name }, [team.a])).rows.map((r) => r.id)).toContain(
      identity.id,
    );
    // Namespace neighbours: the demo's flux-system is owned by flux (labels).
    const flux = await unownedQueue(prisma, { namespace: 'flux-system', pageSize: 100 });
    if (flux.rows.length) expect(flux.rows[0]!.suggestions[0]?.team).toBe('flux');
    // Clean up: the queue tests below start from the demo's ownership.
    await prisma.ownership.deleteMany({ where: { source: 'test' } });
  });
});

describe('claims', () => {
  it('a service owner claims for their own team only; one pending claim per subject and team', async () => {
    const [w] = await orphanWorkloads(1);
    expect(await status(createClaim(prisma, who.ownerA, { workloadId: w!.id, team: 'own-b' }))).toBe(403);
    expect(await status(createClaim(prisma, who.auditor, { workloadId: w!.id, team: 'own-a' }))).toBe(403);
    expect(await status(createClaim(prisma, who.leadA, { workloadId: w!.id }))).toBe(400);
    expect(await status(createClaim(prisma, who.leadA, { workloadId: w!.id, team: 'no-such-team' }))).toBe(404);
    expect(await status(createClaim(prisma, who.ownerA, { workloadId: '00000000-0000-4000-8000-000000000000' }))).toBe(404);
    const claim = await createClaim(prisma, who.ownerA, { workloadId: w!.id, note: 'we run it' });
    expect(claim).toMatchObject({
      status: 'pending',
      team: 'own-a',
      note: 'we run it',
      claimant: { email: 'owner-a@own.test' },
      subject: { type: 'workload', id: w!.id, name: w!.name },
    });
    expect(await status(createClaim(prisma, who.ownerA, { workloadId: w!.id, team: 'own-a' }))).toBe(409);
    const trail = await prisma.activityLog.findMany({ where: { target: `claim:${claim.id}` } });
    expect(trail.map((t) => [t.action, t.actor, t.userId])).toEqual([['claim.create', 'owner-a@own.test', who.ownerA.userId]]);
    // It shows in the queue, and its team is not offered again on the workload's page.
    const queued = (await unownedQueue(prisma, { q: w!.name, namespace: w!.namespace })).rows.find((r) => r.id === w!.id)!;
    expect(queued.pendingClaims).toEqual([
      expect.objectContaining({ id: claim.id, team: 'own-a', claimant: 'owner-a@own.test' }),
    ]);
    const block = await subjectOwnership(prisma, { workloadId: w!.id }, who.ownerA);
    expect(block.pending.map((c) => c.id)).toEqual([claim.id]);
    expect(block.claimTeams).toEqual([]);
    expect(block.canDecide).toBe(false);
  });

  it('the claimant cannot approve their own claim; a service owner cannot decide', async () => {
    const [w] = await orphanWorkloads(1, 1);
    const claim = await createClaim(prisma, who.leadA, { workloadId: w!.id, team: 'own-b' });
    await expect(decideClaim(prisma, who.leadA, claim.id, { decision: 'approve' })).rejects.toMatchObject({
      status: 409,
      code: 'OWN_CLAIM',
      message: expect.stringMatching(/you made this claim/),
    });
    expect(await status(decideClaim(prisma, who.ownerB, claim.id, { decision: 'approve' }))).toBe(403);
    expect(await status(decideClaim(prisma, who.leadB, '00000000-0000-4000-8000-000000000000', { decision: 'approve' }))).toBe(
      404,
    );
    expect((await prisma.claim.findUniqueOrThrow({ where: { id: claim.id } })).status).toBe('pending');
  });

  it("approval makes the team the owner, on the timeline and the trail; the team's service owner then sees the workload", async () => {
    const { rows } = await listClaims(prisma, null, { status: 'pending', team: 'own-a' });
    const claim = rows[0]!;
    const workloadId = claim.subject.id;
    expect(await status(assertWorkloadInScope(prisma, teamScope(who.ownerA), workloadId))).toBe(404);
    const approved = await decideClaim(prisma, who.leadA, claim.id, { decision: 'approve', note: 'checked' }, { pool });
    expect(approved).toMatchObject({ status: 'approved', decidedBy: { email: 'lead-a@own.test' }, decisionNote: 'checked' });
    expect(
      await prisma.ownership.findMany({ where: { workloadId }, select: { teamId: true, origin: true, source: true } }),
    ).toEqual([{ teamId: team.a, origin: 'claimed', source: `claim:${claim.id}` }]);
    await assertWorkloadInScope(prisma, teamScope(who.ownerA), workloadId);
    expect(await status(assertWorkloadInScope(prisma, teamScope(who.ownerB), workloadId))).toBe(404);
    const event = await prisma.timelineEvent.findFirstOrThrow({ where: { workloadId, kind: 'ownership.claimed' } });
    expect(event.summary).toBe('Owned by own-a (claimed by owner-a@own.test, approved by lead-a@own.test)');
    const trail = await prisma.activityLog.findMany({ where: { target: `claim:${claim.id}` }, orderBy: { seq: 'asc' } });
    expect(trail.map((t) => t.action)).toEqual(['claim.create', 'claim.decide']);
    expect(trail[1]).toMatchObject({
      actor: 'lead-a@own.test',
      before: expect.objectContaining({ status: 'pending', claimedOwners: [] }),
      after: expect.objectContaining({ status: 'approved', claimedOwners: ['own-a'], team: 'own-a' }),
    });
    expect(await status(decideClaim(prisma, who.leadB, claim.id, { decision: 'reject' }))).toBe(409);
    // The team's row counts it.
    const [mine] = await listTeams(prisma, teamScope(who.ownerA));
    expect(mine).toMatchObject({ name: 'own-a', workloads: { total: 1, claimed: 1, inferred: 0 }, members: 1 });
    expect((await listTeams(prisma, null)).map((t) => t.name)).toEqual(expect.arrayContaining(['own-a', 'own-b', 'flux']));
  });

  it('a later approval reassigns: the earlier claimed owner goes, the owners inferred from labels stay', async () => {
    const [inferred] = await prisma.$queryRaw<{ workloadId: string; team: string }[]>`
      SELECT o."workloadId", t.name AS team FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId"
      JOIN "Workload" w ON w.id = o."workloadId" WHERE o.origin = 'inferred' AND w."deletedAt" IS NULL
      ORDER BY w.namespace, w.name LIMIT 1`;
    const workloadId = inferred!.workloadId;
    // A service owner does not even see another team's workload to claim it.
    expect(await status(createClaim(prisma, who.ownerA, { workloadId }))).toBe(404);
    const first = await createClaim(prisma, who.leadB, { workloadId, team: 'own-a' });
    await decideClaim(prisma, who.leadA, first.id, { decision: 'approve' }, { pool });
    const second = await createClaim(prisma, who.leadA, { workloadId, team: 'own-b', note: 'moved to team b' });
    await decideClaim(prisma, who.leadB, second.id, { decision: 'approve' }, { pool });
    const owners = await prisma.ownership.findMany({ where: { workloadId }, include: { team: true } });
    expect(owners.map((o) => `${o.team.name}:${o.origin}`).sort()).toEqual([`${inferred!.team}:inferred`, 'own-b:claimed']);
    const events = await prisma.timelineEvent.findMany({
      where: { workloadId, kind: 'ownership.claimed' },
      orderBy: { at: 'asc' },
    });
    expect(events.map((e) => e.summary)).toEqual([
      'Owned by own-a (claimed by lead-b@own.test, approved by lead-a@own.test)',
      'Owned by own-b (claimed by lead-a@own.test, approved by lead-b@own.test), in place of own-a',
    ]);
    const decided = await prisma.activityLog.findFirstOrThrow({
      where: { target: `claim:${second.id}`, action: 'claim.decide' },
    });
    expect(decided.before).toMatchObject({ claimedOwners: ['own-a'] });
    expect(decided.after).toMatchObject({ claimedOwners: ['own-b'] });
    await assertWorkloadInScope(prisma, teamScope(who.ownerB), workloadId);
  });

  it("approving an identity's claim resolves its no-owner finding and takes 'No owner' out of its score", async () => {
    const [row] = await prisma.$queryRaw<{ id: string }[]>`
      SELECT f."identityId" AS id FROM "Finding" f JOIN "RiskScore" s ON s."identityId" = f."identityId"
      WHERE f."ruleId" = 'NHI-POS-007' AND f.status = 'open' AND s.factors::text LIKE '%No owner%'
        AND NOT EXISTS (SELECT 1 FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."workloadId" = wi."workloadId" WHERE wi."identityId" = f."identityId")
        AND s.score BETWEEN 10 AND 90
      ORDER BY s.score DESC LIMIT 1`;
    const identityId = row!.id;
    const before = await prisma.riskScore.findUniqueOrThrow({ where: { identityId } });
    const claim = await createClaim(prisma, who.ownerB, { identityId });
    await decideClaim(prisma, who.leadA, claim.id, { decision: 'approve' }, { pool });
    const finding = await prisma.finding.findFirstOrThrow({ where: { identityId, ruleId: 'NHI-POS-007' } });
    expect(finding.status).toBe('resolved');
    const after = await prisma.riskScore.findUniqueOrThrow({ where: { identityId } });
    expect(JSON.stringify(after.factors)).not.toContain('No owner');
    expect(after.score).toBeLessThan(before.score);
    await assertIdentityInScope(prisma, teamScope(who.ownerB), identityId);
    const event = await prisma.timelineEvent.findFirstOrThrow({ where: { identityId, kind: 'ownership.claimed' } });
    expect(event.summary).toBe('Owned by own-b (claimed by owner-b@own.test, approved by lead-a@own.test)');
  });

  it('reject and withdraw', async () => {
    const [x, y] = await orphanWorkloads(2, 2);
    const rejected = await createClaim(prisma, who.ownerA, { workloadId: x!.id });
    const r = await decideClaim(prisma, who.leadB, rejected.id, { decision: 'reject', note: 'not yours' });
    expect(r).toMatchObject({ status: 'rejected', decisionNote: 'not yours', decidedBy: { email: 'lead-b@own.test' } });
    expect(await prisma.ownership.count({ where: { workloadId: x!.id } })).toBe(0);
    // Rejected: the team may ask again.
    const again = await createClaim(prisma, who.ownerA, { workloadId: x!.id });

    const mine = await createClaim(prisma, who.ownerB, { workloadId: y!.id });
    expect(await status(withdrawClaim(prisma, who.ownerA, mine.id))).toBe(404);
    expect(await status(withdrawClaim(prisma, who.leadA, mine.id))).toBe(404);
    const w = await withdrawClaim(prisma, who.ownerB, mine.id, { note: 'wrong one' });
    expect(w.status).toBe('withdrawn');
    expect(await status(withdrawClaim(prisma, who.ownerB, mine.id))).toBe(409);
    expect(await status(decideClaim(prisma, who.leadA, mine.id, { decision: 'approve' }))).toBe(409);
    const actions = await prisma.activityLog.findMany({
      where: { target: { in: [`claim:${rejected.id}`, `claim:${mine.id}`] } },
      orderBy: { seq: 'asc' },
    });
    expect(actions.map((a) => `${a.action} ${a.actor}`)).toEqual([
      'claim.create owner-a@own.test',
      'claim.decide lead-b@own.test',
      'claim.create owner-b@own.test',
      'claim.withdraw owner-b@own.test',
    ]);

    // Lists: pending first; a service owner sees their teams' claims and their own, not the other team's.
    const all = await listClaims(prisma, null, {});
    expect(all.rows[0]!.status).toBe('pending');
    const firstDecided = all.rows.findIndex((c) => c.status !== 'pending');
    expect(all.rows.slice(firstDecided).every((c) => c.status !== 'pending')).toBe(true);
    const forA = await listClaims(prisma, teamScope(who.ownerA), {}, who.ownerA.userId);
    expect(forA.rows.map((c) => c.id)).toContain(again.id);
    expect(forA.rows.every((c) => c.team === 'own-a' || c.claimant.id === who.ownerA.userId)).toBe(true);
    expect(forA.rows.map((c) => c.id)).not.toContain(mine.id);
    expect(forA.pending).toBeGreaterThan(0);
  });
});
