/**
 * Exceptions: a finding accepted as a known risk, with a justification, the person who asked, a different
 * person who approved, and an expiry (at most a year). While an exception is in force its finding is
 * `excepted` (left out of the risk score and of the open queue); revoking it or letting it expire reopens the
 * finding (if the collector still sees it), and every step goes on the subject's timeline. A finding fixed
 * meanwhile is resolved as usual; if it comes back while its exception is still in force it returns excepted
 * (lib/findings/write.ts).
 *
 * Who: the names given by the people acting (`--by`, "Your name"), until sign-in (issue 13) puts the
 * signed-in user there. Each step is also an entry of the activity trail (lib/trail), written in the step's
 * transaction: no entry, no step.
 */
import type pg from 'pg';
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '@/lib/behaviour/profiles';
import { workloadAccountSql } from '@/lib/collect/store';
import { inTransaction } from '@/lib/db/transaction';
import { invalidInput, notFound } from '@/lib/errors';
import { updateRiskScores } from '@/lib/risk/store';
import { SYSTEM_ACTOR } from '@/lib/trail/actions';
import { appendTrail, pgExecutor } from '@/lib/trail/write';

export const MAX_EXCEPTION_DAYS = 365;
const DAY = 86_400_000;
const person = z.string().trim().min(1, 'name who acts').max(100);

/** An expiry: an ISO date/time in the future, or a duration from now such as `30d`. */
const expirySchema = z
  .string()
  .trim()
  .min(2)
  .max(40)
  .refine((s) => DURATION_PATTERN.test(s) || !Number.isNaN(Date.parse(s)), 'an ISO date or a duration such as 30d');

/** The fields of an exception request; the web app's route takes the approver from the sign-in. */
export const exceptionFieldsSchema = z.object({
  findingId: z.uuid(),
  reason: z.string().trim().min(10, 'say why the risk is accepted (10 characters at least)').max(2000),
  requestedBy: person,
  approvedBy: person,
  expires: expirySchema,
});
export const exceptionRequestSchema = exceptionFieldsSchema.refine(
  (x) => x.requestedBy.toLowerCase() !== x.approvedBy.toLowerCase(),
  {
    message: 'the approver must be someone other than the requester',
    path: ['approvedBy'],
  },
);
export type ExceptionRequest = z.infer<typeof exceptionRequestSchema>;

export const revokeSchema = z.object({ by: person, note: z.string().trim().max(2000).optional() });

export const EXCEPTION_STATES = ['active', 'expired', 'revoked', 'all'] as const;
export const exceptionFilterSchema = z.object({
  state: z.enum(EXCEPTION_STATES).default('all'),
  cluster: z.string().max(253).optional(),
  findingId: z.uuid().optional(),
});
export type ExceptionFilter = z.infer<typeof exceptionFilterSchema>;

export interface ExceptionView {
  id: string;
  state: 'active' | 'expired' | 'revoked';
  finding: { id: string; ruleId: string; title: string; severity: string; status: string; subject: string; cluster: string };
  reason: string;
  requestedBy: string;
  approvedBy: string;
  approvedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  expiredAt: string | null;
}

/** The expiry as a date: `expires` is an ISO date/time or a duration from `now`. */
export function expiryOf(expires: string, now: Date): Date {
  const at = DURATION_PATTERN.test(expires) ? new Date(now.getTime() + parseDuration(expires)) : new Date(expires);
  if (at.getTime() <= now.getTime()) throw invalidInput('the expiry must be in the future');
  if (at.getTime() > now.getTime() + MAX_EXCEPTION_DAYS * DAY)
    throw invalidInput(`an exception lasts at most ${MAX_EXCEPTION_DAYS} days: review it again then`);
  return at;
}

interface FindingSubject {
  id: string;
  clusterId: string;
  status: string;
  ruleId: string;
  title: string;
  identityId: string | null;
  workloadId: string | null;
  credentialId: string | null;
  /** The identity whose score the finding counts in (its own, its credential's, its workload's account). */
  scoredIdentity: string | null;
}

async function findingOf(db: pg.ClientBase, id: string, lock = false): Promise<FindingSubject> {
  if (!z.uuid().safeParse(id).success) throw notFound('no such finding');
  const res = await db.query<FindingSubject>(
    `SELECT f.id, f."clusterId", f.status::text AS status, f."ruleId", f.title, f."identityId", f."workloadId", f."credentialId",
            COALESCE(f."identityId", c."identityId", (
              SELECT i.id FROM "Workload" w JOIN "Identity" i ON ${workloadAccountSql('w', 'i')} WHERE w.id = f."workloadId"
            )) AS "scoredIdentity"
     FROM "Finding" f LEFT JOIN "Credential" c ON c.id = f."credentialId" WHERE f.id = $1 ${lock ? 'FOR UPDATE OF f' : ''}`,
    [id],
  );
  if (!res.rows[0]) throw notFound('no such finding');
  return res.rows[0];
}

