import { listWorkloads, workloadFilterSchema, WORKLOAD_PAGE_SIZE } from '@/lib/data/workloads';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** One page of workloads for the filter, sort and page in the query string (the workloads page's, lib/data/workloads.ts). */
export const GET = route({ access: 'owned.read', query: workloadFilterSchema }, async ({ query, viewer }) => {
  const { rows, total } = await listWorkloads(prisma(), query, teamScope(viewer));
  return { total, page: query.page, pageSize: WORKLOAD_PAGE_SIZE, rows };
});
