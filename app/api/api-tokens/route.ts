import { z } from 'zod';
import { createApiToken, listApiTokens, newTokenSchema } from '@/lib/auth/api-tokens';
import { actorOf } from '@/lib/auth/principal';
import { allows } from '@/lib/auth/roles';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Your API tokens (admins: everyone's), newest first; never a token itself. */
export const GET = route({ access: 'signed-in' }, ({ viewer }) =>
  listApiTokens(prisma(), allows(viewer.role, 'users.manage') ? undefined : viewer.email),
);

/**
 * `{ name, scope: read|write, expires }`: a token for your scripts, acting as you with at most that scope. The
 * answer carries the token: the only time it is shown. Auditors' tokens can only read.
 */
export const POST = route(
  { access: 'signed-in', body: newTokenSchema.pick({ name: true, scope: true, expires: true }) },
  async ({ body, viewer }) => {
    const scope = viewer.role === 'auditor' ? 'read' : z.enum(['read', 'write']).parse(body.scope);
    return createApiToken(prisma(), { ...body, scope, user: viewer.email }, actorOf(viewer));
  },
);
