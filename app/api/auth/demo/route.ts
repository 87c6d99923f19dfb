import { z } from 'zod';
import { demoSignIn, safeNext } from '@/lib/auth/web';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * The demo's automatic sign-in (`nhi demo` only: NHI_DEMO=1 and the demo account): a session for the demo
 * account, then a redirect to `next`. Anywhere else it does not exist.
 */
export const GET = route(
  { access: 'public', query: z.object({ next: z.string().max(2000).optional() }) },
  async ({ request, query }) => {
    const res = await demoSignIn(request, safeNext(query.next));
    if (!res) throw notFound('not found');
    return res;
  },
);
