import { z } from 'zod';
import { isTls, sessionSecretOf } from '@/lib/auth/session';
import { signIn, signInSchema } from '@/lib/auth/sign-in';
import { safeNext, withSessionCookie } from '@/lib/auth/web';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { trailContextOf } from '@/lib/trail/write';

export const dynamic = 'force-dynamic';

/**
 * `{ email, password, next? }`: signs in (throttled; lib/auth/sign-in.ts), sets the session cookie and answers
 * `{ next }`, the local path to go to. Same-origin JSON only (route()), so another site cannot sign a browser
 * in to an account of its choosing.
 */
export const POST = route(
  { access: 'public', body: signInSchema.extend({ next: z.string().max(2000).optional() }) },
  async ({ body, request }) => {
    const ctx = trailContextOf(request);
    const session = await signIn(
      prisma(),
      { email: body.email, password: body.password },
      {
        ip: ctx.ip ?? 'unknown',
        userAgent: ctx.userAgent,
        previousSecret: sessionSecretOf(request.headers.get('cookie'), isTls(request)),
      },
    );
    const res = Response.json({ next: safeNext(body.next) }, { headers: { 'cache-control': 'no-store' } });
    return withSessionCookie(res, session.secret, session.expiresAt, request);
  },
);
