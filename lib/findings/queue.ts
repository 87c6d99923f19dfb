/**
 * The findings queue of a team: its findings as a work queue, by state —
 *
 *   unassigned → assigned (to a member of an owning team, or the team) → fix claimed, awaiting verification
 *   → verified fixed (the next evaluation no longer raises it) | verification failed (still raised: open again,
 *   with a note), and accepted until <date> (an exception in force: lib/findings/exceptions.ts, the one
 *   acceptance flow: an owner asks, a security lead approves).
 *
 * The team's findings are those of its subjects in the sense of the team scope (lib/auth/scope.ts): identities
 * and workloads an Ownership ties to the team, the ServiceAccounts its workloads run as, the workloads running
 * as its identities, and the credentials of those identities. Cluster- and namespace-wide findings are no
 * team's. The verification itself runs where findings are written (lib/findings/verify.ts).
 *
 * Every action is a trail entry (finding.assign, finding.mark_fixed) and a timeline entry on the subject, in
 * the action's transaction.
 */
import type pg from 'pg';
import { z } from 'zod';
import { actorOf, teamScope, type Principal } from '@/lib/auth/principal';
import { isScoped, type TeamScope } from '@/lib/auth/roles';
import { assertSubjectInScope, findingSubject } from '@/lib/auth/scope';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { conflict, forbidden, invalidInput, notFound } from '@/lib/errors';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';
import { isUuid } from '@/lib/validate';
import { expireExceptions } from './exceptions';
import type { Verification } from './verify';

export { runWords, verificationOf, verifyClaimedFixes } from './verify';

