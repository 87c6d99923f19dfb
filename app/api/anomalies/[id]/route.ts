import { getAnomaly } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** One anomaly with its explanation, facts, history and evidence events. */
export const GET = route({}, async ({ params }) => {
  const a = await getAnomaly(prisma(), String(params.id));
  if (!a) throw notFound('no such anomaly');
  return a;
});
