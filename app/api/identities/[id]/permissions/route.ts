import { activityOf, activityQuerySchema, identityScope } from '@/lib/data/activity';
import { permissionUse } from '@/lib/data/permission-use';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';
import { assertIdentityInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/**
 * The rules a ServiceAccount's own bindings grant that its calls never used (or used only in part) over the
 * window of its runtime activity: `days` (1–90, default 7) up to its last event (lib/data/permission-use.ts).
 */
export const GET = route({ access: 'owned.read', query: activityQuerySchema }, async ({ query, params, viewer }) => {
  await assertIdentityInScope(prisma(), teamScope(viewer), String(params.id));
  const id = String(params.id);
  const scope = await identityScope(prisma(), id);
  if (!scope) throw notFound('no ServiceAccount identity with this id');
  const use = await permissionUse(prisma(), id, await activityOf(prisma(), scope, query));
  if (!use) throw notFound('no ServiceAccount identity with this id');
  return use;
});
