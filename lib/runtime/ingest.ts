/**
 * Ingestion of runtime event files (audit logs as JSON lines, `.gz`, folders, `-` for stdin; Falco JSON
 * output): read as a stream, parsed 5,000 lines at a time, written in bulk (one COPY per batch, two
 * batches in flight) while the next is parsed, so memory stays flat whatever the file size. Large inputs
 * are parsed in a worker thread (parse-worker.ts): one core parses while PostgreSQL writes on the other.
 * Whole JSON documents (`*.json`: an EventList, an array, one event) are read at once. Malformed items are
 * reported with their place and reason; valid ones are kept.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { invalidInput } from '@/lib/errors';
import { LineBatcher, parseBatch, parseBatchBytes, type LineBatch, type ParsedBatch } from './batches';
import { ParseThread } from './parse-thread';
import { applyCredentialEvidence } from './credential-use';
import { storeRows, type StoreRowsOptions } from './store';
import type { RejectedItem } from './types';

const LINES_PER_BATCH = 5000;
const WRITES_IN_FLIGHT = 2;
/** Whole documents larger than this must be JSON lines instead. */
const DOCUMENT_MAX_BYTES = 64 * 1024 * 1024;
/** Bytes read at a time. */
const CHUNK_BYTES = 1024 * 1024;
/** Batches sent to the worker and not yet written: the worker parses ahead, within bounded memory. */
const BATCHES_AHEAD = 2;
/** Inputs smaller than this are parsed in-process (starting a worker takes a few hundred milliseconds). */
const THREAD_MIN_BYTES = 8 * 1024 * 1024;

export interface IngestProgress {
  file: string;
  events: number;
}

export interface IngestOptions {
  onProgress?: (p: IngestProgress) => void;
  now?: () => number;
  /**
   * Where JSON lines are parsed: `auto` (default) in a worker thread when an input is large (stdin, or a
   * file of 8 MB or more) and in-process otherwise, or in-process if the worker cannot start; `thread`
   * always in a worker (an error if it cannot start); `main` always in-process.
   */
  parseIn?: 'auto' | 'thread' | 'main';
}

export interface IngestResult {
  files: number;
  events: number;
  inserted: number;
  duplicates: number;
  /** Up to 100 rejected items (`<file>: line 7`), with the total count in `rejectedCount`. */
  rejected: RejectedItem[];
  rejectedCount: number;
  seconds: number;
  /** The UTC days (YYYY-MM-DD) of the valid events read, first and last; null when none were. */
  days: { first: string; last: string } | null;
}

/** In folders, only files named like event files are read (a file named on the command line always is). */
const EVENT_FILE = /\.(json|jsonl|ndjson|log)(\.gz)?$/i;

/** The files the paths name: folders walked (sorted, hidden entries and other files skipped); `-` is stdin. */
export function runtimeFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (p === '-') return void out.push(p);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw invalidInput(`cannot read ${p}: not found or not allowed`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const full = path.join(p, name);
        if (name.startsWith('.')) continue;
        if (statSync(full).isDirectory() || EVENT_FILE.test(name)) walk(full);
      }
    } else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

function openText(file: string): NodeJS.ReadableStream {
  const raw = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: CHUNK_BYTES });
  return file.endsWith('.gz') ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
}

/** A plain `*.json` file is one document (an EventList, an array, one event); everything else is lines. */
const isDocument = (file: string) => /\.json$/i.test(file);

