import { z } from 'zod';
import { workloadTimeline } from '@/lib/data/workload-timeline';
import { parseTimelineQuery } from '@/lib/data/timeline-window';
import { prisma } from '@/lib/db/client';
import { invalidInput, notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertWorkloadInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** The query string as sent (validated by parseTimelineQuery: from, to, types=a,b). */
const timelineParams = z.object({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  types: z.string().max(400).optional(),
});

/**
 * A workload's timeline (lib/data/workload-timeline.ts): events per category over time for the chart, and the
 * latest 500 events of `types` (comma-separated categories, default all) between `from` and `to` (ISO instants).
 */
export const GET = route({ access: 'owned.read', query: timelineParams }, async ({ query, params, viewer }) => {
  const id = String(params.id);
  await assertWorkloadInScope(prisma(), teamScope(viewer), id);
  const { query: q, error } = parseTimelineQuery(query);
  if (error) throw invalidInput(error);
  const timeline = await workloadTimeline(prisma(), id, q);
  if (!timeline) throw notFound('no workload with this id');
  return timeline;
});
