/**
 * Exports: a dataset (lib/reports/datasets.ts) under a filter as CSV or JSON, or the evidence report as PDF,
 * streamed from PostgreSQL through a cursor to a file or an HTTP response in constant memory, with the
 * SHA-256 of what was written. Every export is an entry of the activity trail written before the first byte
 * (no entry, no export), and a second entry when it ends with the files' SHA-256, so the hashes of what left
 * are kept in the append-only trail (the Reports page's manifest download reads them from there).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { z } from 'zod';
import { invalidInput } from '@/lib/errors';
import { expireExceptions } from '@/lib/findings/exceptions';
import { trailHead } from '@/lib/trail/read';
import { inTransaction } from '@/lib/db/transaction';
import { appendTrail, pgExecutor } from '@/lib/trail/write';
import { datasetFilterSchemas, datasetQuery, DATASETS, type Dataset, type DatasetFilter, type ExportRow } from './datasets';
import { evidenceFacts, renderEvidencePdf } from './evidence';
import { csvStages, HashingStream, jsonStream, manifestLine, type Format } from './format';
import { streamRows } from './stream';

/** Filter values as given (query string, CLI options, a request's `filter`): each dataset keeps its own keys. */
export const filterBagSchema = z.record(z.string().max(64), z.string().max(1000)).default({});
export type FilterBag = z.infer<typeof filterBagSchema>;

/** A dataset's filter parsed from the bag; a bad value is invalid input naming the field. */
export function parseDatasetFilter<D extends Dataset>(what: D, bag: FilterBag): DatasetFilter<D> {
  const clean = Object.fromEntries(Object.entries(bag).filter(([, v]) => v !== ''));
  const parsed = datasetFilterSchemas[what].safeParse(clean);
  if (parsed.success) return parsed.data as DatasetFilter<D>;
  const issue = parsed.error.issues[0]!;
  throw invalidInput(`Invalid ${what} filter "${issue.path.join('.')}": ${issue.message}`);
}

/** The rows of a dataset, through a cursor in one snapshot. */
export async function* datasetRows<D extends Dataset>(
  pool: pg.Pool,
  what: D,
  filter: DatasetFilter<D>,
  now: Date,
): AsyncGenerator<ExportRow> {
  // Exceptions whose expiry has passed are marked expired first (a state change of its own, on the trail).
  if (what === 'exceptions') await expireExceptions(pool, now);
  const q = datasetQuery(what, filter, now);
  for await (const r of streamRows<Record<string, unknown>>(pool, q.sql, q.params, 1000)) yield q.toRow(r);
}

/** The encoding stages of a format for a dataset's rows. */
function encoders(what: Dataset, format: 'csv' | 'json', now: Date): Transform[] {
  const q = datasetQuery(what, datasetFilterSchemas[what].parse({}) as never, now);
  return format === 'csv' ? csvStages(q.columns) : [jsonStream()];
}

export interface EncodedExport {
  /** The bytes, to pipe to a file or a response. */
  stream: Readable;
  /** Its SHA-256 and size, once `stream` has ended. */
  hashing: HashingStream;
  rows: () => number;
  done: Promise<void>;
}

/** One dataset as CSV or JSON, or the evidence report as PDF, as a byte stream with its hash. */
export function encodeExport(
  pool: pg.Pool,
  what: Dataset | 'evidence',
  format: Format,
  bag: FilterBag,
  now: Date,
): EncodedExport {
  const hashing = new HashingStream();
  let count = 0;
  let done: Promise<void>;
  if (what === 'evidence' || format === 'pdf') {
    if (what !== 'evidence' || format !== 'pdf') throw invalidInput('the evidence report is a PDF, and only it is');
    const cluster = bag.cluster || undefined;
    async function* pdf() {
      const facts = await evidenceFacts(pool, { cluster }, now);
      count = 1;
      yield* renderEvidencePdf(facts);
    }
    done = pipeline(Readable.from(pdf()), hashing);
  } else {
    const filter = parseDatasetFilter(what, bag);
    async function* rows() {
      for await (const r of datasetRows(pool, what as Dataset, filter, now)) {
        count++;
        yield r;
      }
    }
    done = pipeline([Readable.from(rows()), ...encoders(what, format, now), hashing]);
  }
  // The pipeline's errors reach the reader through `hashing` (destroyed with the error); `done` is for awaiting.
  done.catch(() => {});
  return { stream: hashing, hashing, rows: () => count, done };
}

