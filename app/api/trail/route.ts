import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { listTrail, trailFilterSchema } from '@/lib/trail/read';

export const dynamic = 'force-dynamic';

/**
 * The activity trail, newest first (`{ total, page, pageSize, items }`): `?since=7d&until=…&action=…&actor=…
 * &target=<prefix>&page=N&pageSize=N` (at most 500 a page).
 */
export const GET = route({ access: 'trail.read', query: trailFilterSchema }, ({ query }) => listTrail(pgPool(), query));