async function timeline(db: pg.ClientBase, f: FindingSubject, at: Date, kind: string, summary: string, details: object) {
  await db.query(
    `INSERT INTO "TimelineEvent" (id, "clusterId", at, kind, summary, "identityId", "workloadId", "credentialId", details)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      f.clusterId,
      at,
      kind,
      summary,
      f.identityId,
      f.workloadId,
      f.credentialId,
      JSON.stringify({ findingId: f.id, rule: f.ruleId, ...details }),
    ],
  );
}

const refreshRisk = (pool: pg.Pool, f: FindingSubject, now: Date) =>
  f.scoredIdentity ? updateRiskScores(pool, f.clusterId, now, { identityIds: [f.scoredIdentity] }) : Promise.resolve();

/** Accepts an open finding until the expiry: the finding becomes `excepted`. */
export async function createException(pool: pg.Pool, request: ExceptionRequest, now = new Date()): Promise<ExceptionView> {
  const expiresAt = expiryOf(request.expires, now);
  const { id, finding } = await inTransaction(pool, async (db) => {
    const f = await findingOf(db, request.findingId, true);
    if (f.status === 'resolved') throw invalidInput('the finding is resolved: there is nothing to accept');
    if (f.status === 'excepted') throw invalidInput('the finding already has an exception in force');
    const row = await db.query<{ id: string }>(
      `INSERT INTO "FindingException" (id, "findingId", reason, "requestedBy", "approvedBy", "approvedAt", "expiresAt", "createdAt")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $5) RETURNING id`,
      [f.id, request.reason, request.requestedBy, request.approvedBy, now, expiresAt],
    );
    await db.query(`UPDATE "Finding" SET status = 'excepted' WHERE id = $1`, [f.id]);
    await timeline(
      db,
      f,
      now,
      'finding.excepted',
      `${f.ruleId} accepted until ${expiresAt.toISOString().slice(0, 10)} (approved by ${request.approvedBy})`,
      {
        requestedBy: request.requestedBy,
        approvedBy: request.approvedBy,
        expiresAt: expiresAt.toISOString(),
      },
    );
    // The activity trail, in this transaction: no entry, no exception (lib/trail).
    await appendTrail(pgExecutor(db), {
      actor: request.approvedBy,
      action: 'exception.create',
      target: `exception:${row.rows[0]!.id}`,
      before: { finding: { id: f.id, rule: f.ruleId, status: f.status } },
      after: {
        finding: { id: f.id, rule: f.ruleId, status: 'excepted' },
        reason: request.reason,
        requestedBy: request.requestedBy,
        approvedBy: request.approvedBy,
        expiresAt: expiresAt.toISOString(),
      },
      at: now,
    });
    return { id: row.rows[0]!.id, finding: f };
  });
  await refreshRisk(pool, finding, now);
  return (await listExceptions(pool, { state: 'all' }, now, id))[0]!;
}

/** Takes an exception back before its expiry: its finding is open again. */
export async function revokeException(
  pool: pg.Pool,
  id: string,
  change: z.infer<typeof revokeSchema>,
  now = new Date(),
): Promise<ExceptionView> {
  if (!z.uuid().safeParse(id).success) throw notFound('no such exception');
  const finding = await inTransaction(pool, async (db) => {
    const res = await db.query<{ findingId: string; revokedAt: Date | null; expiredAt: Date | null; expiresAt: Date }>(
      `SELECT "findingId", "revokedAt", "expiredAt", "expiresAt" FROM "FindingException" WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const e = res.rows[0];
    if (!e) throw notFound('no such exception');
    if (e.revokedAt) throw invalidInput('the exception is already revoked');
    if (e.expiredAt || e.expiresAt <= now) throw invalidInput('the exception has expired already');
    const f = await findingOf(db, e.findingId, true);
    await db.query(`UPDATE "FindingException" SET "revokedAt" = $2, "revokedBy" = $3 WHERE id = $1`, [id, now, change.by]);
    if (f.status === 'excepted') await db.query(`UPDATE "Finding" SET status = 'open' WHERE id = $1`, [f.id]);
    await timeline(db, f, now, 'finding.exception_revoked', `Exception for ${f.ruleId} revoked by ${change.by}`, {
      revokedBy: change.by,
      ...(change.note ? { note: change.note } : {}),
    });
    await appendTrail(pgExecutor(db), {
      actor: change.by,
      action: 'exception.revoke',
      target: `exception:${id}`,
      before: { state: 'active', expiresAt: e.expiresAt.toISOString(), finding: { id: f.id, rule: f.ruleId, status: f.status } },
      after: {
        state: 'revoked',
        revokedBy: change.by,
        note: change.note ?? null,
        finding: { id: f.id, rule: f.ruleId, status: f.status === 'excepted' ? 'open' : f.status },
      },
      at: now,
    });
    return f;
  });
  await refreshRisk(pool, finding, now);
  return (await listExceptions(pool, { state: 'all' }, now, id))[0]!;
}

