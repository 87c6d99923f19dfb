import { actorOf } from '@/lib/auth/principal';
import { disableUser } from '@/lib/auth/users';
import { prisma } from '@/lib/db/client';
import { conflict, notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { isUuid } from '@/lib/validate';

export const dynamic = 'force-dynamic';

/** Disables a user (admins only): their sessions and API tokens end now. An admin cannot disable themself. */
export const POST = route({ access: 'users.manage' }, async ({ params, viewer }) => {
  const id = String(params.id);
  const user = isUuid(id) ? await prisma().user.findUnique({ where: { id }, select: { email: true } }) : null;
  if (!user) throw notFound('no such user');
  if (user.email === viewer.email) throw conflict('you cannot disable your own account');
  return disableUser(prisma(), user.email, actorOf(viewer));
});
