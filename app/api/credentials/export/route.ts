import {
  CREDENTIAL_EXPORT_COLUMNS,
  credentialExportRecord,
  credentialFilterSchema,
  credentialViewRows,
} from '@/lib/data/credentials';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { EXPORT_MAX_ROWS, exportFormatField, limitedRecords, listExportResponse } from '@/lib/http/list-export';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/**
 * The Credentials page's view (its filters and sort, every page, at most 100,000 rows) as a CSV or JSON
 * download, streamed: `?format=csv|json&<the page's query string>`. Metadata only: no Secret's value is read
 * or stored anywhere. A service owner gets the credentials of their teams' identities.
 */
export const GET = route(
  {
    access: 'owned.read',
    query: credentialFilterSchema.omit({ page: true, federatedPage: true }).extend(exportFormatField),
  },
  async ({ query, viewer }) => {
    const { format, ...filter } = query;
    const now = new Date();
    async function* records() {
      for await (const r of credentialViewRows(
        prisma(),
        { ...filter, page: 1, federatedPage: 1 },
        now,
        teamScope(viewer),
        EXPORT_MAX_ROWS,
      ))
        yield credentialExportRecord(r);
    }
    return listExportResponse(
      'credentials',
      format,
      limitedRecords(records(), CREDENTIAL_EXPORT_COLUMNS),
      CREDENTIAL_EXPORT_COLUMNS,
      now,
    );
  },
);
