/**
 * The findings queue on the demo data, in a database of its own: a team's queue by state and its scope, assigning
 * and marking fixed (who may, what goes on the trail and the timeline), then real re-collections (the demo dump
 * imported again): with the cause removed the fix is verified, with the run and time; with it still present the
 * verification fails and the finding is open again with a note. The CLI's commands on the same database.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { principalByEmail, teamScope, type Principal } from '@/lib/auth/principal';
import { addUser } from '@/lib/auth/users';
import { runNhi } from '@/lib/cli/run-nhi';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { demoClusterName, demoDataFile, loadDemoData } from '@/lib/demo/load';
import { createException } from './exceptions';
import { assignFinding, findingQueue, markFixed, teamQueue, type QueueState, type TeamQueue } from './queue';

let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let tmp: string;
const who: Record<'lead' | 'owner' | 'member' | 'outsider' | 'auditor', Principal> = {} as never;
/** Team T (the queue under test) and the findings picked in it: f and g on two workloads, h a third. */
const pick: { team: string; teamId: string; f: Target; g: Target; h: Target } = {} as never;

interface Target {
  id: string;
  ruleId: string;
  workloadId: string;
  kind: string;
  namespace: string;
  name: string;
}

const status = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { status?: number }) => e.status ?? e,
  );
const deps = () => ({ db: prisma, pool });
const stateOf = (q: TeamQueue, id: string): QueueState | undefined =>
  q.sections.find((s) => s.rows.some((r) => r.id === id))?.state;

/** The demo dump without the named top-level workloads (the cause of their findings removed), as a file. */
function dumpWithout(...gone: Target[]): string {
  const list = JSON.parse(gunzipSync(readFileSync(demoDataFile)).toString('utf8')) as {
    items: { kind: string; metadata: { namespace?: string; name: string } }[];
  };
  list.items = list.items.filter(
    (o) => !gone.some((g) => o.kind === g.kind && o.metadata.namespace === g.namespace && o.metadata.name === g.name),
  );
  const file = path.join(tmp, `demo-without-${gone.map((g) => g.name).join('-')}.json`);
  writeFileSync(file, JSON.stringify(list));
  return file;
}

