import { activityOf, activityQuerySchema, workloadScope } from '@/lib/data/activity';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** A workload's runtime activity over `days` (1–90, default 7) up to its last event (lib/data/activity.ts). */
export const GET = route({ query: activityQuerySchema }, async ({ query, params }) => {
  const scope = await workloadScope(prisma(), String(params.id));
  if (!scope) throw notFound('no workload with this id');
  return activityOf(prisma(), scope, query);
});