/**
 * Ends the exceptions whose expiry has passed: each is marked expired and its finding reopened (unless the
 * collector has resolved it meanwhile). Cheap when nothing is due (an index probe); run before findings and
 * exceptions are read and at every evaluation. Returns how many expired.
 */
export async function expireExceptions(pool: pg.Pool, now = new Date()): Promise<number> {
  const due = await pool.query<{ id: string }>(
    `SELECT id FROM "FindingException" WHERE "expiresAt" <= $1 AND "expiredAt" IS NULL AND "revokedAt" IS NULL LIMIT 1`,
    [now],
  );
  if (!due.rowCount) return 0;
  const reopened = await inTransaction(pool, async (db) => {
    const rows = await db.query<{ id: string; findingId: string; expiresAt: Date }>(
      `UPDATE "FindingException" SET "expiredAt" = $1
       WHERE "expiresAt" <= $1 AND "expiredAt" IS NULL AND "revokedAt" IS NULL RETURNING id, "findingId", "expiresAt"`,
      [now],
    );
    const out: FindingSubject[] = [];
    for (const e of rows.rows) {
      const f = await findingOf(db, e.findingId, true);
      if (f.status === 'excepted') await db.query(`UPDATE "Finding" SET status = 'open' WHERE id = $1`, [f.id]);
      await timeline(
        db,
        f,
        e.expiresAt,
        'finding.exception_expired',
        `Exception for ${f.ruleId} expired: the finding is open again`,
        {
          exceptionId: e.id,
        },
      );
      await appendTrail(pgExecutor(db), {
        actor: SYSTEM_ACTOR,
        action: 'exception.expire',
        target: `exception:${e.id}`,
        before: { state: 'active', finding: { id: f.id, rule: f.ruleId, status: f.status } },
        after: {
          state: 'expired',
          expiresAt: e.expiresAt.toISOString(),
          finding: { id: f.id, rule: f.ruleId, status: f.status === 'excepted' ? 'open' : f.status },
        },
        at: now,
      });
      out.push(f);
    }
    return out;
  });
  const byCluster = new Map<string, string[]>();
  for (const f of reopened)
    if (f.scoredIdentity) (byCluster.get(f.clusterId) ?? byCluster.set(f.clusterId, []).get(f.clusterId)!).push(f.scoredIdentity);
  for (const [clusterId, identityIds] of byCluster) await updateRiskScores(pool, clusterId, now, { identityIds });
  return reopened.length;
}

/** Every exception with who asked, who approved and until when; newest first. */
export async function listExceptions(
  pool: pg.Pool,
  filter: ExceptionFilter,
  now = new Date(),
  id?: string,
): Promise<ExceptionView[]> {
  await expireExceptions(pool, now);
  const where: string[] = [];
  const params: unknown[] = [now];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (id) add('e.id = ?', id);
  if (filter.findingId) add('e."findingId" = ?', filter.findingId);
  if (filter.cluster) add('cl.name = ?', filter.cluster);
  const state = `CASE WHEN e."revokedAt" IS NOT NULL THEN 'revoked' WHEN e."expiredAt" IS NOT NULL OR e."expiresAt" <= $1 THEN 'expired' ELSE 'active' END`;
  if (filter.state !== 'all') add(`${state} = ?`, filter.state);
  const res = await pool.query<{
    id: string;
    state: ExceptionView['state'];
    findingId: string;
    ruleId: string;
    title: string;
    severity: string;
    status: string;
    subject: string;
    cluster: string;
    reason: string;
    requestedBy: string;
    approvedBy: string;
    approvedAt: Date;
    expiresAt: Date;
    revokedAt: Date | null;
    revokedBy: string | null;
    expiredAt: Date | null;
  }>(
    `SELECT e.id, ${state} AS state, f.id AS "findingId", f."ruleId", f.title, f.severity::text AS severity, f.status::text AS status,
            f."subjectKey" AS subject, cl.name AS cluster, e.reason, e."requestedBy", e."approvedBy", e."approvedAt", e."expiresAt",
            e."revokedAt", e."revokedBy", e."expiredAt"
     FROM "FindingException" e JOIN "Finding" f ON f.id = e."findingId" JOIN "Cluster" cl ON cl.id = f."clusterId"
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY e."approvedAt" DESC, e.id LIMIT 5000`,
    params,
  );
  return res.rows.map((r) => ({
    id: r.id,
    state: r.state,
    finding: {
      id: r.findingId,
      ruleId: r.ruleId,
      title: r.title,
      severity: r.severity,
      status: r.status,
      subject: r.subject.replace(/^(identity|workload|credential):(ServiceAccount\/)?/, ''),
      cluster: r.cluster,
    },
    reason: r.reason,
    requestedBy: r.requestedBy,
    approvedBy: r.approvedBy,
    approvedAt: r.approvedAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revokedBy: r.revokedBy,
    expiredAt: r.expiredAt?.toISOString() ?? null,
  }));
}
