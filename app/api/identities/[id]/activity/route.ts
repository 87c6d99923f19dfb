import { activityOf, activityQuerySchema, identityScope } from '@/lib/data/activity';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertIdentityInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** A ServiceAccount's runtime activity over `days` (1–90, default 7) up to its last event (lib/data/activity.ts). */
export const GET = route({ access: 'owned.read', query: activityQuerySchema }, async ({ query, params, viewer }) => {
  await assertIdentityInScope(prisma(), teamScope(viewer), String(params.id));
  const scope = await identityScope(prisma(), String(params.id));
  if (!scope) throw notFound('no ServiceAccount identity with this id');
  return activityOf(prisma(), scope, query);
});
