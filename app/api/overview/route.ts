import { teamScope } from '@/lib/auth/principal';
import { resolveCluster } from '@/lib/data/clusters';
import { overview, overviewQuerySchema } from '@/lib/data/overview';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * The overview's blocks (identity sprawl, risk, escalation paths, coverage, anomalies, trends, and for everyone but
 * service owners the audit principals and each cluster's ingestion status), each `{ ok: true, data }` or
 * `{ ok: false, error }`, so one that fails leaves the others. `?cluster=` narrows every block to one cluster.
 */
export const GET = route({ access: 'owned.read', query: overviewQuerySchema }, async ({ query, viewer }) => {
  if (query.cluster) await resolveCluster(prisma(), query.cluster);
  return overview(prisma(), { ...query, now: new Date() }, teamScope(viewer));
});
