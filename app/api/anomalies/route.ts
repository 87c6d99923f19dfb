import { anomalyFilterSchema, listAnomalies } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** One page of anomalies for the filter in the query string (default: open and acknowledged), most severe first. */
export const GET = route({ access: 'owned.read', query: anomalyFilterSchema }, ({ query, viewer }) =>
  listAnomalies(prisma(), query, undefined, teamScope(viewer)),
);
