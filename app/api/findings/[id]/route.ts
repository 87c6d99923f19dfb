import { findingWithExceptions } from '@/lib/data/findings';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** One finding with its explanation, evidence, fix and exceptions (who asked, who approved, until when). */
export const GET = route({}, async ({ params }) => {
  const finding = await findingWithExceptions(prisma(), pgPool(), String(params.id));
  if (!finding) throw notFound('no such finding');
  return finding;
});
