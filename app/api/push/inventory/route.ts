import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { pushRequest } from '@/lib/collect/push-server';

export const dynamic = 'force-dynamic';

/**
 * The agent mode (`nhi collect --watch --push URL --token-file F`) posts its inventory batches here, gzip-compressed,
 * with the cluster's ingest token: the token decides the cluster. Applied once per agent session and sequence number
 * (lib/collect/push-server.ts); a gap answers 409 with the sequence number expected.
 */
export const POST = route({ access: 'ingest' }, ({ request }) => pushRequest(pgPool(), request));
