import { setAnomalyStatus, statusChangeSchema } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { afterAnomalyDecision } from '@/lib/findings/runtime';
import { route } from '@/lib/http/route';
import { actorOf, teamScope } from '@/lib/auth/principal';

import { anomalySubject, assertSubjectInScope } from '@/lib/auth/scope';

export const dynamic = 'force-dynamic';

/** `{ status, by, note? }`: acknowledge, mark false positive (fed back to the baseline), resolve or reopen. */
export const POST = route(
  { access: 'owned.act', body: statusChangeSchema.omit({ by: true }) },
  async ({ params, body, viewer }) => {
    const id = String(params.id);
    await assertSubjectInScope(prisma(), teamScope(viewer), await anomalySubject(prisma(), id), 'anomaly');
    const changed = await setAnomalyStatus(prisma(), id, { ...body, by: actorOf(viewer) });
    await afterAnomalyDecision(pgPool(), changed);
    return changed;
  },
);
