import { teamScope } from '@/lib/auth/principal';
import { prisma } from '@/lib/db/client';
import { json, route } from '@/lib/http/route';
import { claimFilterSchema, claimRequestSchema, createClaim, listClaims } from '@/lib/ownership/claims';

export const dynamic = 'force-dynamic';

/** Claims, pending first (`?status&team&workloadId&identityId&page&pageSize`); service owners: their teams' and their own. */
export const GET = route({ access: 'owned.read', query: claimFilterSchema }, ({ query, viewer }) =>
  listClaims(prisma(), teamScope(viewer), query, viewer.userId),
);

/**
 * `{ workloadId | identityId, team?, note? }`: asks that the team own it (201). A service owner claims for one of
 * their teams (403 otherwise; `team` may be left out when they have one); 404 no such subject; 409 the team owns
 * it already or has a pending claim on it.
 */
export const POST = route({ access: 'ownership.claim', body: claimRequestSchema }, async ({ body, viewer }) =>
  json(await createClaim(prisma(), viewer, body), 201),
);
