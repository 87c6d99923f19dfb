import { z } from 'zod';
import { riskOf } from '@/lib/data/risk';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertIdentityInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** The risk score with its factors (their points add up to it), the weights' version and the daily history. */
export const GET = route({ access: 'owned.read' }, async ({ params, viewer }) => {
  const id = String(params.id);
  await assertIdentityInScope(prisma(), teamScope(viewer), id);
  const risk = z.uuid().safeParse(id).success ? await riskOf(prisma(), { identityId: id }) : null;
  if (!risk) throw notFound('no risk score for this subject (scores are computed after each collection)');
  return risk;
});
