import { z } from 'zod';
import { getRuntimeEvent } from '@/lib/data/events';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** One stored runtime event with its attribution (no body or token is ever stored); `?at=` its time (ISO). */
export const GET = route({ query: z.object({ at: z.string().max(40).optional() }) }, async ({ params, query }) => {
  const event = await getRuntimeEvent(prisma(), String(params.clusterId), String(params.key), query.at);
  if (!event) throw notFound('no such event');
  return event;
});
