/**
 * `--csv` of the list commands: records as CSV on standard output (a header row first), written as they
 * come (lib/reports/format.ts: csv-stringify, spreadsheet formulas neutralised), waiting for the pipe to drain.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportRow } from '@/lib/reports/datasets';
import { csvStages } from '@/lib/reports/format';

export async function printCsv(
  rows: AsyncIterable<ExportRow> | Iterable<Record<string, unknown>>,
  columns: readonly string[],
): Promise<void> {
  const [toArray, csv] = csvStages(columns);
  const source = Readable.from(rows as AsyncIterable<ExportRow>);
  // Standard output stays open for whatever is printed next (end: false).
  await pipeline(source, toArray, csv, async function* (chunks: AsyncIterable<Buffer | string>) {
    for await (const c of chunks) if (!process.stdout.write(c)) await new Promise((r) => process.stdout.once('drain', r));
  });
}