const reimport = (file: string) =>
  importDumps(pool, [file], { clusterName: demoClusterName, source: 'demo', tlsCertificates: true });

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'queue');
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  prisma = createPrisma(db.url);
  pool = openStore(db.url);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'nhi-queue-'));
  // A team owning three top-level workloads with open posture findings (one finding of each picked).
  const rows = await prisma.$queryRaw<(Target & { team: string; teamId: string })[]>`
    SELECT DISTINCT ON (t.name, w.id) f.id, f."ruleId", w.id AS "workloadId", w.kind, w.namespace, w.name, t.name AS team, t.id AS "teamId"
    FROM "Finding" f JOIN "Workload" w ON w.id = f."workloadId" JOIN "Ownership" o ON o."workloadId" = w.id JOIN "Team" t ON t.id = o."teamId"
    WHERE f.status = 'open' AND f."ruleId" LIKE 'NHI-POS-%' AND w.kind IN ('Deployment', 'StatefulSet', 'DaemonSet') AND w."deletedAt" IS NULL
    ORDER BY t.name, w.id, f.severity DESC, f."ruleId"`;
  const byTeam = new Map<string, typeof rows>();
  for (const r of rows) (byTeam.get(r.team) ?? byTeam.set(r.team, []).get(r.team)!).push(r);
  const [team, targets] = [...byTeam].find(([, ts]) => ts.length >= 3)!;
  expect(targets, 'the demo has a team owning three workloads with findings').toBeTruthy();
  Object.assign(pick, { team, teamId: targets[0]!.teamId, f: targets[0], g: targets[1], h: targets[2] });
  const other = (await prisma.team.findFirst({ where: { name: { not: team } }, orderBy: { name: 'asc' } }))!.name;
  const add = async (email: string, role: Principal['role'], teams: string[] = []) => {
    await addUser(prisma, { email, name: email.split('@')[0]!, role, teams }, 'test');
    return principalByEmail(prisma, email);
  };
  who.lead = await add('lead@queue.test', 'security_lead');
  who.owner = await add('owner@queue.test', 'service_owner', [team]);
  who.member = await add('member@queue.test', 'service_owner', [team]);
  who.outsider = await add('outsider@queue.test', 'service_owner', [other]);
  who.auditor = await add('auditor@queue.test', 'auditor');
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("a team's queue", () => {
  it('lists the team’s findings by state, worst first, with the members to assign to', async () => {
    const q = await teamQueue(deps(), teamScope(who.owner), {});
    expect(q.team?.name).toBe(pick.team);
    expect(q.teams.map((t) => t.name)).toEqual([pick.team]);
    expect(q.members.map((m) => m.email)).toEqual(expect.arrayContaining(['member@queue.test', 'owner@queue.test']));
    expect(q.sections.map((s) => s.state)).toEqual([
      'unassigned',
      'assigned',
      'awaiting_verification',
      'verification_failed',
      'accepted',
      'verified',
    ]);
    const unassigned = q.sections[0]!;
    expect(unassigned.total).toBeGreaterThanOrEqual(3);
    for (const t of [pick.f, pick.g, pick.h]) expect(stateOf(q, t.id)).toBe('unassigned');
    const order = ['critical', 'high', 'medium', 'low', 'info'];
    const ranks = unassigned.rows.map((r) => order.indexOf(r.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const f = unassigned.rows.find((r) => r.id === pick.f.id)!;
    expect(f.subject).toBe(`${pick.f.kind} ${pick.f.namespace}/${pick.f.name}`);
    // A lead sees the same queue by name; every finding in it is one the owner may open.
    const lead = await teamQueue(deps(), null, { team: pick.team });
    expect(lead.sections.map((s) => s.total)).toEqual(q.sections.map((s) => s.total));
  });

  it('another team’s service owner gets 404 for this team, and sees none of its findings in their own queue', async () => {
    expect(await status(teamQueue(deps(), teamScope(who.outsider), { team: pick.team }))).toBe(404);
    const theirs = await teamQueue(deps(), teamScope(who.outsider), {});
    expect(theirs.team?.name).not.toBe(pick.team);
    expect(JSON.stringify(theirs)).not.toContain(pick.f.id);
  });
});

describe('assigning and marking fixed', () => {
  it('assigns to a member of the team (or the team), on the trail and the subject’s timeline', async () => {
    const item = await assignFinding(prisma, who.owner, pick.f.id, { user: 'member@queue.test' });
    expect(item.state).toBe('assigned');
    expect(item.assignee).toMatchObject({ user: { email: 'member@queue.test' }, team: { name: pick.team } });
    expect((await assignFinding(prisma, who.lead, pick.g.id, { team: pick.team })).assignee).toMatchObject({
      user: null,
      team: { name: pick.team },
    });
    const trail = await prisma.activityLog.findFirst({ where: { action: 'finding.assign', target: `finding:${pick.f.id}` } });
    expect(trail).toMatchObject({ actor: 'owner@queue.test', userId: who.owner.userId });
    expect(trail!.after).toMatchObject({ assignee: 'member@queue.test', team: pick.team });
    const event = await prisma.timelineEvent.findFirst({ where: { workloadId: pick.f.workloadId, kind: 'finding.assigned' } });
    expect(event?.summary).toContain('member@queue.test');
    expect(stateOf(await teamQueue(deps(), teamScope(who.owner), {}), pick.f.id)).toBe('assigned');
  });

  it('refuses a member of no owning team (400), another team’s owner (404), and a service owner naming another team (403)', async () => {
    expect(await status(assignFinding(prisma, who.owner, pick.h.id, { user: 'outsider@queue.test' }))).toBe(400);
    expect(await status(assignFinding(prisma, who.outsider, pick.h.id, { team: pick.team }))).toBe(404);
    expect(await status(assignFinding(prisma, who.outsider, pick.h.id, { user: 'member@queue.test' }))).toBe(404);
    expect(await status(markFixed(prisma, who.outsider, pick.h.id, {}))).toBe(404);
    expect(await status(assignFinding(prisma, who.lead, '00000000-0000-4000-8000-000000000000', { team: pick.team }))).toBe(404);
    // A co-owning team of the outsider's: a lead may assign to it, this team's service owner may not (403).
    const otherTeam = who.outsider.teams[0]!;
    const extra = await prisma.ownership.create({
      data: { teamId: otherTeam.id, workloadId: pick.h.workloadId, origin: 'claimed', source: 'test' },
    });
    expect(await status(assignFinding(prisma, who.owner, pick.h.id, { team: otherTeam.name }))).toBe(403);
    await prisma.ownership.delete({ where: { id: extra.id } });
    // A team that co-owns nothing of it: refused as not owning (400); no change was made.
    expect(await status(assignFinding(prisma, who.lead, pick.h.id, { team: 'no-such-team' }))).toBe(400);
    expect((await prisma.finding.findUniqueOrThrow({ where: { id: pick.h.id } })).assigneeTeamId).toBeNull();
  });

  it('marks fixed: awaiting verification, with who and the note; a second time is refused (409)', async () => {
    const item = await markFixed(prisma, who.member, pick.f.id, { note: 'automountServiceAccountToken: false' });
    expect(item.state).toBe('awaiting_verification');
    expect(item.status).toBe('open');
    expect(item.fix).toMatchObject({ claimedBy: 'member@queue.test', note: 'automountServiceAccountToken: false' });
    expect(await status(markFixed(prisma, who.owner, pick.f.id, {}))).toBe(409);
    const trail = await prisma.activityLog.findFirst({ where: { action: 'finding.mark_fixed', target: `finding:${pick.f.id}` } });
    expect(trail?.after).toMatchObject({ verification: 'pending' });
    expect(await prisma.timelineEvent.count({ where: { workloadId: pick.f.workloadId, kind: 'finding.fix_claimed' } })).toBe(1);
    const q = await teamQueue(deps(), teamScope(who.owner), {});
    expect(stateOf(q, pick.f.id)).toBe('awaiting_verification');
    // The finding page's view: its state and the owning teams the viewer may assign within.
    const view = (await findingQueue(prisma, who.owner, pick.f.id))!;
    expect(view.item.state).toBe('awaiting_verification');
    expect(view.teams.map((t) => t.name)).toEqual([pick.team]);
  });
});

describe('verification by the next collection (the demo dump imported again)', () => {
  let firstRun: string | null;

  it('with the cause removed: verified fixed, with the collection run and time, on the trail', async () => {
    const outcome = await reimport(dumpWithout(pick.f));
    firstRun = outcome.runId;
    const f = await prisma.finding.findUniqueOrThrow({ where: { id: pick.f.id } });
    expect(f).toMatchObject({ status: 'resolved', verification: 'verified', verifyRunId: outcome.runId, verifyNote: null });
    expect(f.verifiedAt!.getTime()).toBeGreaterThan(f.fixClaimedAt!.getTime());
    const q = await teamQueue(deps(), teamScope(who.owner), {});
    expect(stateOf(q, pick.f.id)).toBe('verified');
    const row = q.sections.find((s) => s.state === 'verified')!.rows.find((r) => r.id === pick.f.id)!;
    expect(row.verification).toMatchObject({ state: 'verified', run: { id: outcome.runId, mode: 'import' } });
    const trail = await prisma.activityLog.findFirst({ where: { action: 'finding.verify', target: `finding:${pick.f.id}` } });
    expect(trail).toMatchObject({ actor: 'system' });
    expect(trail!.after).toMatchObject({ verification: 'verified', run: { id: outcome.runId } });
    expect(await prisma.timelineEvent.count({ where: { workloadId: pick.f.workloadId, kind: 'finding.fix_verified' } })).toBe(1);
    // g was assigned, not marked fixed: untouched.
    expect(stateOf(q, pick.g.id)).toBe('assigned');
    // Verified is final: nothing to assign or mark on a resolved finding.
    expect(await status(markFixed(prisma, who.owner, pick.f.id, {}))).toBe(409);
    expect(await status(assignFinding(prisma, who.owner, pick.f.id, { team: pick.team }))).toBe(409);
  });

  it('with the cause still present: verification failed, open again with a note; a fix marked after the evaluation waits', async () => {
    await markFixed(prisma, who.owner, pick.g.id, { note: 'thought so' });
    const later = new Date(Date.now() + 3_600_000);
    await markFixed(prisma, who.owner, pick.h.id, {}, later);
    const outcome = await reimport(dumpWithout(pick.f));
    expect(outcome.runId).not.toBe(firstRun);
    const g = await prisma.finding.findUniqueOrThrow({ where: { id: pick.g.id } });
    expect(g).toMatchObject({ status: 'open', verification: 'failed', verifyRunId: outcome.runId });
    expect(g.verifyNote).toMatch(/^Verification failed: the import of .* UTC still raises it; back to open\.$/);
    const q = await teamQueue(deps(), teamScope(who.owner), {});
    expect(stateOf(q, pick.g.id)).toBe('verification_failed');
    expect(q.sections.find((s) => s.state === 'verification_failed')!.rows[0]!.verification?.note).toBe(g.verifyNote);
    expect(stateOf(q, pick.h.id)).toBe('awaiting_verification');
    expect(stateOf(q, pick.f.id)).toBe('verified');
    const trail = await prisma.activityLog.findFirst({ where: { action: 'finding.verify', target: `finding:${pick.g.id}` } });
    expect(trail!.after).toMatchObject({ verification: 'failed', status: 'open' });
    expect(await prisma.timelineEvent.count({ where: { workloadId: pick.g.workloadId, kind: 'finding.fix_failed' } })).toBe(1);
    // A failed fix may be marked fixed again.
    expect((await markFixed(prisma, who.owner, pick.g.id, {})).state).toBe('awaiting_verification');
  });

  it('an accepted finding (the exception flow) is listed as accepted until its expiry', async () => {
    const [k] = await prisma.$queryRaw<{ id: string }[]>`
      SELECT f.id FROM "Finding" f JOIN "Ownership" o ON o."workloadId" = f."workloadId"
      WHERE o."teamId" = ${pick.teamId}::uuid AND f.status = 'open' AND f.verification IS NULL LIMIT 1`;
    const e = await createException(pool, {
      findingId: k!.id,
      reason: 'cannot be fixed before the migration',
      requestedBy: 'owner@queue.test',
      approvedBy: 'lead@queue.test',
      expires: '30d',
    });
    const q = await teamQueue(deps(), teamScope(who.owner), {});
    expect(stateOf(q, k!.id)).toBe('accepted');
    const row = q.sections.find((s) => s.state === 'accepted')!.rows.find((r) => r.id === k!.id)!;
    expect(row.acceptedUntil).toBe(e.expiresAt);
  });
});

describe('nhi findings queue | assign | mark-fixed', () => {
  const nhi = (...args: string[]) => runNhi(db.url, ...args);

  it('prints the queue as JSON and assigns and marks fixed as the user --by names', () => {
    const queue = nhi('findings', 'queue', '--team', pick.team, '--json');
    expect(queue.stderr).toBe('');
    const q = JSON.parse(queue.stdout) as TeamQueue;
    expect(q.team?.name).toBe(pick.team);
    const target = q.sections.find((s) => s.state === 'unassigned')!.rows[0]!;
    const assigned = nhi('findings', 'assign', target.id, '--to', 'member@queue.test', '--by', 'owner@queue.test');
    expect(assigned.stderr).toBe('');
    expect(assigned.stdout).toMatch(/^Assigned: .*→ member@queue\.test/);
    const fixed = nhi('findings', 'mark-fixed', target.id, '--by', 'member@queue.test', '--note', 'done', '--json');
    expect(JSON.parse(fixed.stdout)).toMatchObject({ state: 'awaiting_verification', fix: { claimedBy: 'member@queue.test' } });
    const text = nhi('findings', 'queue', '--team', pick.team);
    expect(text.stdout).toMatch(/Fix claimed, awaiting verification \(\d+\)/);
    expect(text.stdout).toMatch(/marked fixed by member@queue\.test/);
    // Another team's owner does not see the finding.
    const hidden = nhi('findings', 'assign', target.id, '--team', pick.team, '--by', 'outsider@queue.test');
    expect(hidden.status).toBe(1);
    expect(hidden.stderr).toMatch(/no finding with this id in your teams/);
  });
});
