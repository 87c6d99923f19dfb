import { admissionFilterSchema, listAdmissionDecisions } from '@/lib/data/admission';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * The admission webhook's recorded decisions, newest first (`{ total, page, pageSize, items }`):
 * `?cluster=NAME&decision=denied|warned|allowed&namespace=…&kind=…&rule=NHI-POS-001&name=<prefix>&page=N&pageSize=N`.
 */
export const GET = route({ access: 'cluster.read', query: admissionFilterSchema }, ({ query }) =>
  listAdmissionDecisions(prisma(), query),
);
