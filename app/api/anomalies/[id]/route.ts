import { getAnomaly } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertSubjectInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** One anomaly with its explanation, facts, history and evidence events. */
export const GET = route({ access: 'owned.read' }, async ({ params, viewer }) => {
  const a = await getAnomaly(prisma(), String(params.id));
  if (!a) throw notFound('no such anomaly');
  await assertSubjectInScope(prisma(), teamScope(viewer), a, 'anomaly');
  return a;
});
