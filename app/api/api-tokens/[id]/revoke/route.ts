import { revokeApiToken } from '@/lib/auth/api-tokens';
import { actorOf } from '@/lib/auth/principal';
import { allows } from '@/lib/auth/roles';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { isUuid } from '@/lib/validate';

export const dynamic = 'force-dynamic';

/** Revokes one of your API tokens (admins: anyone's) at once. */
export const POST = route({ access: 'signed-in' }, async ({ params, viewer }) => {
  const id = String(params.id);
  const token = isUuid(id)
    ? await prisma().apiToken.findUnique({ where: { id }, select: { user: { select: { email: true } } } })
    : null;
  if (!token || (token.user.email !== viewer.email && !allows(viewer.role, 'users.manage'))) throw notFound('no such token');
  return revokeApiToken(prisma(), id, actorOf(viewer));
});
