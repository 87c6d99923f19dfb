import { z } from 'zod';
import { revokeSuppression } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** `{ by }`: ends the rule now; what it suppressed is open again. */
export const POST = route(
  { body: z.object({ by: z.string().trim().min(1, 'say who you are').max(100) }) },
  async ({ params, body }) => {
    await revokeSuppression(prisma(), String(params.id), body.by);
    return { revoked: true };
  },
);
