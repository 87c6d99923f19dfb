import { setAnomalyStatus, statusChangeSchema } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** `{ status, by, note? }`: acknowledge, mark false positive (fed back to the baseline), resolve or reopen. */
export const POST = route({ body: statusChangeSchema }, ({ params, body }) =>
  setAnomalyStatus(prisma(), String(params.id), body),
);
