import { pgPool } from '@/lib/db/pool';
import { revokeException, revokeSchema } from '@/lib/findings/exceptions';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/** `{ by, note? }`: takes the exception back; its finding is open again. */
export const POST = route({ body: revokeSchema }, ({ params, body }) => revokeException(pgPool(), String(params.id), body));