const exportFieldsSchema = z.object({
  format: z.enum(['csv', 'json', 'pdf']),
  /** A dataset (CSV or JSON), or `evidence` (the PDF report). */
  what: z.enum([...DATASETS, 'evidence']),
  filter: filterBagSchema,
  /** Who asks, for the activity trail (the web app's route takes the signed-in user). */
  by: z.string().trim().min(1, 'say who you are').max(200),
});
const pdfIsEvidence = (r: { what: string; format: string }) => (r.what === 'evidence') === (r.format === 'pdf');
const pdfIsEvidenceMessage = { message: 'the evidence report is a PDF; the datasets are CSV or JSON', path: ['format'] };
export const exportRequestSchema = exportFieldsSchema.refine(pdfIsEvidence, pdfIsEvidenceMessage);
/** What the web app's route takes: the request without `by`. */
export const exportBodySchema = exportFieldsSchema.omit({ by: true }).refine(pdfIsEvidence, pdfIsEvidenceMessage);
export type ExportRequest = z.infer<typeof exportRequestSchema>;

const stamp = (at: Date) =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');

/** The file name of an export: `nhi-<what>-<UTC time>.<format>` (`evidence-report` for the PDF). */
export const exportFileName = (what: Dataset | 'evidence', format: Format, at: Date) =>
  `nhi-${what === 'evidence' ? 'evidence-report' : what}-${stamp(at)}.${format}`;

export interface ExportStarted {
  /** The trail entry that recorded it (its seq), which the completion entry names. */
  exportId: string;
}

/** The trail entry before an export (fail closed: if it cannot be written, nothing is exported). */
export async function recordExportStart(
  pool: pg.Pool,
  actor: string,
  detail: { format: Format; what: (Dataset | 'evidence')[]; filter: FilterBag; destination: string },
  now: Date,
): Promise<ExportStarted> {
  const head = await trailHead(pool);
  const entry = await inTransaction(pool, (client) =>
    appendTrail(pgExecutor(client), {
      actor,
      action: 'export.create',
      target: `export:${detail.what.join(',')}.${detail.format}`,
      before: null,
      after: { ...detail, trailHeadBefore: head },
      at: now,
    }),
  );
  return { exportId: String(entry.seq) };
}

/** The trail entry after an export, with what was written and its hashes. */
export async function recordExportEnd(
  pool: pg.Pool,
  actor: string,
  started: ExportStarted,
  files: { file: string; sha256: string; bytes: number; rows: number }[],
  now = new Date(),
): Promise<void> {
  await inTransaction(pool, (client) =>
    appendTrail(pgExecutor(client), {
      actor,
      action: 'export.complete',
      target: `export:${started.exportId}`,
      before: null,
      after: { files },
      at: now,
    }),
  );
}

/** The SHA256SUMS of an export recorded in the trail (null when it has not completed). */
export async function exportManifest(pool: pg.Pool, exportId: string): Promise<string | null> {
  const r = await pool.query<{ after: { files?: { file: string; sha256: string }[] } | null }>(
    `SELECT after FROM "ActivityLog" WHERE action = 'export.complete' AND target = $1 ORDER BY seq DESC LIMIT 1`,
    [`export:${exportId}`],
  );
  const files = r.rows[0]?.after?.files;
  return files ? files.map((f) => manifestLine(f.sha256, f.file)).join('') : null;
}

export interface ExportToDirOptions {
  format: Format;
  /** Datasets for CSV and JSON (the PDF is the evidence report). */
  what: Dataset[];
  filter: FilterBag;
  dir: string;
  actor: string;
  now?: Date;
}

export interface WrittenFile {
  file: string;
  sha256: string;
  bytes: number;
  rows: number;
}

/** Writes the files and SHA256SUMS into `dir` (made if needed); returns each file with its hash. */
export async function exportToDir(pool: pg.Pool, o: ExportToDirOptions): Promise<{ files: WrittenFile[]; manifest: string }> {
  const now = o.now ?? new Date();
  const what: (Dataset | 'evidence')[] = o.format === 'pdf' ? ['evidence'] : o.what;
  if (!what.length) throw invalidInput('nothing to export: name at least one of ' + DATASETS.join(', '));
  // Filters are checked before anything is recorded or written.
  if (o.format !== 'pdf') for (const w of o.what) parseDatasetFilter(w, o.filter);
  await mkdir(o.dir, { recursive: true });
  const started = await recordExportStart(pool, o.actor, { format: o.format, what, filter: o.filter, destination: 'file' }, now);
  const files: WrittenFile[] = [];
  for (const w of what) {
    const file = o.format === 'pdf' ? 'evidence-report.pdf' : `${w}.${o.format}`;
    const enc = encodeExport(pool, w, o.format, o.filter, now);
    await pipeline(enc.stream, createWriteStream(path.join(o.dir, file)));
    await enc.done;
    files.push({ file, sha256: enc.hashing.sha256, bytes: enc.hashing.bytes, rows: enc.rows() });
  }
  const manifest = files.map((f) => manifestLine(f.sha256, f.file)).join('');
  await writeFile(path.join(o.dir, 'SHA256SUMS'), manifest);
  await recordExportEnd(pool, o.actor, started, files);
  return { files, manifest };
}
