import { FINDING_PAGE_SIZE, findingFilterSchema, listFindings } from '@/lib/data/findings';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** One page of findings for the filter in the query string, open and worst first, as the Findings page shows them. */
export const GET = route({ access: 'owned.read', query: findingFilterSchema }, async ({ query, viewer }) => {
  const { rows, total } = await listFindings(prisma(), query, teamScope(viewer));
  return { total, page: query.page, pageSize: FINDING_PAGE_SIZE, rows };
});
