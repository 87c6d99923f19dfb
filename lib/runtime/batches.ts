/**
 * JSON-lines bytes → batches of lines → parsed, encoded batches (pure: used by the parse worker and, for
 * small inputs, before the worker is ready or without one, by ingest.ts in-process, with the same results).
 *
 * Lines are split as node:readline splits them with `crlfDelay: Infinity` (what ingest.ts used before):
 * `\n`, `\r\n` (also across chunks) and a lone `\r` each end a line; a last line without a break counts.
 * Batches are cut from the bytes (a line break byte never occurs inside a UTF-8 character), so cutting
 * costs a byte search, and a batch is decoded, parsed and encoded wherever it is sent. Its text is its
 * lines joined by `\n`, parsed by parseRuntimeText exactly as before.
 */
import { RowEncoder } from './copy';
import { parseRuntimeTextTo } from './parse';
import type { RejectedItem, RuntimeEvent } from './types';

/** Rejected items a batch carries back at most (ingest keeps the first 100 in all, and counts the rest). */
export const REJECTED_PER_BATCH = 100;

const LF = 0x0a;
const CR = 0x0d;

export interface LineBatch {
  /** The UTF-8 bytes of the batch's lines, with their line breaks (not the last one's). */
  bytes: Buffer;
  /** Lines before the batch in its file (its first line is `offset + 1`). */
  offset: number;
}

/**
 * Splits bytes, given chunk by chunk, into batches of `perBatch` lines, or fewer when they reach `maxBytes`
 * (audit logs at RequestResponse level have large lines; a line is never split).
 */
export class LineBatcher {
  private parts: Buffer[] = [];
  private size = 0;
  private lines = 0;
  private offset = 0;
  /** The previous chunk ended with `\r`: a `\n` starting this one belongs to that line break. */
  private sawReturn = false;

  constructor(
    private readonly perBatch: number,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {
    if (!Number.isInteger(perBatch) || perBatch < 1) throw new RangeError(`perBatch must be ≥ 1, got ${perBatch}`);
  }

  /** The batches this chunk completes. */
  push(chunk: Buffer): LineBatch[] {
    const out: LineBatch[] = [];
    let pos = 0;
    if (this.sawReturn && chunk.length && chunk[0] === LF) {
      // The \n of a \r\n split across chunks: no line break of its own. It stays beside its \r, unless a
      // batch was cut at that \r (then it is dropped, as the break is not part of a batch).
      if (this.size) this.add(chunk.subarray(0, 1));
      pos = 1;
    }
    if (chunk.length) this.sawReturn = chunk[chunk.length - 1] === CR;
    // The next \r of the chunk (-1: none left), searched again only once passed.
    let cr = chunk.indexOf(CR, pos);
    let from = pos;
    for (;;) {
      if (cr >= 0 && cr < from) cr = chunk.indexOf(CR, from);
      const lf = chunk.indexOf(LF, from);
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr);
      if (end < 0) break;
      const breakLength = chunk[end] === CR && chunk[end + 1] === LF ? 2 : 1;
      this.lines++;
      if (this.lines === this.perBatch || this.size + (end - pos) >= this.maxBytes) {
        this.add(chunk.subarray(pos, end));
        out.push(this.cut());
        pos = end + breakLength;
      }
      from = end + breakLength;
    }
    if (pos < chunk.length) this.add(chunk.subarray(pos));
    return out;
  }

  /** The last batch (null when nothing is left); the batcher is then ready for another file. */
  end(): LineBatch | null {
    const batch = this.size ? this.cut() : null;
    this.parts = [];
    this.size = 0;
    this.lines = 0;
    this.offset = 0;
    this.sawReturn = false;
    return batch;
  }

  private add(bytes: Buffer): void {
    if (!bytes.length) return;
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private cut(): LineBatch {
    // One buffer of its own per batch (never a slice of a shared pool), so it can be moved to the worker.
    const bytes = Buffer.allocUnsafeSlow(this.size);
    let at = 0;
    for (const part of this.parts) at += part.copy(bytes, at);
    const batch = { bytes, offset: this.offset };
    this.offset += this.lines;
    this.parts = [];
    this.size = 0;
    this.lines = 0;
    return batch;
  }
}

/** A batch's text: its lines joined by `\n` (\r\n and a lone \r are line breaks, as readline reads them). */
export function batchText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** A parsed batch, ready for store.ts storeRows. */
export interface ParsedBatch {
  /** COPY text rows of the valid events (UTF-8). */
  rows: Uint8Array;
  events: number;
  days: string[];
  /** The first REJECTED_PER_BATCH rejected items, lines numbered in the file. */
  rejected: RejectedItem[];
  rejectedCount: number;
  /** The few events that say a credential was used (legacy or stale token annotations), for credential-use.ts. */
  evidence: RuntimeEvent[];
}

/**
 * Parses one batch of a file (lines after `offset`) and encodes its valid events as rows of `clusterId`,
 * each as soon as it is parsed (a batch's events are never all in memory at once).
 */
export function parseBatch(clusterId: string, text: string, offset: number): ParsedBatch {
  // Rows are usually smaller than the events they come from (bodies and most fields are not kept).
  const encoder = new RowEncoder(clusterId, text.length / 2);
  const rejected: RejectedItem[] = [];
  let rejectedCount = 0;
  let plain = false;
  const evidence: RuntimeEvent[] = [];
  parseRuntimeTextTo(text, {
    // A line without a backslash holds no value that COPY text must escape (copy.ts copyRow).
    line: (line) => (plain = !line.includes('\\')),
    events: {
      push: (...events: RuntimeEvent[]) => {
        for (const e of events) {
          encoder.add(e, plain);
          if (e.legacyToken || e.staleToken) evidence.push(e);
        }
      },
    },
    rejected: {
      push: (...items: RejectedItem[]) => {
        for (const r of items) {
          rejectedCount++;
          if (rejected.length >= REJECTED_PER_BATCH) continue;
          const item = offset ? r.item.replace(/^line (\d+)/, (_m, n: string) => `line ${Number(n) + offset}`) : r.item;
          rejected.push({ item, reason: r.reason });
        }
      },
    },
  });
  const encoded = encoder.finish();
  return { rows: encoded.rows, events: encoded.count, days: encoded.days, rejected, rejectedCount, evidence };
}

/** What ingest.ts gives the parse worker (parse-worker.ts) when it starts it. */
export interface ParseWorkerData {
  nhiParseWorker: true;
  clusterId: string;
}

/** A batch's bytes (line breaks as in the file) and the lines before it in its file. */
export interface ParseWorkerRequest {
  bytes: Uint8Array;
  offset: number;
}

export type ParseWorkerReply = { type: 'ready' } | { type: 'batch'; batch: ParsedBatch };

/** The ArrayBuffers that can be moved to another thread: those the arrays own entirely (never a shared pool). */
export function transferable(arrays: readonly Uint8Array[]): ArrayBuffer[] {
  return arrays
    .filter((a) => a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)
    .map((a) => a.buffer as ArrayBuffer);
}
