import { z } from 'zod';
import { teamScope } from '@/lib/auth/principal';
import { assertIdentityInScope } from '@/lib/auth/scope';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { whatIf, whatIfBodySchema, whatIfOptions } from '@/lib/whatif/load';

export const dynamic = 'force-dynamic';

const optionsQuerySchema = z.object({ q: z.string().max(100).default('') });

/**
 * What a what-if can change on a ServiceAccount: its bindings (with their RbacBinding ids, to remove) and the
 * cluster's roles whose name or namespace contains `q` (at most 50, to bind it to). Another team's identity is a 404.
 */
export const GET = route({ access: 'owned.read', query: optionsQuerySchema }, async ({ query, params, viewer }) => {
  await assertIdentityInScope(prisma(), teamScope(viewer), String(params.id));
  const options = await whatIfOptions(prisma(), String(params.id), query.q.trim());
  if (!options) throw notFound('no ServiceAccount identity with this id');
  return options;
});

/**
 * Simulates removing some of its bindings, binding it to existing roles and/or applying the suggested
 * least-privilege Roles (lib/whatif): its reach, escalation paths, findings and risk score before and after.
 * Reads only; nothing is written to the cluster or the database, hence `owned.read`.
 */
export const POST = route({ access: 'owned.read', body: whatIfBodySchema }, async ({ body, params, viewer }) => {
  await assertIdentityInScope(prisma(), teamScope(viewer), String(params.id));
  const result = await whatIf(prisma(), String(params.id), {
    removeBindingIds: body.removeBindings,
    addBindings: body.addBindings,
    leastPrivilege: body.leastPrivilege,
    days: body.days,
  });
  if (!result) throw notFound('no ServiceAccount identity with this id');
  return result;
});
