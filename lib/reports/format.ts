/**
 * Rows to bytes: CSV (csv-stringify, RFC 4180 quoting) and JSON (one array, one object per line), both as
 * streams, and a pass-through that takes the SHA-256 and size of what goes by.
 *
 * CSV cells that a spreadsheet would run as a formula are neutralised as OWASP's CSV injection guidance says:
 * a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms) gets a
 * leading `'` (csv-stringify's `escape_formulas`), so it is shown as text; numbers (a negative score) are
 * left as they are. A cell holding a line break or a carriage return is always quoted.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Cell, ExportRow } from './datasets';

export const FORMATS = ['csv', 'json', 'pdf'] as const;
export type Format = (typeof FORMATS)[number];

export const CONTENT_TYPES: Record<Format, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  pdf: 'application/pdf',
};

/** A cell as CSV text: arrays joined with "; ", objects as JSON, null as empty. */
export function csvCell(v: Cell | undefined): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('; ');
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

/** Records in, CSV text out (a header line of `columns` first): two stages to pipe through in turn. */
export function csvStages(columns: readonly string[]): [Transform, Transform] {
  const toArray = new Transform({
    writableObjectMode: true,
    readableObjectMode: true,
    transform(row: ExportRow, _enc, done) {
      done(
        null,
        columns.map((c) => csvCell(row[c])),
      );
    },
  });
  const csv = stringify({
    header: true,
    columns: [...columns],
    escape_formulas: true,
    // A lone carriage return ends a line for some readers: such a cell is quoted, so its rest cannot start a
    // new cell (or a formula) of its own.
    quoted_match: /[\r\n]/,
    record_delimiter: 'unix',
    cast: { boolean: (b) => (b ? 'true' : 'false') },
  });
  return [toArray, csv];
}

/** Records in, a JSON array out: `[`, one object per line separated by commas, `]`. */
export function jsonStream(): Transform {
  let first = true;
  return new Transform({
    writableObjectMode: true,
    transform(row: ExportRow, _enc, done) {
      const text = `${first ? '[\n' : ',\n'}${JSON.stringify(row)}`;
      first = false;
      done(null, text);
    },
    flush(done) {
      done(null, first ? '[]\n' : '\n]\n');
    },
  });
}

/** Passes bytes through, counting them and taking their SHA-256. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  private digest?: string;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    done();
  }
  /** The hex SHA-256 of everything that went through (once it ended). */
  get sha256(): string {
    if (!this.digest) throw new Error('the stream has not ended');
    return this.digest;
  }
}

/** A `sha256sum` manifest line: the hash, two spaces (text mode), the file name. */
export const manifestLine = (sha256: string, file: string) => `${sha256}  ${file}\n`;
