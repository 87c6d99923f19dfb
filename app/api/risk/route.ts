import { listRisk, riskFilterSchema } from '@/lib/data/risk';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** One page of risk scores, highest first, each with the factors that add up to it and their evidence. */
export const GET = route({ access: 'owned.read', query: riskFilterSchema }, async ({ query, viewer }) => {
  const { rows, total } = await listRisk(prisma(), query, teamScope(viewer));
  return { total, page: query.page, pageSize: query.pageSize, rows };
});
