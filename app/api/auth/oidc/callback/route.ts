import { finishOidc, oidcSettings, pendingCookie, pendingOf } from '@/lib/auth/oidc';
import { isTls, sessionSecretOf } from '@/lib/auth/session';
import { startSession } from '@/lib/auth/sign-in';
import { safeNext, withSessionCookie } from '@/lib/auth/web';
import { prisma } from '@/lib/db/client';
import { isAppError, notFound, unauthenticated } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { appendTrail, prismaExecutor, trailContextOf } from '@/lib/trail/write';

export const dynamic = 'force-dynamic';

/**
 * Single sign-on, step 2: the provider sends the browser back with a code; it is exchanged and checked, the
 * account made or refreshed, a session started. A failure is on the trail (`auth.sign_in_failed`).
 */
export const GET = route({ access: 'public' }, async ({ request }) => {
  const settings = oidcSettings();
  if (!settings) throw notFound('single sign-on is not configured');
  const secure = isTls(request);
  const pending = pendingOf(request.headers.get('cookie'), secure);
  const ctx = trailContextOf(request);
  const db = prisma();
  try {
    if (!pending)
      throw unauthenticated('single sign-on: the sign-in expired or was started elsewhere; start again', {
        code: 'OIDC_NO_STATE',
      });
    const user = await finishOidc(db, settings, new URL(request.url), pending);
    const session = await startSession(db, user, 'oidc', {
      ip: ctx.ip ?? 'unknown',
      userAgent: ctx.userAgent,
      previousSecret: sessionSecretOf(request.headers.get('cookie'), secure),
    });
    const res = new Response(null, { status: 303, headers: { location: safeNext(pending.next), 'cache-control': 'no-store' } });
    res.headers.append('set-cookie', pendingCookie(null, secure));
    return withSessionCookie(res, session.secret, session.expiresAt, request);
  } catch (e) {
    if (isAppError(e))
      await db.$transaction((tx) =>
        appendTrail(prismaExecutor(tx), {
          actor: 'oidc',
          action: 'auth.sign_in_failed',
          after: { reason: e.code, method: 'oidc' },
          ...ctx,
        }),
      );
    throw e;
  }
});
