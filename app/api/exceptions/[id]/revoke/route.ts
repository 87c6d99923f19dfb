import { pgPool } from '@/lib/db/pool';
import { revokeException, revokeSchema } from '@/lib/findings/exceptions';
import { route } from '@/lib/http/route';
import { actorOf } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** `{ by, note? }`: takes the exception back; its finding is open again. */
export const POST = route({ access: 'risk.approve', body: revokeSchema.omit({ by: true }) }, ({ params, body, viewer }) =>
  revokeException(pgPool(), String(params.id), { ...body, by: actorOf(viewer) }),
);
