import { actorOf } from '@/lib/auth/principal';
import { pgPool } from '@/lib/db/pool';
import {
  createException,
  exceptionFieldsSchema,
  exceptionFilterSchema,
  exceptionRequestSchema,
  listExceptions,
} from '@/lib/findings/exceptions';
import { parseFields, route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Every exception with its state, who asked, who approved and until when (`?state=active|expired|revoked`). */
export const GET = route({ access: 'cluster.read', query: exceptionFilterSchema }, ({ query }) =>
  listExceptions(pgPool(), query),
);

/**
 * `{ findingId, reason, requestedBy, expires }`: accepts an open finding until the expiry. The approver is the
 * signed-in security lead or admin, who must not be the requester.
 */
export const POST = route(
  { access: 'risk.approve', body: exceptionFieldsSchema.omit({ approvedBy: true }) },
  ({ body, viewer }) => createException(pgPool(), parseFields(exceptionRequestSchema, { ...body, approvedBy: actorOf(viewer) })),
);
