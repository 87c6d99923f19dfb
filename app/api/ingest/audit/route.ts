import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { ingestRequest } from '@/lib/runtime/http';

export const dynamic = 'force-dynamic';

/**
 * The kube-apiserver audit webhook backend posts `EventList`s here (`--audit-webhook-config-file`, with the
 * cluster's ingest token as the bearer token). Authenticated by that token, never by a user session.
 */
export const POST = route({ access: 'ingest' }, ({ request }) => ingestRequest(pgPool(), request, 'audit'));
