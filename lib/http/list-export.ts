/**
 * Export of a list page's current view (GET /api/<list>/export?format=csv|json&<the page's filters and sort>):
 * every page of it, at most EXPORT_MAX_ROWS rows, streamed to the response as the rows are read (csv-stringify
 * for CSV, one JSON array for JSON: lib/reports/format.ts) — never built in memory. The file name carries the
 * list and the date.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { csvStages, jsonStream, CONTENT_TYPES } from '@/lib/reports/format';
import type { Cell, ExportRow } from '@/lib/reports/datasets';

export const EXPORT_MAX_ROWS = 100_000;

export const LIST_EXPORT_FORMATS = ['csv', 'json'] as const;
export type ListExportFormat = (typeof LIST_EXPORT_FORMATS)[number];

/** The `format` field added to a list's filter schema for its export route. */
export const exportFormatField = { format: z.enum(LIST_EXPORT_FORMATS).default('csv') };

/** `nhi-<list>-<YYYY-MM-DD>.<format>` (the UTC date). */
export const listExportFileName = (list: string, format: ListExportFormat, at: Date) =>
  `nhi-${list}-${at.toISOString().slice(0, 10)}.${format}`;

/** A list row as an export record: the columns in order, each a plain value (arrays stay arrays in JSON). */
export function exportRecord<R extends object>(row: R, columns: readonly (keyof R & string)[]): ExportRow {
  return Object.fromEntries(columns.map((c) => [c, (row[c] ?? null) as Cell]));
}

/** The rows as CSV or JSON bytes, a stream that reads the rows only as fast as they are sent. */
export function encodeListExport(rows: AsyncIterable<ExportRow>, columns: readonly string[], format: ListExportFormat): Readable {
  const stages = format === 'csv' ? csvStages(columns) : [jsonStream()];
  let out: Readable = Readable.from(rows);
  for (const stage of stages) {
    out.on('error', (e) => stage.destroy(e));
    out = out.pipe(stage);
  }
  return out;
}

/** The download response of a list's export. */
export function listExportResponse(
  list: string,
  format: ListExportFormat,
  rows: AsyncIterable<ExportRow>,
  columns: readonly string[],
  now = new Date(),
): Response {
  const stream = encodeListExport(rows, columns, format);
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
    headers: {
      'content-type': CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="${listExportFileName(list, format, now)}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** At most `limit` of the rows, each made an export record. */
export async function* limitedRecords<R extends object>(
  rows: AsyncIterable<R>,
  columns: readonly (keyof R & string)[],
  limit = EXPORT_MAX_ROWS,
): AsyncGenerator<ExportRow> {
  let n = 0;
  for await (const r of rows) {
    if (n++ >= limit) return;
    yield exportRecord(r, columns);
  }
}

/** Rows read per query by an export that reads its list page after page. */
export const EXPORT_BATCH = 1000;

/**
 * The rows of a list read page after page (`EXPORT_BATCH` a page, in the list's total order) until a short
 * page or `limit` rows: what an export of a list read through Prisma streams.
 */
export async function* pagesOf<R>(
  readPage: (page: number, take: number) => Promise<{ rows: R[] }>,
  limit: number,
): AsyncGenerator<R> {
  let n = 0;
  for (let page = 1; n < limit; page++) {
    const { rows } = await readPage(page, EXPORT_BATCH);
    for (const r of rows) {
      if (n++ >= limit) return;
      yield r;
    }
    if (rows.length < EXPORT_BATCH) return;
  }
}
