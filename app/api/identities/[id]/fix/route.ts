import { fixQuerySchema, leastPrivilegeFix } from '@/lib/data/least-privilege';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertIdentityInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/**
 * A ServiceAccount's least-privilege fix (lib/data/least-privilege.ts): the Roles and RoleBindings that allow
 * what it did over `days` (1–90, default 7) up to its last event, as objects and YAML, the diff against the
 * rules it holds, the bindings they replace and the automount advice. `includeDenied=true` also grants the
 * calls that were denied.
 */
export const GET = route({ access: 'owned.read', query: fixQuerySchema }, async ({ query, params, viewer }) => {
  await assertIdentityInScope(prisma(), teamScope(viewer), String(params.id));
  const fix = await leastPrivilegeFix(prisma(), String(params.id), query);
  if (!fix) throw notFound('no ServiceAccount identity with this id');
  return fix;
});