export async function ingestFiles(
  pool: pg.Pool,
  clusterId: string,
  paths: readonly string[],
  opts: IngestOptions = {},
): Promise<IngestResult> {
  const clock = opts.now ?? Date.now;
  const started = clock();
  const files = runtimeFiles(paths);
  const result: IngestResult = {
    files: files.length,
    events: 0,
    inserted: 0,
    duplicates: 0,
    rejected: [],
    rejectedCount: 0,
    seconds: 0,
    days: null,
  };
  const documents = new Set(files.filter((f) => isDocument(f) && statSync(f).size <= DOCUMENT_MAX_BYTES));
  const lineFiles = files.filter((f) => !documents.has(f));
  const mode = opts.parseIn ?? 'auto';
  const wantThread =
    lineFiles.length > 0 &&
    (mode === 'thread' || (mode === 'auto' && lineFiles.some((f) => f === '-' || statSync(f).size >= THREAD_MIN_BYTES)));
  // The worker starts while the first batches are parsed here (`auto`: it is used once ready, if it starts
  // at all), or before any is (`thread`).
  const parsers: Parsers = { clusterId, thread: null };
  const thread = wantThread ? ParseThread.spawn({ clusterId }) : null;
  if (thread && mode === 'thread') {
    try {
      await thread.ready;
    } catch (e) {
      await thread.close();
      throw e;
    }
    parsers.thread = thread;
  } else
    void thread?.ready.then(
      () => void (parsers.thread = thread),
      () => {},
    );

  // Writes in flight: two keep PostgreSQL busy while the next batch is parsed. The batches of one run share
  // the days already ensured, those of one file whether a direct COPY is still worth trying (storeRows).
  const write: StoreRowsOptions = { ensured: new Set(), synchronousCommit: false, direct: { enabled: true } };
  const inFlight: Promise<void>[] = [];
  let failure: unknown;

  /** Counts a parsed batch and queues its write behind the previous ones (parse and write overlap). */
  const take = async (file: string, batch: ParsedBatch) => {
    result.events += batch.events;
    result.rejectedCount += batch.rejectedCount;
    for (const day of batch.days) {
      if (!result.days) result.days = { first: day, last: day };
      else if (day < result.days.first) result.days.first = day;
      else if (day > result.days.last) result.days.last = day;
    }
    for (const r of batch.rejected.slice(0, Math.max(0, 100 - result.rejected.length)))
      result.rejected.push({ item: `${file}: ${r.item}`, reason: r.reason });
    if (batch.events) {
      inFlight.push(
        storeRows(pool, { rows: batch.rows, count: batch.events, days: batch.days }, write)
          .then(async (stored) => {
            result.inserted += stored.inserted;
            result.duplicates += stored.duplicates;
            // Legacy-token uses move their Secret's last use (idempotent, so a re-run redoes it safely).
            await applyCredentialEvidence(pool, clusterId, batch.evidence);
          })
          .catch((e: unknown) => {
            failure ??= e;
          }),
      );
    }
    if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
    if (failure !== undefined) throw failure;
    opts.onProgress?.({ file, events: result.events });
  };

  try {
    for (const file of files) {
      // Each file tries the direct COPY again (a folder may hold files already ingested and new ones).
      write.direct = { enabled: true };
      if (documents.has(file)) {
        const chunks: Buffer[] = [];
        for await (const chunk of createReadStream(file)) chunks.push(chunk as Buffer);
        await take(file, parseBatch(clusterId, Buffer.concat(chunks).toString('utf8'), 0));
      } else await readLines(parsers, file, take);
    }
    await Promise.all(inFlight);
  } finally {
    // Whatever happened, no write is left running against a pool the caller may end, nor a worker.
    await Promise.allSettled(inFlight);
    await thread?.close();
  }
  if (failure !== undefined) throw failure;
  result.seconds = (clock() - started) / 1000;
  return result;
}

type Take = (file: string, batch: ParsedBatch) => Promise<void>;

interface Parsers {
  clusterId: string;
  /** The parse worker once it is ready; until then (or without one) batches are parsed here. */
  thread: ParseThread | null;
}

/**
 * A JSON-lines file, cut into batches here and parsed in the worker when there is one (at most
 * BATCHES_AHEAD batches ahead of the writes, answered in order), else here.
 */
async function readLines(parsers: Parsers, file: string, take: Take): Promise<void> {
  const batcher = new LineBatcher(LINES_PER_BATCH);
  const replies: Promise<ParsedBatch>[] = [];
  const drain = async (keep: number) => {
    while (replies.length > keep) await take(file, await replies.shift()!);
  };
  const dispatch = async ({ bytes, offset }: LineBatch) => {
    const thread = parsers.thread;
    if (!thread) return take(file, parseBatchBytes(parsers.clusterId, bytes, offset));
    const reply = thread.parse(bytes, offset);
    // Awaited in order by drain; marked handled now, so a failure while an earlier one is awaited is not
    // reported as unhandled.
    reply.catch(() => {});
    replies.push(reply);
    await drain(BATCHES_AHEAD);
  };
  for await (const chunk of openText(file)) for (const batch of batcher.push(chunk as Buffer)) await dispatch(batch);
  const last = batcher.end();
  if (last) await dispatch(last);
  await drain(0);
}
