import { createSuppression, listSuppressions, suppressionSchema } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { actorOf } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** Every suppression rule, newest first, with who made it, why, until when and what it suppresses. */
export const GET = route({ access: 'cluster.read' }, () => listSuppressions(prisma()));

/** `{ reason, by, days, cluster?, detector?, namespace?, name? }`: a rule that ends; matching anomalies are suppressed now. */
export const POST = route({ access: 'risk.approve', body: suppressionSchema.omit({ by: true }) }, ({ body, viewer }) =>
  createSuppression(prisma(), { ...body, by: actorOf(viewer) }),
);
