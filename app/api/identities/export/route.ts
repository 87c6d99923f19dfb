import { IDENTITY_EXPORT_COLUMNS, identityFilterSchema, identityViewRows } from '@/lib/data/identities';
import { prisma } from '@/lib/db/client';
import { pgPool } from '@/lib/db/pool';
import { route } from '@/lib/http/route';
import { EXPORT_MAX_ROWS, exportFormatField, limitedRecords, listExportResponse } from '@/lib/http/list-export';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/**
 * The Identities page's view (its filters and sort, every page, at most 100,000 rows) as a CSV or JSON
 * download, streamed: `?format=csv|json&<the page's query string>`. A service owner gets their teams' identities.
 */
export const GET = route(
  { access: 'owned.read', query: identityFilterSchema.omit({ page: true }).extend(exportFormatField) },
  async ({ query, viewer }) => {
    const { format, ...filter } = query;
    const rows = identityViewRows(prisma(), pgPool(), { ...filter, page: 1 }, teamScope(viewer), EXPORT_MAX_ROWS);
    return listExportResponse('identities', format, limitedRecords(rows, IDENTITY_EXPORT_COLUMNS), IDENTITY_EXPORT_COLUMNS);
  },
);
