import { actorOf } from '@/lib/auth/principal';
import { addUser, listUsers, newUserSchema } from '@/lib/auth/users';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** The app's users (admins only): e-mail, name, role, teams, last sign-in, disabled. */
export const GET = route({ access: 'users.manage' }, () => listUsers(prisma()));

/** `{ email, name, role, teams, password }`: adds a local user (admins only); the trail records who did. */
export const POST = route(
  { access: 'users.manage', body: newUserSchema.pick({ email: true, name: true, role: true, teams: true, password: true }) },
  ({ body, viewer }) => addUser(prisma(), body, actorOf(viewer)),
);
