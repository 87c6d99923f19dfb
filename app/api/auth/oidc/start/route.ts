import { z } from 'zod';
import { oidcSettings, pendingCookie, startOidc } from '@/lib/auth/oidc';
import { isTls } from '@/lib/auth/session';
import { safeNext } from '@/lib/auth/web';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Single sign-on, step 1: to the identity provider, with state, nonce and PKCE kept in an HttpOnly cookie. */
export const GET = route(
  { access: 'public', query: z.object({ next: z.string().max(2000).optional() }) },
  async ({ request, query }) => {
    const settings = oidcSettings();
    if (!settings) throw notFound('single sign-on is not configured');
    const { url, pending } = await startOidc(settings, safeNext(query.next));
    const res = new Response(null, { status: 303, headers: { location: url.href, 'cache-control': 'no-store' } });
    res.headers.append('set-cookie', pendingCookie(pending, isTls(request)));
    return res;
  },
);
