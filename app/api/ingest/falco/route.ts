import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { ingestRequest } from '@/lib/runtime/http';

export const dynamic = 'force-dynamic';

/** Falco's http_output and falcosidekick's webhook post alerts here, with the cluster's ingest token. */
export const POST = route({ access: 'ingest' }, ({ request }) => ingestRequest(pgPool(), request, 'falco'));
