import { findingWithExceptions } from '@/lib/data/findings';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertSubjectInScope, findingSubject } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** One finding with its explanation, evidence, fix and exceptions (who asked, who approved, until when). */
export const GET = route({ access: 'owned.read' }, async ({ params, viewer }) => {
  const finding = await findingWithExceptions(prisma(), pgPool(), String(params.id));
  if (!finding) throw notFound('no such finding');
  await assertSubjectInScope(prisma(), teamScope(viewer), await findingSubject(prisma(), finding.id), 'finding');
  return finding;
});
