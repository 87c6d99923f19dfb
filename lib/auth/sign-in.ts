/**
 * Signing in with a password, throttled: after 5 failures for one account, or 20 from one address, within 15
 * minutes, further attempts are refused (429 with Retry-After) until the window has moved on — without
 * checking the password, so that guessing cannot go on at any speed. Every attempt is kept in SignInAttempt
 * (pruned after a day); failures are written to the activity trail (not the throttled ones, which only the
 * server log sees, so that a flood cannot grow the trail). A successful sign-in revokes the session the browser
 * came with (fixation) and starts a new one.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { AppError, unauthenticated } from '@/lib/errors';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';
import { verifyNothing, verifyPassword } from './password';
import { securityEvent } from './security-log';
import { createSession, revokeSession, sessionConfig, type NewSession } from './session';

export const THROTTLE = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 } as const;

export const signInSchema = z.object({
  email: z.string().trim().toLowerCase().min(3).max(254),
  password: z.string().min(1).max(256),
});
export type SignInInput = z.infer<typeof signInSchema>;

export interface SignInContext {
  ip: string;
  userAgent?: string | null;
  /** The session secret the browser already had, revoked on success. */
  previousSecret?: string | null;
}

/** Seconds until the oldest counted failure leaves the window, or null when not throttled. */
async function throttled(db: PrismaClient, email: string, ip: string, now: Date): Promise<number | null> {
  const since = new Date(now.getTime() - THROTTLE.windowMs);
  const wait = async (where: { email: string } | { ip: string }, limit: number) => {
    const failures = await db.signInAttempt.findMany({
      where: { ...where, ok: false, at: { gt: since } },
      orderBy: { at: 'desc' },
      take: limit,
      select: { at: true },
    });
    if (failures.length < limit) return null;
    const oldest = failures[failures.length - 1]!.at.getTime();
    return Math.max(1, Math.ceil((oldest + THROTTLE.windowMs - now.getTime()) / 1000));
  };
  const [account, address] = await Promise.all([wait({ email }, THROTTLE.perAccount), wait({ ip }, THROTTLE.perAddress)]);
  return account ?? address;
}

const WRONG = 'wrong e-mail address or password';

export async function signIn(
  db: PrismaClient,
  input: SignInInput,
  ctx: SignInContext,
  now = new Date(),
): Promise<NewSession & { userId: string }> {
  const { email, password } = signInSchema.parse(input);
  const retryAfterSeconds = await throttled(db, email, ctx.ip, now);
  if (retryAfterSeconds !== null) {
    securityEvent('auth.throttled', { email, ip: ctx.ip }, now);
    throw new AppError('rate_limited', `too many failed sign-ins: try again in ${Math.ceil(retryAfterSeconds / 60)} min`, {
      code: 'SIGN_IN_THROTTLED',
      details: { retryAfterSeconds },
    });
  }
  const user = await db.user.findUnique({ where: { email } });
  const ok =
    user?.passwordHash && !user.disabledAt ? await verifyPassword(user.passwordHash, password) : await verifyNothing(password);
  await db.signInAttempt.deleteMany({ where: { at: { lt: new Date(now.getTime() - 86_400_000) } } });
  if (!ok || !user) {
    const reason = !user
      ? 'unknown account'
      : user.disabledAt
        ? 'account disabled'
        : !user.passwordHash
          ? 'no password (single sign-on account)'
          : 'wrong password';
    await db.$transaction(async (tx) => {
      await tx.signInAttempt.create({ data: { at: now, email, ip: ctx.ip, ok: false, reason } });
      await appendTrail(prismaExecutor(tx), {
        actor: email,
        action: 'auth.sign_in_failed',
        target: user ? `user:${user.email}` : null,
        after: { reason },
        ip: ctx.ip,
        userAgent: ctx.userAgent ?? null,
        at: now,
      });
    });
    securityEvent('auth.sign_in_failed', { email, ip: ctx.ip, reason }, now);
    throw unauthenticated(WRONG, { code: 'SIGN_IN_FAILED' });
  }
  return startSession(db, user, 'password', ctx, now);
}

/** A new session for a user who has proven who they are (password, single sign-on, the demo). */
export async function startSession(
  db: PrismaClient,
  user: { id: string; email: string },
  method: 'password' | 'oidc' | 'demo',
  ctx: SignInContext,
  now = new Date(),
): Promise<NewSession & { userId: string }> {
  return db.$transaction(async (tx) => {
    if (ctx.previousSecret) await revokeSession(tx, ctx.previousSecret, now);
    const session = await createSession(tx, user.id, ctx, now, sessionConfig());
    await tx.signInAttempt.create({ data: { at: now, email: user.email, ip: ctx.ip, ok: true, reason: method } });
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: now } });
    await appendTrail(prismaExecutor(tx), {
      actor: user.email,
      userId: user.id,
      action: 'auth.sign_in',
      target: `user:${user.email}`,
      after: { method },
      ip: ctx.ip,
      userAgent: ctx.userAgent ?? null,
      at: now,
    });
    return { ...session, userId: user.id };
  });
}
