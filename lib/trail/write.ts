/**
 * Writing the activity trail: one entry per state change, in the transaction of the change, so that a change
 * whose entry cannot be written does not happen (fail closed: the caller's transaction rolls back).
 *
 *   await inTransaction(pool, async (client) => {                  // pg
 *     …the change…
 *     await appendTrail(pgExecutor(client), { actor: by, action: 'exception.revoke', target, before, after });
 *   });
 *   await db.$transaction(async (tx) => {                           // Prisma
 *     …the change…
 *     await appendTrail(prismaExecutor(tx), { actor: by, action: 'anomaly.status', target, before, after });
 *   });
 *
 * Appends are serialised by a transaction-level advisory lock (held until the caller commits or rolls back),
 * so the sequence has no gap and no fork. The entry chains to the head checkpoint ("ActivityTrailHead"),
 * which moves in the same statement as the insert (a compare-and-swap: an executor outside a transaction
 * still cannot fork the chain). The caller's transaction must be READ COMMITTED (PostgreSQL's and Prisma's
 * default), so that the head read after the lock is the last one committed.
 *
 * Where the person's address and browser are known (a route handler), `withTrailContext` gives them to every
 * append made inside it; sign-in (issue 13) adds the user's id the same way.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { z } from 'zod';
import { unavailable } from '@/lib/errors';
import { TRAIL_ACTIONS, type TrailAction } from './actions';
import { entryHash, toJsonValue, type HashedEntry } from './hash';

/** Runs SQL in the caller's transaction and gives back the rows. */
export interface TrailExecutor {
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
}

/** A pg client inside a transaction (BEGIN … COMMIT): not a Pool, whose statements each run on their own. */
export const pgExecutor = (client: pg.ClientBase): TrailExecutor => ({
  query: async (sql, params) => (await client.query(sql, params)).rows as Record<string, unknown>[],
});

/** A Prisma interactive transaction (`db.$transaction(async (tx) => …)`). */
export const prismaExecutor = (tx: {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}): TrailExecutor => ({
  query: (sql, params) => tx.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params),
});

/** Who acted, from where: known in a route handler, given to every append inside `withTrailContext`. */
export interface TrailContext {
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

const context = new AsyncLocalStorage<TrailContext>();

export function withTrailContext<T>(ctx: TrailContext, fn: () => Promise<T>): Promise<T> {
  return context.run(ctx, fn);
}

/** The address (first X-Forwarded-For hop, else X-Real-IP) and User-Agent of a request. */
export function trailContextOf(request: Request): TrailContext {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  return {
    ip: (forwarded || request.headers.get('x-real-ip') || null)?.slice(0, 100) ?? null,
    userAgent: request.headers.get('user-agent')?.slice(0, 500) ?? null,
  };
}

export const trailInputSchema = z.object({
  actor: z.string().trim().min(1, 'say who acts').max(200),
  action: z.enum(TRAIL_ACTIONS),
  target: z.string().max(1000).nullish(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  userId: z.uuid().nullish(),
  ip: z.string().max(100).nullish(),
  userAgent: z.string().max(500).nullish(),
  at: z.date().optional(),
});
export type TrailInput = {
  actor: string;
  action: TrailAction;
  target?: string | null;
  /** The non-secret fields before and after the change (never a token or a Secret's value). */
  before?: unknown;
  after?: unknown;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** When it happened (default now), kept to the millisecond. */
  at?: Date;
};

export interface AppendedEntry extends HashedEntry {
  hash: string;
}

/** One key for the trail's advisory lock (an arbitrary 64-bit constant: "nhitrail" in ASCII). */
export const TRAIL_LOCK_KEY = '7957608388467813740';

/**
 * Appends one entry in the executor's transaction and returns it. Throws (and so fails the caller's
 * transaction) when it cannot be written.
 */
export async function appendTrail(exec: TrailExecutor, input: TrailInput): Promise<AppendedEntry> {
  const ctx = context.getStore() ?? {};
  const parsed = trailInputSchema.parse({
    ...input,
    userId: input.userId ?? ctx.userId ?? null,
    ip: input.ip ?? ctx.ip ?? null,
    userAgent: input.userAgent ?? ctx.userAgent ?? null,
  });
  await exec.query(`SELECT pg_advisory_xact_lock($1::bigint)::text AS locked`, [TRAIL_LOCK_KEY]);
  const head = (await exec.query(`SELECT seq::text AS seq, hash FROM "ActivityTrailHead" WHERE id = 1`, []))[0];
  if (!head)
    throw unavailable(
      'the activity trail has no head checkpoint (deleted?): run `npx nhi trail verify`; nothing can be recorded',
    );
  const entry: HashedEntry = {
    seq: Number(head.seq) + 1,
    at: new Date(Math.floor((input.at ?? new Date()).getTime())).toISOString(),
    actor: parsed.actor,
    userId: parsed.userId?.toLowerCase() ?? null,
    action: parsed.action,
    target: parsed.target ?? null,
    before: toJsonValue(parsed.before),
    after: toJsonValue(parsed.after),
    ip: parsed.ip ?? null,
    userAgent: parsed.userAgent ?? null,
    prevHash: String(head.hash),
  };
  const hash = entryHash(entry);
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
  const rows = await exec.query(
    `WITH head AS (
       UPDATE "ActivityTrailHead" SET seq = $1::bigint, hash = $11, at = ($2::timestamptz AT TIME ZONE 'UTC')
       WHERE id = 1 AND seq = $1::bigint - 1 AND hash = $10
       RETURNING seq)
     INSERT INTO "ActivityLog" (seq, at, actor, "userId", action, target, before, after, ip, "userAgent", "prevHash", hash)
     SELECT head.seq, ($2::timestamptz AT TIME ZONE 'UTC'), $3, $4::uuid, $5, $6, $7::jsonb, $8::jsonb, $9, $12, $10, $11 FROM head
     RETURNING seq::text AS seq`,
    [
      String(entry.seq),
      entry.at,
      entry.actor,
      entry.userId,
      entry.action,
      entry.target,
      json(entry.before),
      json(entry.after),
      entry.ip,
      entry.prevHash,
      hash,
      entry.userAgent,
    ],
  );
  if (rows.length !== 1) throw unavailable('the activity trail moved while this entry was written: try again');
  return { ...entry, hash };
}
