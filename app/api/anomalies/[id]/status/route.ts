import { setAnomalyStatus, statusChangeSchema } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { afterAnomalyDecision } from '@/lib/findings/runtime';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** `{ status, by, note? }`: acknowledge, mark false positive (fed back to the baseline), resolve or reopen. */
export const POST = route({ body: statusChangeSchema }, async ({ params, body }) => {
  const changed = await setAnomalyStatus(prisma(), String(params.id), body);
  await afterAnomalyDecision(pgPool(), changed);
  return changed;
});
