import { fixQuerySchema, leastPrivilegeFix } from '@/lib/data/least-privilege';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * A ServiceAccount's least-privilege fix (lib/data/least-privilege.ts): the Roles and RoleBindings that allow
 * what it did over `days` (1–90, default 7) up to its last event, as objects and YAML, the diff against the
 * rules it holds, the bindings they replace and the automount advice. `includeDenied=true` also grants the
 * calls that were denied.
 */
export const GET = route({ query: fixQuerySchema }, async ({ query, params }) => {
  const fix = await leastPrivilegeFix(prisma(), String(params.id), query);
  if (!fix) throw notFound('no ServiceAccount identity with this id');
  return fix;
});
