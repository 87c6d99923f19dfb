import { z } from 'zod';
import { getRuntimeEvent } from '@/lib/data/events';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertSubjectInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** One stored runtime event with its attribution (no body or token is ever stored); `?at=` its time (ISO). */
export const GET = route(
  { access: 'owned.read', query: z.object({ at: z.string().max(40).optional() }) },
  async ({ params, query, viewer }) => {
    const event = await getRuntimeEvent(prisma(), String(params.clusterId), String(params.key), query.at);
    if (!event) throw notFound('no such event');
    await assertSubjectInScope(
      prisma(),
      teamScope(viewer),
      { identityId: event.identity?.id, workloadId: event.workload?.id },
      'event',
    );
    return event;
  },
);
