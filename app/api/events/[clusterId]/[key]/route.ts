import { getRuntimeEvent } from '@/lib/data/events';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** One stored runtime event with its attribution (no body or token is ever stored). */
export const GET = route({}, async ({ params }) => {
  const event = await getRuntimeEvent(prisma(), String(params.clusterId), String(params.key));
  if (!event) throw notFound('no such event');
  return event;
});
