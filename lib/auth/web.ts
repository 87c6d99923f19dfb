/**
 * The web side of sign-in: where a browser goes after it (a path of this app only, never another site), the
 * cookie of a new session, and the demo's automatic sign-in (only under `nhi demo`, which sets NHI_DEMO=1 and
 * makes the demo account).
 */
import { prisma } from '@/lib/db/client';
import { appendTrail, prismaExecutor, trailContextOf } from '@/lib/trail/write';
import type { Principal } from './principal';
import { isTls, revokeSession, sessionCookie, sessionSecretOf, clearSessionCookie } from './session';
import { startSession } from './sign-in';

/** A local path to return to: `/…` but not `//…` or `/\…` (which a browser takes for another host). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.length > 2000) return '/';
  return next;
}

export const demoMode = () => process.env.NHI_DEMO === '1';

/** The e-mail address of the account `nhi demo` makes and signs browsers in as. */
export const DEMO_EMAIL = 'demo@nhi.invalid';

export function withSessionCookie(res: Response, secret: string, expiresAt: Date, request: Request): Response {
  res.headers.append('set-cookie', sessionCookie(secret, isTls(request), (expiresAt.getTime() - Date.now()) / 1000));
  return res;
}

/** The demo's sign-in: a real session for the demo account, then back to the page asked for. */
export async function demoSignIn(request: Request, next: string): Promise<Response | null> {
  if (!demoMode()) return null;
  const db = prisma();
  const user = await db.user.findUnique({ where: { email: DEMO_EMAIL } });
  if (!user || user.source !== 'demo' || user.disabledAt) return null;
  const ctx = trailContextOf(request);
  const session = await startSession(db, user, 'demo', {
    ip: ctx.ip ?? 'unknown',
    userAgent: ctx.userAgent,
    previousSecret: sessionSecretOf(request.headers.get('cookie'), isTls(request)),
  });
  const res = new Response(null, { status: 303, headers: { location: safeNext(next), 'cache-control': 'no-store' } });
  return withSessionCookie(res, session.secret, session.expiresAt, request);
}

/** Ends the session of the request and clears its cookie; the trail records it. */
export async function signOut(request: Request, who: Principal): Promise<Response> {
  const db = prisma();
  if (who.sessionSecret)
    await db.$transaction(async (tx) => {
      await revokeSession(tx, who.sessionSecret!);
      await appendTrail(prismaExecutor(tx), {
        actor: who.email,
        userId: who.userId,
        action: 'auth.sign_out',
        target: `user:${who.email}`,
      });
    });
  const res = Response.json({ signedOut: true }, { headers: { 'cache-control': 'no-store' } });
  res.headers.append('set-cookie', clearSessionCookie(isTls(request)));
  return res;
}
