import { ANOMALY_EXPORT_COLUMNS, anomalyExportRecord, anomalyFilterSchema, anomalyViewRows } from '@/lib/data/anomalies';
import { prisma } from '@/lib/db/client';
import { route } from '@/lib/http/route';
import { EXPORT_MAX_ROWS, exportFormatField, limitedRecords, listExportResponse } from '@/lib/http/list-export';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/**
 * The Anomalies page's view (its filters, status tab and sort, every page, at most 100,000 rows) as a CSV or
 * JSON download, streamed: `?format=csv|json&<the page's query string>`. A service owner gets their teams' anomalies.
 */
export const GET = route(
  { access: 'owned.read', query: anomalyFilterSchema.omit({ page: true }).extend(exportFormatField) },
  async ({ query, viewer }) => {
    const { format, ...filter } = query;
    async function* records() {
      for await (const a of anomalyViewRows(prisma(), { ...filter, page: 1 }, teamScope(viewer), EXPORT_MAX_ROWS))
        yield anomalyExportRecord(a);
    }
    return listExportResponse('anomalies', format, limitedRecords(records(), ANOMALY_EXPORT_COLUMNS), ANOMALY_EXPORT_COLUMNS);
  },
);
