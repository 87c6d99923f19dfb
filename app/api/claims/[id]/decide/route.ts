import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { claimDecisionSchema, decideClaim } from '@/lib/ownership/claims';

export const dynamic = 'force-dynamic';

/**
 * `{ decision: approve | reject, note? }` on a pending claim; the decider must not be the claimant (409). Approval
 * makes the team the claimed owner in place of earlier claimed owners.
 */
export const POST = route({ access: 'ownership.decide', body: claimDecisionSchema }, ({ params, body, viewer }) =>
  decideClaim(prisma(), viewer, String(params.id), body, { pool: pgPool() }),
);
