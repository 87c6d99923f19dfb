import { teamScope } from '@/lib/auth/principal';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { queueQuerySchema, teamQueue } from '@/lib/findings/queue';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * A team's findings queue (`?team=NAME`, default the first of the viewer's teams) by state: unassigned, assigned,
 * fix claimed awaiting verification, verification failed, accepted until, verified fixed. Service owners: their
 * own teams only (404 for another team).
 */
export const GET = route({ access: 'owned.read', query: queueQuerySchema }, ({ query, viewer }) =>
  teamQueue({ db: prisma(), pool: pgPool() }, teamScope(viewer), query),
);
