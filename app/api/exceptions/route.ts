import { pgPool } from '@/lib/db/pool';
import { createException, exceptionFilterSchema, exceptionRequestSchema, listExceptions } from '@/lib/findings/exceptions';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** Every exception with its state, who asked, who approved and until when (`?state=active|expired|revoked`). */
export const GET = route({ query: exceptionFilterSchema }, ({ query }) => listExceptions(pgPool(), query));

/** `{ findingId, reason, requestedBy, approvedBy, expires }`: accepts an open finding until the expiry. */
export const POST = route({ body: exceptionRequestSchema }, ({ body }) => createException(pgPool(), body));
