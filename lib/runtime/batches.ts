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
import { isAscii } from 'node:buffer';
import { RowEncoder } from './copy';
import { safeJson } from './audit';
import { parseLineInto, parseRuntimeTextTo, type ParseSink } from './parse';
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
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ASCII (audit logs nearly always are) reads the same as latin1, which decodes about twice as fast.
  const text = buffer.toString(isAscii(buffer) ? 'latin1' : 'utf8');
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

/** Where a batch's parsed items go: each event encoded as a row at once (a batch's events are never all held). */
class BatchSink implements ParseSink {
  private readonly encoder: RowEncoder;
  readonly rejectedItems: RejectedItem[] = [];
  private rejectedCount = 0;
  private plain = false;
  private readonly evidence: RuntimeEvent[] = [];

  constructor(
    clusterId: string,
    expectedBytes: number,
    private readonly offset: number,
  ) {
    this.encoder = new RowEncoder(clusterId, expectedBytes);
  }

  // A line without a backslash holds no value that COPY text must escape (copy.ts copyRow).
  readonly line = (line: string) => void (this.plain = !line.includes('\\'));

  readonly events = {
    push: (...events: RuntimeEvent[]) => {
      for (const e of events) {
        this.encoder.add(e, this.plain);
        if (e.legacyToken || e.staleToken) this.evidence.push(e);
      }
    },
  };

  readonly rejected = {
    push: (...items: RejectedItem[]) => {
      for (const r of items) {
        this.rejectedCount++;
        if (this.rejectedItems.length >= REJECTED_PER_BATCH) continue;
        const item = this.offset ? r.item.replace(/^line (\d+)/, (_m, n: string) => `line ${Number(n) + this.offset}`) : r.item;
        this.rejectedItems.push({ item, reason: r.reason });
      }
    },
  };

  finish(): ParsedBatch {
    const encoded = this.encoder.finish();
    const { rejectedItems: rejected, rejectedCount, evidence } = this;
    return { rows: encoded.rows, events: encoded.count, days: encoded.days, rejected, rejectedCount, evidence };
  }
}

/**
 * Parses one batch of a file (lines after `offset`) and encodes its valid events as rows of `clusterId`,
 * each as soon as it is parsed (a batch's events are never all in memory at once).
 */
export function parseBatch(clusterId: string, text: string, offset: number): ParsedBatch {
  // Rows are usually smaller than the events they come from (bodies and most fields are not kept).
  const sink = new BatchSink(clusterId, text.length / 2, offset);
  parseRuntimeTextTo(text, sink);
  return sink.finish();
}

/**
 * parseBatch(clusterId, batchText(bytes), offset), with the same results, reading the batch line by line:
 * each line is decoded on its own, so no string of the whole batch is made (5 MB of a JSON-lines batch
 * would go straight to V8's old generation and cost a full garbage collection every batch or two).
 *
 * parseBatch first tries a text starting with `{` or `[` as one JSON document. That cannot succeed once
 * its first non-blank line is a whole JSON value and another non-blank line follows (JSON allows nothing
 * after the value), which is what JSON lines are; anything else (a pretty-printed document, a broken or
 * lone first line, `\r` line breaks) is parsed by parseBatch itself.
 */
export function parseBatchBytes(clusterId: string, bytes: Uint8Array, offset: number): ParsedBatch {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const whole = () => parseBatch(clusterId, batchText(bytes), offset);
  if (buffer.includes(CR)) return whole();
  const encoding = isAscii(buffer) ? 'latin1' : 'utf8';
  const sink = new BatchSink(clusterId, buffer.length / 2, offset);
  // The first non-blank line, parsed, until another non-blank line says the batch is JSON lines.
  let first: { raw: string; index: number; parsed: ReturnType<typeof safeJson> } | null = null;
  let lines = false;
  for (let index = 0, start = 0; ; index++) {
    const lf = buffer.indexOf(LF, start);
    const raw = buffer.toString(encoding, start, lf < 0 ? buffer.length : lf);
    if (lines) parseLineInto(raw, index, sink);
    else if (raw.trim() && !first) {
      const parsed = safeJson(raw.trim());
      if ('error' in parsed) return whole();
      first = { raw, index, parsed };
    } else if (raw.trim() && first) {
      lines = true;
      parseLineInto(first.raw, first.index, sink, {}, first.parsed);
      parseLineInto(raw, index, sink);
    }
    if (lf < 0) break;
    start = lf + 1;
  }
  return lines ? sink.finish() : whole();
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
