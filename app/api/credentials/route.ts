import { systemClock } from '@/lib/clock';
import { CREDENTIAL_PAGE_SIZE, credentialFilterSchema, listCredentials } from '@/lib/data/credentials';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** One page of credentials (metadata only) for the filter in the query string, as the Credentials page shows them. */
export const GET = route({ access: 'owned.read', query: credentialFilterSchema }, async ({ query, viewer }) => {
  const { rows, total } = await listCredentials(prisma(), query, systemClock(), teamScope(viewer));
  return { total, page: query.page, pageSize: CREDENTIAL_PAGE_SIZE, rows };
});
