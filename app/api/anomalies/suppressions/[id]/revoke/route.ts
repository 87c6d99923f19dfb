import { revokeSuppression } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { actorOf } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** `{ by }`: ends the rule now; what it suppressed is open again. */
export const POST = route({ access: 'risk.approve' }, async ({ params, viewer }) => {
  await revokeSuppression(prisma(), String(params.id), actorOf(viewer));
  return { revoked: true };
});
