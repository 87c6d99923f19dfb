import { teamScope } from '@/lib/auth/principal';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { unownedFilterSchema, unownedQueue } from '@/lib/ownership/unowned';

export const dynamic = 'force-dynamic';

/**
 * The unowned queue, riskiest first, with suggested owners and pending claims (`?cluster&namespace&kind&q&page&pageSize`).
 * Service owners see it too (it is where they find what to claim): subjects no team answers for, and their teams' own.
 */
export const GET = route({ access: 'owned.read', query: unownedFilterSchema }, ({ query, viewer }) =>
  unownedQueue(prisma(), query, teamScope(viewer)),
);
