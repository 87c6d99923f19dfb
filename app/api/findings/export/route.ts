import { FINDING_EXPORT_COLUMNS, findingExportRecord, findingFilterSchema, findingViewRows } from '@/lib/data/findings';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { EXPORT_MAX_ROWS, exportFormatField, limitedRecords, listExportResponse } from '@/lib/http/list-export';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/**
 * The Findings page's view (its filters and sort, every page, at most 100,000 rows) as a CSV or JSON
 * download, streamed: `?format=csv|json&<the page's query string>`. A service owner gets their teams' findings.
 */
export const GET = route(
  { access: 'owned.read', query: findingFilterSchema.omit({ page: true }).extend(exportFormatField) },
  async ({ query, viewer }) => {
    const { format, ...filter } = query;
    async function* records() {
      for await (const r of findingViewRows(prisma(), { ...filter, page: 1 }, teamScope(viewer), EXPORT_MAX_ROWS))
        yield findingExportRecord(r);
    }
    return listExportResponse('findings', format, limitedRecords(records(), FINDING_EXPORT_COLUMNS), FINDING_EXPORT_COLUMNS);
  },
);
