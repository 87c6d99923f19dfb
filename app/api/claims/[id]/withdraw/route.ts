import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { claimWithdrawSchema, withdrawClaim } from '@/lib/ownership/claims';

export const dynamic = 'force-dynamic';

/** `{ note? }`: the claimant takes back their pending claim (anyone else's: 404). */
export const POST = route({ access: 'ownership.claim', body: claimWithdrawSchema }, ({ params, body, viewer }) =>
  withdrawClaim(prisma(), viewer, String(params.id), body),
);