export const QUEUE_STATES = [
  'unassigned',
  'assigned',
  'awaiting_verification',
  'verification_failed',
  'accepted',
  'verified',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** How long a verified fix stays in the queue's "verified fixed" section. */
export const VERIFIED_RECENT_DAYS = 30;

export const QUEUE_STATE_LABELS: Record<QueueState, string> = {
  unassigned: 'Unassigned',
  assigned: 'Assigned',
  awaiting_verification: 'Fix claimed, awaiting verification',
  verification_failed: 'Verification failed',
  accepted: 'Accepted (exception in force)',
  verified: `Verified fixed (last ${VERIFIED_RECENT_DAYS} days)`,
};

/** Rows shown per section (the total is given beside). */
export const QUEUE_SECTION_LIMIT = 100;
const DAY = 86_400_000;

/** The facts of a finding its queue state is read from. */
export interface QueueFacts {
  status: 'open' | 'resolved' | 'excepted' | string;
  assigneeUserId: string | null;
  assigneeTeamId: string | null;
  verification: Verification | null;
  verifiedAt: Date | null;
}

/**
 * A finding's queue state (pure; the SQL of teamQueue says the same), or null when it is not in the queue
 * (resolved without a claimed fix, or verified longer ago than VERIFIED_RECENT_DAYS).
 */
export function queueStateOf(f: QueueFacts, now: Date): QueueState | null {
  if (f.status === 'excepted') return 'accepted';
  if (f.status === 'resolved')
    return f.verification === 'verified' && f.verifiedAt && f.verifiedAt.getTime() >= now.getTime() - VERIFIED_RECENT_DAYS * DAY
      ? 'verified'
      : null;
  if (f.verification === 'pending') return 'awaiting_verification';
  if (f.verification === 'failed') return 'verification_failed';
  return f.assigneeUserId || f.assigneeTeamId ? 'assigned' : 'unassigned';
}

/** Assigning (pure check): anything not resolved may be (re)assigned. */
export function checkAssign(f: Pick<QueueFacts, 'status'>): void {
  if (f.status === 'resolved') throw conflict('the finding is resolved: there is nothing to assign');
}

/** Marking fixed (pure check): only an open finding whose fix is not already awaiting verification. */
export function checkMarkFixed(f: Pick<QueueFacts, 'status' | 'verification'>): void {
  if (f.status === 'resolved') throw conflict('the finding is resolved already');
  if (f.status === 'excepted')
    throw conflict('the finding is accepted (an exception is in force): revoke the exception first if it was fixed');
  if (f.verification === 'pending') throw conflict('the finding is marked fixed already: the next collection verifies it');
}

/** The fields a fix claim sets (pure): pending, with who and when; an earlier outcome is cleared. */
export const fixClaim = (by: string, at: Date, note: string | null) => ({
  fixClaimedAt: at,
  fixClaimedBy: by,
  fixNote: note,
  verification: 'pending' as const,
  verifiedAt: null,
  verifyRunId: null,
  verifyNote: null,
});

// ───────────────────────────── reading a team's queue ─────────────────────────────

export const queueQuerySchema = z.object({ team: z.string().trim().min(1).max(253).optional() });
export type QueueQuery = z.infer<typeof queueQuerySchema>;

export interface QueueAssignee {
  user: { id: string; email: string; name: string } | null;
  team: { id: string; name: string } | null;
  at: string | null;
}

export interface QueueItem {
  id: string;
  state: QueueState;
  ruleId: string;
  title: string;
  severity: string;
  status: string;
  cluster: string;
  /** What it is about, as text (`Deployment shop/cart`, `ServiceAccount shop/cart`, `Secret shop/token`). */
  subject: string;
  identityId: string | null;
  workloadId: string | null;
  assignee: QueueAssignee | null;
  fix: { claimedAt: string; claimedBy: string | null; note: string | null } | null;
  verification: {
    state: Verification;
    at: string | null;
    run: { id: string; mode: string; startedAt: string } | null;
    note: string | null;
  } | null;
  /** The exception in force: accepted until. */
  acceptedUntil: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface QueueSection {
  state: QueueState;
  label: string;
  total: number;
  rows: QueueItem[];
}

export interface TeamQueue {
  /** The team shown (null: no team to show). */
  team: { id: string; name: string } | null;
  /** The teams the viewer may choose from (a service owner: their own). */
  teams: { id: string; name: string }[];
  /** The team's enabled members, to assign to. */
  members: { id: string; email: string; name: string }[];
  sections: QueueSection[];
}

interface Row {
  id: string;
  state: QueueState | null;
  total: number;
  ruleId: string;
  title: string;
  severity: string;
  status: string;
  cluster: string;
  identityId: string | null;
  workloadId: string | null;
  iNamespace: string | null;
  iName: string | null;
  iKind: string | null;
  wNamespace: string | null;
  wKind: string | null;
  wName: string | null;
  cNamespace: string | null;
  cName: string | null;
  userId: string | null;
  userEmail: string | null;
  userName: string | null;
  teamId: string | null;
  teamName: string | null;
  assignedAt: Date | null;
  fixClaimedAt: Date | null;
  fixClaimedBy: string | null;
  fixNote: string | null;
  verification: Verification | null;
  verifiedAt: Date | null;
  verifyNote: string | null;
  runId: string | null;
  runMode: string | null;
  runStartedAt: Date | null;
  acceptedUntil: Date | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** The finding ids of a team's subjects (see module comment), as a SQL set. */
const teamFindingsSql = (teamId: string) => Prisma.sql`
  WITH ids AS (
    SELECT o."identityId" AS id FROM "Ownership" o WHERE o."teamId" = ${teamId}::uuid AND o."identityId" IS NOT NULL
    UNION SELECT wi."identityId" FROM "Ownership" o JOIN "WorkloadIdentity" wi ON wi."workloadId" = o."workloadId" WHERE o."teamId" = ${teamId}::uuid
  ), wids AS (
    SELECT o."workloadId" AS id FROM "Ownership" o WHERE o."teamId" = ${teamId}::uuid AND o."workloadId" IS NOT NULL
    UNION SELECT wi."workloadId" FROM "Ownership" o JOIN "WorkloadIdentity" wi ON wi."identityId" = o."identityId" WHERE o."teamId" = ${teamId}::uuid
  ), fs AS (
    SELECT f.id FROM "Finding" f JOIN ids ON ids.id = f."identityId"
    UNION SELECT f.id FROM "Finding" f JOIN "Credential" c ON c.id = f."credentialId" JOIN ids ON ids.id = c."identityId" WHERE f."identityId" IS NULL
    UNION SELECT f.id FROM "Finding" f JOIN wids ON wids.id = f."workloadId"
  )`;

/** queueStateOf in SQL, over the finding `f`. */
const stateSql = (now: Date) => Prisma.sql`CASE
    WHEN f.status = 'excepted' THEN 'accepted'
    WHEN f.status = 'resolved' THEN CASE WHEN f.verification = 'verified' AND f."verifiedAt" >= ${new Date(now.getTime() - VERIFIED_RECENT_DAYS * DAY)} THEN 'verified' END
    WHEN f.verification = 'pending' THEN 'awaiting_verification'
    WHEN f.verification = 'failed' THEN 'verification_failed'
    WHEN f."assigneeUserId" IS NOT NULL OR f."assigneeTeamId" IS NOT NULL THEN 'assigned'
    ELSE 'unassigned' END`;

/** A finding's queue item whatever its state (null: not in a queue). */
export type QueueEntry = Omit<QueueItem, 'state'> & { state: QueueState | null };

const itemOf = (r: Row): QueueEntry => ({
  id: r.id,
  state: r.state,
  ruleId: r.ruleId,
  title: r.title,
  severity: r.severity,
  status: r.status,
  cluster: r.cluster,
  subject: r.wKind
    ? `${r.wKind} ${r.wNamespace}/${r.wName}`
    : r.iName
      ? `${r.iKind ?? 'ServiceAccount'} ${r.iNamespace ? `${r.iNamespace}/` : ''}${r.iName}`
      : r.cName
        ? `Secret ${r.cNamespace}/${r.cName}`
        : '—',
  identityId: r.identityId,
  workloadId: r.workloadId,
  assignee:
    r.userId || r.teamId
      ? {
          user: r.userId ? { id: r.userId, email: r.userEmail!, name: r.userName! } : null,
          team: r.teamId ? { id: r.teamId, name: r.teamName! } : null,
          at: r.assignedAt?.toISOString() ?? null,
        }
      : null,
  fix: r.fixClaimedAt ? { claimedAt: r.fixClaimedAt.toISOString(), claimedBy: r.fixClaimedBy, note: r.fixNote } : null,
  verification: r.verification
    ? {
        state: r.verification,
        at: r.verifiedAt?.toISOString() ?? null,
        run: r.runId ? { id: r.runId, mode: r.runMode!, startedAt: r.runStartedAt!.toISOString() } : null,
        note: r.verifyNote,
      }
    : null,
  acceptedUntil: r.acceptedUntil?.toISOString() ?? null,
  firstSeenAt: r.firstSeenAt.toISOString(),
  lastSeenAt: r.lastSeenAt.toISOString(),
});

/** The columns of a queue item, over `r` (a finding with `state` and `total`). */
const itemColumns = Prisma.sql`
  r.id, r.state, r.total, r."ruleId", r.title, r.severity::text AS severity, r.status::text AS status, cl.name AS cluster,
  r."identityId", r."workloadId",
  i.namespace AS "iNamespace", i.name AS "iName", i.kind::text AS "iKind",
  w.namespace AS "wNamespace", w.kind AS "wKind", w.name AS "wName", c.namespace AS "cNamespace", c.name AS "cName",
  u.id AS "userId", u.email AS "userEmail", u.name AS "userName", t.id AS "teamId", t.name AS "teamName", r."assignedAt",
  r."fixClaimedAt", r."fixClaimedBy", r."fixNote", r.verification::text AS verification, r."verifiedAt", r."verifyNote",
  run.id AS "runId", run.mode AS "runMode", run."startedAt" AS "runStartedAt",
  (SELECT max(e."expiresAt") FROM "FindingException" e
   WHERE e."findingId" = r.id AND e."revokedAt" IS NULL AND e."expiredAt" IS NULL) AS "acceptedUntil",
  r."firstSeenAt", r."lastSeenAt"`;

const itemJoins = Prisma.sql`
  JOIN "Cluster" cl ON cl.id = r."clusterId"
  LEFT JOIN "Identity" i ON i.id = r."identityId"
  LEFT JOIN "Workload" w ON w.id = r."workloadId"
  LEFT JOIN "Credential" c ON c.id = r."credentialId"
  LEFT JOIN "User" u ON u.id = r."assigneeUserId"
  LEFT JOIN "Team" t ON t.id = r."assigneeTeamId"
  LEFT JOIN "CollectionRun" run ON run.id = r."verifyRunId"`;

/** The teams a viewer may open the queue of (a service owner: their own), by name. */
async function visibleTeams(db: PrismaClient, scope: TeamScope): Promise<{ id: string; name: string }[]> {
  return db.team.findMany({
    where: scope ? { id: { in: [...scope] } } : {},
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
}

/**
 * A team's queue by state (`team`: its name; default the viewer's first team), QUEUE_SECTION_LIMIT rows per
 * section, worst first. 404 for a team the viewer may not see. Exceptions past their expiry are ended first.
 */
export async function teamQueue(
  deps: { db: PrismaClient; pool: pg.Pool },
  scope: TeamScope,
  query: QueueQuery,
  now = new Date(),
): Promise<TeamQueue> {
  const { db } = deps;
  await expireExceptions(deps.pool, now);
  const teams = await visibleTeams(db, scope);
  const team = query.team ? teams.find((t) => t.name === query.team || t.id === query.team) : teams[0];
  if (query.team && !team) throw notFound(`no team named "${query.team}"${scope ? ' among your teams' : ''}`);
  if (!team) return { team: null, teams, members: [], sections: [] };
  const [rows, members] = await Promise.all([
    db.$queryRaw<Row[]>`
      ${teamFindingsSql(team.id)},
      ranked AS (
        SELECT q.*, row_number() OVER (PARTITION BY q.state ORDER BY q.severity DESC, q."lastSeenAt" DESC, q.id)::int AS rn,
               count(*) OVER (PARTITION BY q.state)::int AS total
        FROM (SELECT f.*, ${stateSql(now)} AS state FROM "Finding" f JOIN fs ON fs.id = f.id) q
        WHERE q.state IS NOT NULL
      )
      SELECT ${itemColumns} FROM ranked r ${itemJoins}
      WHERE r.rn <= ${QUEUE_SECTION_LIMIT} ORDER BY r.state, r.rn`,
    teamMembers(db, team.id),
  ]);
  const items = rows.map(itemOf) as QueueItem[];
  return {
    team,
    teams,
    members,
    sections: QUEUE_STATES.map((state) => {
      const of = rows.filter((r) => r.state === state);
      return {
        state,
        label: QUEUE_STATE_LABELS[state],
        total: of[0]?.total ?? 0,
        rows: items.filter((i) => i.state === state),
      };
    }),
  };
}

const teamMembers = (db: PrismaClient, teamId: string) =>
  db.user.findMany({
    where: { disabledAt: null, teams: { some: { teamId } } },
    select: { id: true, email: true, name: true },
    orderBy: { email: 'asc' },
  });

/** The teams whose queue a finding is in (see module comment), by name. */
async function owningTeams(db: Pick<PrismaClient, '$queryRaw'>, findingId: string): Promise<{ id: string; name: string }[]> {
  return db.$queryRaw<{ id: string; name: string }[]>`
    WITH s AS (
      SELECT COALESCE(f."identityId", c."identityId") AS i, f."workloadId" AS w
      FROM "Finding" f LEFT JOIN "Credential" c ON c.id = f."credentialId" WHERE f.id = ${findingId}::uuid
    )
    SELECT t.id, t.name FROM "Team" t WHERE t.id IN (
      SELECT o."teamId" FROM "Ownership" o, s WHERE o."identityId" = s.i OR o."workloadId" = s.w
      UNION SELECT o."teamId" FROM s JOIN "WorkloadIdentity" wi ON wi."identityId" = s.i JOIN "Ownership" o ON o."workloadId" = wi."workloadId"
      UNION SELECT o."teamId" FROM s JOIN "WorkloadIdentity" wi ON wi."workloadId" = s.w JOIN "Ownership" o ON o."identityId" = wi."identityId"
    ) ORDER BY t.name`;
}

/** One finding's queue item (null: no such finding), whatever its state (`state` null: not in a queue). */
async function queueItem(db: PrismaClient, id: string, now: Date): Promise<QueueEntry | null> {
  if (!isUuid(id)) return null;
  const rows = await db.$queryRaw<Row[]>`
    SELECT ${itemColumns}
    FROM (SELECT f.*, ${stateSql(now)} AS state, 1 AS total FROM "Finding" f WHERE f.id = ${id}::uuid) r ${itemJoins}`;
  return rows[0] ? itemOf(rows[0]) : null;
}

export interface FindingQueueView {
  item: QueueEntry;
  /** The owning teams the viewer may assign within, each with its enabled members. */
  teams: { id: string; name: string; members: { id: string; email: string; name: string }[] }[];
}

/** A finding's queue state and whom the viewer may assign it to (the finding page). Null: no such finding. */
export async function findingQueue(
  db: PrismaClient,
  viewer: Principal,
  id: string,
  now = new Date(),
): Promise<FindingQueueView | null> {
  const item = await queueItem(db, id, now);
  if (!item) return null;
  const scope = teamScope(viewer);
  const teams = (await owningTeams(db, id)).filter((t) => !scope || scope.includes(t.id));
  return { item, teams: await Promise.all(teams.map(async (t) => ({ ...t, members: await teamMembers(db, t.id) }))) };
}

// ───────────────────────────── actions ─────────────────────────────

export const assignSchema = z
  .object({
    /** A member's email. */
    user: z.email().max(320).optional(),
    /** A team's name (the team itself, or the one of the member's teams that is meant). */
    team: z.string().trim().min(1).max(253).optional(),
  })
  .refine((x) => x.user || x.team, { message: 'name a team member (user) or a team', path: ['user'] });
export type AssignInput = z.infer<typeof assignSchema>;

export const markFixedSchema = z.object({ note: z.string().trim().max(2000).optional() });
export type MarkFixedInput = z.infer<typeof markFixedSchema>;

interface Locked {
  id: string;
  clusterId: string;
  ruleId: string;
  status: string;
  identityId: string | null;
  workloadId: string | null;
  credentialId: string | null;
  assigneeUserId: string | null;
  assigneeTeamId: string | null;
  verification: Verification | null;
}

/** 404 unless the finding exists and is in the actor's scope. */
async function assertFindingInScope(db: PrismaClient, actor: Principal, id: string): Promise<void> {
  const subject = await findingSubject(db, id);
  if (!subject) throw notFound('no such finding');
  await assertSubjectInScope(db, teamScope(actor), subject, 'finding');
}

type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

async function lockFinding(tx: Tx, id: string): Promise<Locked> {
  const rows = await tx.$queryRaw<Locked[]>`
    SELECT id, "clusterId", "ruleId", status::text AS status, "identityId", "workloadId", "credentialId",
           "assigneeUserId", "assigneeTeamId", verification::text AS verification
    FROM "Finding" WHERE id = ${id}::uuid FOR UPDATE`;
  if (!rows[0]) throw notFound('no such finding');
  return rows[0];
}

const timeline = (tx: Tx, f: Locked, at: Date, kind: string, summary: string, details: object) =>
  tx.timelineEvent.create({
    data: {
      clusterId: f.clusterId,
      at,
      kind,
      summary,
      identityId: f.identityId,
      workloadId: f.workloadId,
      credentialId: f.credentialId,
      details: { findingId: f.id, rule: f.ruleId, ...details },
    },
  });

const assigneeText = (a: { user: { email: string } | null; team: { name: string } | null }) =>
  a.user ? `${a.user.email}${a.team ? ` (${a.team.name})` : ''}` : (a.team?.name ?? 'nobody');

/**
 * Assigns a finding to a member of one of its owning teams, or to the team. A service owner assigns within their
 * own teams only (403); 404 for a finding outside the actor's scope; 409 for a resolved finding.
 */
export async function assignFinding(
  db: PrismaClient,
  actor: Principal,
  id: string,
  input: AssignInput,
  now = new Date(),
): Promise<QueueEntry> {
  await assertFindingInScope(db, actor, id);
  const owning = await owningTeams(db, id);
  if (!owning.length) throw conflict('no team owns this finding: claim its subject for a team first (Ownership)');
  const user = input.user
    ? await db.user.findUnique({
        where: { email: input.user.trim().toLowerCase() },
        select: { id: true, email: true, disabledAt: true, teams: { select: { teamId: true } } },
      })
    : null;
  if (input.user && (!user || user.disabledAt)) throw invalidInput(`no enabled user ${input.user}`);
  const candidates = owning.filter(
    (t) => (!input.team || t.name === input.team || t.id === input.team) && (!user || user.teams.some((m) => m.teamId === t.id)),
  );
  const mine = isScoped(actor.role) ? candidates.filter((t) => actor.teams.some((m) => m.id === t.id)) : candidates;
  if (!candidates.length)
    throw invalidInput(
      user
        ? `${user.email} is not a member of ${input.team ? `the team ${input.team}, or it does not own this finding` : 'a team that owns this finding'} (owners: ${owning.map((t) => t.name).join(', ')})`
        : `the team ${input.team} does not own this finding (owners: ${owning.map((t) => t.name).join(', ')})`,
    );
  if (!mine.length) throw forbidden('a service owner assigns within their own teams only');
  const team = mine[0]!;
  await db.$transaction(async (tx) => {
    const f = await lockFinding(tx, id);
    checkAssign(f);
    const before = await tx.finding.findUnique({
      where: { id },
      select: { assigneeUser: { select: { email: true } }, assigneeTeam: { select: { name: true } } },
    });
    await tx.finding.update({
      where: { id },
      data: { assigneeUserId: user?.id ?? null, assigneeTeamId: team.id, assignedAt: now },
    });
    const after = { user: user ? { email: user.email } : null, team: { name: team.name } };
    await timeline(tx, f, now, 'finding.assigned', `${f.ruleId} assigned to ${assigneeText(after)} by ${actorOf(actor)}`, {
      assignee: user?.email ?? null,
      team: team.name,
    });
    await appendTrail(prismaExecutor(tx), {
      actor: actorOf(actor),
      userId: actor.userId,
      action: 'finding.assign',
      target: `finding:${id}`,
      before: { rule: f.ruleId, assignee: before?.assigneeUser?.email ?? null, team: before?.assigneeTeam?.name ?? null },
      after: { rule: f.ruleId, assignee: user?.email ?? null, team: team.name },
      at: now,
    });
  });
  return (await queueItem(db, id, now))!;
}

/**
 * Marks a finding fixed: it waits for the next collection, whose evaluation verifies it (lib/findings/verify.ts).
 * 404 outside the actor's scope; 409 unless open and not already awaiting verification.
 */
export async function markFixed(
  db: PrismaClient,
  actor: Principal,
  id: string,
  input: MarkFixedInput,
  now = new Date(),
): Promise<QueueEntry> {
  await assertFindingInScope(db, actor, id);
  const by = actorOf(actor);
  await db.$transaction(async (tx) => {
    const f = await lockFinding(tx, id);
    checkMarkFixed(f);
    await tx.finding.update({ where: { id }, data: fixClaim(by, now, input.note || null) });
    await timeline(tx, f, now, 'finding.fix_claimed', `${f.ruleId} marked fixed by ${by}: the next collection verifies it`, {
      by,
      ...(input.note ? { note: input.note } : {}),
    });
    await appendTrail(prismaExecutor(tx), {
      actor: by,
      userId: actor.userId,
      action: 'finding.mark_fixed',
      target: `finding:${id}`,
      before: { rule: f.ruleId, status: f.status, verification: f.verification },
      after: { rule: f.ruleId, status: f.status, verification: 'pending', note: input.note || null },
      at: now,
    });
  });
  return (await queueItem(db, id, now))!;
}
