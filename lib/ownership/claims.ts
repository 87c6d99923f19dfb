/**
 * Claims of ownership: a person asks that a team own a workload or an identity (a service owner for one of
 * their own teams, a security lead or an admin for any team); a security lead or an admin who did not make the
 * claim approves or rejects it; the claimant may withdraw it while it waits.
 *
 * An approval makes the team the subject's claimed owner in one transaction: earlier claimed owners are replaced
 * (reassignment) while the owners inferred from labels stay as the collector keeps them; the subject's timeline
 * says who owns it now, who claimed it and who approved it. Every step is an entry of the activity trail, in the
 * step's transaction (no entry, no step).
 *
 * After an approval of an identity its risk score is computed again ("No owner" is one of its factors,
 * lib/risk/score.ts) and its NHI-POS-007 finding ("ServiceAccount has no owner") is resolved at once; the next
 * evaluation reads the claimed owner and keeps it resolved. A workload's score has no ownership factor.
 */
import { isUuid } from '@/lib/validate';
import type pg from 'pg';
import { z } from 'zod';
import { actorOf, type Principal } from '@/lib/auth/principal';
import { allows, isScoped, type TeamScope } from '@/lib/auth/roles';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { conflict, forbidden, invalidInput, notFound } from '@/lib/errors';
import { refreshRiskRollupsOf } from '@/lib/risk/rollups';
import { updateRiskScores } from '@/lib/risk/store';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';
import { parseFields } from '@/lib/validate';
import { identityVisibleSql, workloadVisibleSql } from './unowned';

