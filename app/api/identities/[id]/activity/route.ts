import { activityOf, activityQuerySchema, identityScope } from '@/lib/data/activity';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** A ServiceAccount's runtime activity over `days` (1–90, default 7) up to its last event (lib/data/activity.ts). */
export const GET = route({ query: activityQuerySchema }, async ({ query, params }) => {
  const scope = await identityScope(prisma(), String(params.id));
  if (!scope) throw notFound('no ServiceAccount identity with this id');
  return activityOf(prisma(), scope, query);
});
