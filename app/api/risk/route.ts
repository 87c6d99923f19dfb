import { listRisk, riskFilterSchema } from '@/lib/data/risk';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** One page of risk scores, highest first, each with the factors that add up to it and their evidence. */
export const GET = route({ query: riskFilterSchema }, async ({ query }) => {
  const { rows, total } = await listRisk(prisma(), query);
  return { total, page: query.page, pageSize: query.pageSize, rows };
});