export const CLAIM_STATUSES = ['pending', 'approved', 'rejected', 'withdrawn'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** The posture rule an identity's claimed owner settles (lib/findings/rules.ts). */
export const NO_OWNER_RULE = 'NHI-POS-007';

/** Who acts: a signed-in person, an API token's user, or the user an operator names (`--by`, CLI). */
export type Actor = Pick<Principal, 'userId' | 'email' | 'role' | 'teams'>;

const note = z
  .string()
  .trim()
  .max(2000)
  .optional()
  .transform((s) => s || undefined);

export const claimRequestSchema = z
  .object({
    workloadId: z.uuid().optional(),
    identityId: z.uuid().optional(),
    /** The team's name; a service owner with one team may leave it out. */
    team: z.string().trim().min(1).max(253).optional(),
    /** Why this team owns it (shown to whoever decides). */
    note,
  })
  .refine((x) => !x.workloadId !== !x.identityId, {
    message: 'name one workload or one identity',
    path: ['workloadId'],
  });
export type ClaimRequest = z.input<typeof claimRequestSchema>;

export const claimDecisionSchema = z.object({ decision: z.enum(['approve', 'reject']), note });
export type ClaimDecision = z.input<typeof claimDecisionSchema>;

export const claimWithdrawSchema = z.object({ note });

export const claimFilterSchema = z.object({
  /** `decided`: approved, rejected or withdrawn. */
  status: z.enum([...CLAIM_STATUSES, 'decided', 'all']).default('all'),
  team: z.string().max(253).optional(),
  workloadId: z.uuid().optional(),
  identityId: z.uuid().optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type ClaimFilter = z.infer<typeof claimFilterSchema>;

export interface ClaimSubject {
  type: 'identity' | 'workload';
  id: string;
  clusterId: string;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  /** `namespace/name` (identity) or `namespace/Kind/name` (workload). */
  label: string;
  deleted: boolean;
}

export interface ClaimView {
  id: string;
  status: ClaimStatus;
  subject: ClaimSubject;
  team: string;
  claimant: { id: string; email: string; name: string };
  note: string | null;
  createdAt: string;
  decidedAt: string | null;
  decidedBy: { email: string; name: string } | null;
  decisionNote: string | null;
}

type Tx = Prisma.TransactionClient;
type Reader = PrismaClient | Tx;

const subjectSelect = {
  id: true,
  clusterId: true,
  namespace: true,
  kind: true,
  name: true,
  deletedAt: true,
  cluster: { select: { name: true } },
} as const;

type SubjectRow = { id: string; clusterId: string; namespace: string; kind: string; name: string; deletedAt: Date | null };

function subjectOf(type: 'identity' | 'workload', s: SubjectRow & { cluster: { name: string } }): ClaimSubject {
  const label = type === 'identity' ? (s.namespace ? `${s.namespace}/${s.name}` : s.name) : `${s.namespace}/${s.kind}/${s.name}`;
  return {
    type,
    id: s.id,
    clusterId: s.clusterId,
    cluster: s.cluster.name,
    namespace: s.namespace,
    kind: s.kind,
    name: s.name,
    label,
    deleted: s.deletedAt !== null,
  };
}

async function loadSubject(
  db: Reader,
  ref: { workloadId?: string | null; identityId?: string | null },
): Promise<ClaimSubject | null> {
  if (ref.workloadId) {
    const w = await db.workload.findUnique({ where: { id: ref.workloadId }, select: subjectSelect });
    return w && subjectOf('workload', w);
  }
  if (ref.identityId) {
    const i = await db.identity.findUnique({ where: { id: ref.identityId }, select: subjectSelect });
    return i && subjectOf('identity', { ...i, kind: i.kind });
  }
  return null;
}

const claimInclude = {
  team: { select: { name: true } },
  user: { select: { id: true, email: true, name: true } },
  decidedBy: { select: { email: true, name: true } },
  workload: { select: subjectSelect },
  identity: { select: subjectSelect },
} as const;

type ClaimRow = Prisma.ClaimGetPayload<{ include: typeof claimInclude }>;

function claimView(c: ClaimRow): ClaimView {
  return {
    id: c.id,
    status: c.status as ClaimStatus,
    subject: c.workload ? subjectOf('workload', c.workload) : subjectOf('identity', { ...c.identity!, kind: c.identity!.kind }),
    team: c.team.name,
    claimant: c.user,
    note: c.note,
    createdAt: c.createdAt.toISOString(),
    decidedAt: c.decidedAt?.toISOString() ?? null,
    decidedBy: c.decidedBy,
    decisionNote: c.decisionNote,
  };
}

/** One claim, or null. */
export async function getClaim(db: PrismaClient, id: string): Promise<ClaimView | null> {
  if (!isUuid(id)) return null;
  const c = await db.claim.findUnique({ where: { id }, include: claimInclude });
  return c && claimView(c);
}

/** A transaction-level lock on one subject's claims, so that two requests never both pass the checks. */
const lockSubject = (tx: Tx, subjectId: string) =>
  tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`claim:${subjectId}`}, 0))::text AS locked`;

/**
 * The team a claim is for: a service owner's own (named, or their only one), any existing team for the others.
 * A service owner naming another team is refused (403) whether or not it exists.
 */
async function claimTeam(db: Reader, actor: Actor, name: string | undefined): Promise<{ id: string; name: string }> {
  if (isScoped(actor.role)) {
    if (!name) {
      if (actor.teams.length === 1) return actor.teams[0]!;
      if (!actor.teams.length) throw forbidden('you belong to no team: an admin adds you to one');
      throw invalidInput(`name the team: you belong to ${actor.teams.map((t) => t.name).join(', ')}`);
    }
    const mine = actor.teams.find((t) => t.name === name) ?? actor.teams.find((t) => t.name.toLowerCase() === name.toLowerCase());
    if (!mine)
      throw forbidden(
        `a service owner claims for their own teams only (${actor.teams.map((t) => t.name).join(', ') || 'none'}), not for ${name}`,
      );
    return mine;
  }
  if (!name) throw invalidInput('name the team that owns it');
  const team =
    (await db.team.findUnique({ where: { name }, select: { id: true, name: true } })) ??
    (await db.team.findFirst({ where: { name: { equals: name, mode: 'insensitive' } }, select: { id: true, name: true } }));
  if (!team) throw notFound(`no team named "${name}"`);
  return team;
}

/** Whether a scoped actor may see (and so claim) the subject: nobody's, or their teams'. */
async function visibleTo(db: Reader, scope: TeamScope, s: ClaimSubject): Promise<boolean> {
  if (!scope) return true;
  const id = Prisma.sql`${s.id}::uuid`;
  const [row] = await db.$queryRaw<{ ok: boolean }[]>`
    SELECT ${s.type === 'identity' ? identityVisibleSql(scope, id) : workloadVisibleSql(scope, id)} AS ok`;
  return row?.ok === true;
}

const scopeOf = (actor: Actor): TeamScope => (isScoped(actor.role) ? actor.teams.map((t) => t.id) : null);
const subjectWhere = (s: ClaimSubject) => (s.type === 'workload' ? { workloadId: s.id } : { identityId: s.id });
const trailSubject = (s: ClaimSubject) => `${s.type}:${s.cluster}/${s.label}`;

/**
 * Asks that a team own a workload or an identity. 403: a service owner for another team; 404: no such subject
 * (for a service owner also another team's subject); 409: the team owns it already (claimed), or has a pending
 * claim on it.
 */
export async function createClaim(db: PrismaClient, actor: Actor, request: ClaimRequest, now = new Date()): Promise<ClaimView> {
  if (!allows(actor.role, 'ownership.claim')) throw forbidden('your role does not claim ownership');
  const r = parseFields(claimRequestSchema, request);
  const team = await claimTeam(db, actor, r.team);
  const id = await db.$transaction(async (tx) => {
    const subject = await loadSubject(tx, r);
    const what = r.workloadId ? 'workload' : 'identity';
    if (!subject || subject.deleted || !(await visibleTo(tx, scopeOf(actor), subject)))
      throw notFound(`no ${what} with this id${isScoped(actor.role) ? ' that your teams may claim' : ''}`);
    await lockSubject(tx, subject.id);
    const where = subjectWhere(subject);
    if (await tx.ownership.findFirst({ where: { ...where, teamId: team.id, origin: 'claimed' }, select: { id: true } }))
      throw conflict(`${team.name} owns ${subject.label} already`);
    const pending = await tx.claim.findFirst({ where: { ...where, teamId: team.id, status: 'pending' }, select: { id: true } });
    if (pending)
      throw conflict(`${team.name} has a claim on ${subject.label} waiting for a decision already`, {
        details: { claimId: pending.id },
      });
    const claim = await tx.claim.create({
      data: { ...where, teamId: team.id, userId: actor.userId, note: r.note ?? null, createdAt: now },
      select: { id: true },
    });
    await appendTrail(prismaExecutor(tx), {
      actor: actorOf(actor),
      userId: actor.userId,
      action: 'claim.create',
      target: `claim:${claim.id}`,
      after: { subject: trailSubject(subject), team: team.name, note: r.note ?? null, status: 'pending' },
      at: now,
    });
    return claim.id;
  });
  return (await getClaim(db, id))!;
}

interface LockedClaim {
  id: string;
  status: ClaimStatus;
  userId: string;
  teamId: string;
  team: string;
  claimant: string;
  note: string | null;
  workloadId: string | null;
  identityId: string | null;
}

/** The claim, locked for the rest of the transaction (404 when there is none); one statement, no parallel reads in the transaction. */
async function lockedClaim(tx: Tx, id: string): Promise<LockedClaim> {
  if (!isUuid(id)) throw notFound('no such claim');
  const [c] = await tx.$queryRaw<LockedClaim[]>`
    SELECT c.id, c.status, c."userId", c."teamId", t.name AS team, u.email AS claimant, c.note, c."workloadId", c."identityId"
    FROM "Claim" c JOIN "Team" t ON t.id = c."teamId" JOIN "User" u ON u.id = c."userId"
    WHERE c.id = ${id}::uuid FOR UPDATE OF c`;
  if (!c) throw notFound('no such claim');
  return c;
}

/**
 * Approves or rejects a pending claim (409 when it is decided already, or when the decider made it). Approval:
 * the team becomes the claimed owner in place of earlier claimed owners (inferred ones stay), on the subject's
 * timeline; an identity's no-owner finding is resolved and, given `pool`, its risk score computed again.
 */
export async function decideClaim(
  db: PrismaClient,
  actor: Actor,
  id: string,
  decision: ClaimDecision,
  options: { pool?: pg.Pool; now?: Date } = {},
): Promise<ClaimView> {
  if (!allows(actor.role, 'ownership.decide')) throw forbidden('your role does not decide claims');
  const d = parseFields(claimDecisionSchema, decision);
  const now = options.now ?? new Date();
  const approve = d.decision === 'approve';
  const subject = await db.$transaction(async (tx) => {
    const c = await lockedClaim(tx, id);
    if (c.status !== 'pending') throw conflict(`the claim is ${c.status} already: only a pending claim can be decided`);
    if (c.userId === actor.userId)
      throw conflict('you made this claim: another security lead or admin approves or rejects it', { code: 'OWN_CLAIM' });
    const s = (await loadSubject(tx, c))!;
    if (approve && s.deleted) throw conflict(`${s.label} is gone from the inventory: reject the claim instead`);
    await lockSubject(tx, s.id);
    const where = subjectWhere(s);
    const claimed = await tx.ownership.findMany({
      where: { ...where, origin: 'claimed' },
      select: { team: { select: { name: true } } },
      orderBy: { createdAt: 'asc' },
    });
    const before = claimed.map((o) => o.team.name);
    if (approve) {
      await tx.ownership.deleteMany({ where: { ...where, origin: 'claimed' } });
      await tx.ownership.create({
        data: { ...where, teamId: c.teamId, origin: 'claimed', source: `claim:${c.id}`, createdAt: now },
      });
      if (s.type === 'identity')
        await tx.$executeRaw`UPDATE "Finding" SET status = 'resolved', "resolvedAt" = ${now}
          WHERE "identityId" = ${s.id}::uuid AND "ruleId" = ${NO_OWNER_RULE} AND status <> 'resolved'`;
      const replaced = before.filter((t) => t !== c.team);
      await tx.timelineEvent.create({
        data: {
          clusterId: s.clusterId,
          ...where,
          at: now,
          kind: 'ownership.claimed',
          summary: `Owned by ${c.team} (claimed by ${c.claimant}, approved by ${actor.email})${
            replaced.length ? `, in place of ${replaced.join(', ')}` : ''
          }`,
          details: {
            claimId: c.id,
            team: c.team,
            claimedBy: c.claimant,
            approvedBy: actor.email,
            previous: before,
            ...(c.note ? { note: c.note } : {}),
            ...(d.note ? { decisionNote: d.note } : {}),
          },
        },
      });
    }
    const status: ClaimStatus = approve ? 'approved' : 'rejected';
    await tx.claim.update({
      where: { id: c.id },
      data: { status, decidedAt: now, decidedById: actor.userId, decisionNote: d.note ?? null },
    });
    await appendTrail(prismaExecutor(tx), {
      actor: actorOf(actor),
      userId: actor.userId,
      action: 'claim.decide',
      target: `claim:${c.id}`,
      before: { status: 'pending', subject: trailSubject(s), team: c.team, claimedBy: c.claimant, claimedOwners: before },
      after: {
        status,
        subject: trailSubject(s),
        team: c.team,
        claimedOwners: approve ? [c.team] : before,
        note: d.note ?? null,
      },
      at: now,
    });
    return s;
  });
  if (approve && subject.type === 'identity' && options.pool)
    await updateRiskScores(options.pool, subject.clusterId, now, { identityIds: [subject.id] });
  // A workload's new owners see the identities it runs as: their roll-up rows are counted again.
  else if (approve && subject.type === 'workload' && options.pool)
    await refreshRiskRollupsOf(options.pool, subject.clusterId, { workloadIds: [subject.id] });
  return (await getClaim(db, id))!;
}

/** The claimant takes back a pending claim (404 for anyone else's, 409 once decided). */
export async function withdrawClaim(
  db: PrismaClient,
  actor: Actor,
  id: string,
  change: z.input<typeof claimWithdrawSchema> = {},
  now = new Date(),
): Promise<ClaimView> {
  const w = parseFields(claimWithdrawSchema, change);
  await db.$transaction(async (tx) => {
    const c = await lockedClaim(tx, id).catch(() => null);
    if (!c || c.userId !== actor.userId) throw notFound('no claim of yours with this id');
    if (c.status !== 'pending') throw conflict(`the claim is ${c.status} already: only a pending claim can be withdrawn`);
    await tx.claim.update({
      where: { id: c.id },
      data: { status: 'withdrawn', decidedAt: now, decidedById: actor.userId, decisionNote: w.note ?? null },
    });
    const s = (await loadSubject(tx, c))!;
    await appendTrail(prismaExecutor(tx), {
      actor: actorOf(actor),
      userId: actor.userId,
      action: 'claim.withdraw',
      target: `claim:${c.id}`,
      before: { status: 'pending', subject: trailSubject(s), team: c.team },
      after: { status: 'withdrawn', subject: trailSubject(s), team: c.team, note: w.note ?? null },
      at: now,
    });
  });
  return (await getClaim(db, id))!;
}

/**
 * Claims, pending first (oldest first: the queue), then the decided ones, latest decision first. A service
 * owner (a non-null scope) sees the claims for their teams and those they made themselves.
 */
export async function listClaims(
  db: PrismaClient,
  scope: TeamScope,
  filter: Partial<ClaimFilter> = {},
  userId?: string,
): Promise<{ rows: ClaimView[]; total: number; pending: number }> {
  const f = claimFilterSchema.parse(filter);
  const and: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.status === 'decided') and.push(Prisma.sql`c.status <> 'pending'`);
  else if (f.status !== 'all') and.push(Prisma.sql`c.status = ${f.status}`);
  if (f.team) and.push(Prisma.sql`c."teamId" IN (SELECT id FROM "Team" WHERE name = ${f.team})`);
  if (f.workloadId) and.push(Prisma.sql`c."workloadId" = ${f.workloadId}::uuid`);
  if (f.identityId) and.push(Prisma.sql`c."identityId" = ${f.identityId}::uuid`);
  if (scope)
    and.push(
      userId
        ? Prisma.sql`(c."teamId" = ANY(${[...scope]}::uuid[]) OR c."userId" = ${userId}::uuid)`
        : Prisma.sql`c."teamId" = ANY(${[...scope]}::uuid[])`,
    );
  const where = Prisma.join(and, ' AND ');
  const [[count], page] = await Promise.all([
    db.$queryRaw<{ n: number; pending: number }[]>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE c.status = 'pending')::int AS pending FROM "Claim" c WHERE ${where}`,
    db.$queryRaw<{ id: string }[]>`
      SELECT c.id FROM "Claim" c WHERE ${where}
      ORDER BY (c.status = 'pending') DESC, CASE WHEN c.status = 'pending' THEN c."createdAt" END ASC,
               COALESCE(c."decidedAt", c."createdAt") DESC, c.id
      LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
  ]);
  const ids = page.map((p) => p.id);
  const rows = ids.length ? await db.claim.findMany({ where: { id: { in: ids } }, include: claimInclude }) : [];
  const byId = new Map(rows.map((c) => [c.id, c]));
  return {
    rows: ids.flatMap((id) => {
      const c = byId.get(id);
      return c ? [claimView(c)] : [];
    }),
    total: count?.n ?? 0,
    pending: count?.pending ?? 0,
  };
}

// ---- one subject, as its page shows it -----------------------------------------------------------

export interface SubjectOwnership {
  subject: { type: 'identity' | 'workload'; id: string };
  owners: { team: string; origin: string; source: string | null; since: string }[];
  pending: ClaimView[];
  /** Teams the viewer may claim it for (empty: the viewer may not claim, or every team has it or asked). */
  claimTeams: string[];
  /** The viewer may approve or reject (not their own claims). */
  canDecide: boolean;
  canClaim: boolean;
  viewerId: string;
}

/** The owners of an identity or workload, its pending claims and what the viewer may do (its page's Ownership block). */
export async function subjectOwnership(
  db: PrismaClient,
  ref: { identityId: string } | { workloadId: string },
  viewer: Actor,
): Promise<SubjectOwnership> {
  const type = 'identityId' in ref ? 'identity' : 'workload';
  const canClaim = allows(viewer.role, 'ownership.claim');
  const [owners, pending, allTeams] = await Promise.all([
    db.ownership.findMany({
      where: ref,
      include: { team: { select: { name: true } } },
      orderBy: [{ origin: 'asc' }, { createdAt: 'asc' }],
    }),
    db.claim.findMany({ where: { ...ref, status: 'pending' }, include: claimInclude, orderBy: { createdAt: 'asc' } }),
    canClaim && !isScoped(viewer.role)
      ? db.team.findMany({ select: { name: true }, orderBy: { name: 'asc' }, take: 1000 })
      : Promise.resolve(viewer.teams.map((t) => ({ name: t.name }))),
  ]);
  const taken = new Set([
    ...owners.filter((o) => o.origin === 'claimed').map((o) => o.team.name),
    ...pending.map((c) => c.team.name),
  ]);
  return {
    subject: { type, id: 'identityId' in ref ? ref.identityId : ref.workloadId },
    owners: owners.map((o) => ({ team: o.team.name, origin: o.origin, source: o.source, since: o.createdAt.toISOString() })),
    pending: pending.map(claimView),
    claimTeams: canClaim ? allTeams.map((t) => t.name).filter((t) => !taken.has(t)) : [],
    canDecide: allows(viewer.role, 'ownership.decide'),
    canClaim,
    viewerId: viewer.userId,
  };
}
