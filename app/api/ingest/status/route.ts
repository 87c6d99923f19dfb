import { ingestionQuerySchema, ingestionStatus } from '@/lib/data/ingestion';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * Each cluster's runtime ingestion status (read-only): last event, rate, rejected items, gaps and a verdict.
 * `?cluster=NAME` for one cluster, `?gapMinutes=N` (default 10) for the gap and silence threshold,
 * `?rejectingPercent=N` (default 10). The overview polls it every 15 s.
 */
export const GET = route({ access: 'cluster.read', query: ingestionQuerySchema }, ({ query }) =>
  ingestionStatus(prisma(), { ...query, now: new Date() }),
);
