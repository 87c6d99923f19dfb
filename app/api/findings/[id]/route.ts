import { z } from 'zod';
import { getFinding } from '@/lib/data/findings';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { notFound } from '@/lib/errors';
import { listExceptions } from '@/lib/findings/exceptions';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** One finding with its explanation, evidence, fix and exceptions (who asked, who approved, until when). */
export const GET = route({}, async ({ params }) => {
  const id = String(params.id);
  if (!z.uuid().safeParse(id).success) throw notFound('no such finding');
  // Listing the exceptions first ends those past their expiry, so the finding's status is current.
  const exceptions = await listExceptions(pgPool(), { state: 'all', findingId: id });
  const finding = await getFinding(prisma(), id);
  if (!finding) throw notFound('no such finding');
  return { ...finding, exceptions };
});
