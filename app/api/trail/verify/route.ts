import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { verifyTrail } from '@/lib/trail/read';

export const dynamic = 'force-dynamic';

/** The whole chain walked: `{ entries, last, broken, head, checkedAt, line }` (`broken` null when it holds). */
export const GET = route({ access: 'trail.read' }, () => verifyTrail(pgPool()));
