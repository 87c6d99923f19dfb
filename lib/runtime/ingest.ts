/**
 * Ingestion of runtime event files (audit logs as JSON lines, `.gz`, folders, `-` for stdin; Falco JSON
 * output): read as a stream, parsed 5,000 lines at a time, written in bulk (two batches in flight) while the next is parsed,
 * so memory stays flat whatever the file size. Whole JSON documents (`*.json`: an EventList, an array, one
 * event) are read at once. Malformed items are reported with their place and reason; valid ones are kept.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { invalidInput } from '@/lib/errors';
import { parseRuntimeText } from './parse';
import { storeEvents } from './store';
import type { RejectedItem } from './types';

const LINES_PER_BATCH = 5000;
const WRITES_IN_FLIGHT = 2;
/** Whole documents larger than this must be JSON lines instead. */
const DOCUMENT_MAX_BYTES = 64 * 1024 * 1024;

export interface IngestProgress {
  file: string;
  events: number;
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
  const raw = file === '-' ? process.stdin : createReadStream(file);
  return file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
}

/** A plain `*.json` file is one document (an EventList, an array, one event); everything else is lines. */
const isDocument = (file: string) => /\.json$/i.test(file);

export async function ingestFiles(
  pool: pg.Pool,
  clusterId: string,
  paths: readonly string[],
  opts: { onProgress?: (p: IngestProgress) => void; now?: () => number } = {},
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
  };
  // Writes in flight: two keep PostgreSQL busy on its own core while the next batch is parsed.
  const inFlight: Promise<void>[] = [];
  let failure: unknown;

  /** Parses a chunk now and queues its write behind the previous one (parse and write overlap). */
  const take = async (file: string, text: string, lineOffset: number) => {
    const { events, rejected } = parseRuntimeText(text);
    result.events += events.length;
    result.rejectedCount += rejected.length;
    for (const r of rejected.slice(0, Math.max(0, 100 - result.rejected.length))) {
      const item = r.item.replace(/^line (\d+)/, (_m, n: string) => `line ${Number(n) + lineOffset}`);
      result.rejected.push({ item: `${file}: ${item}`, reason: r.reason });
    }
    inFlight.push(
      storeEvents(pool, clusterId, events).then(
        (stored) => {
          result.inserted += stored.inserted;
          result.duplicates += stored.duplicates;
        },
        (e: unknown) => {
          failure ??= e;
        },
      ),
    );
    if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
    if (failure !== undefined) throw failure;
    opts.onProgress?.({ file, events: result.events });
  };

  for (const file of files) {
    if (isDocument(file) && statSync(file).size <= DOCUMENT_MAX_BYTES) {
      const chunks: Buffer[] = [];
      for await (const chunk of createReadStream(file)) chunks.push(chunk as Buffer);
      await take(file, Buffer.concat(chunks).toString('utf8'), 0);
      continue;
    }
    let lines: string[] = [];
    let offset = 0;
    for await (const line of createInterface({ input: openText(file), crlfDelay: Infinity })) {
      lines.push(line);
      if (lines.length === LINES_PER_BATCH) {
        await take(file, lines.join('\n'), offset);
        offset += lines.length;
        lines = [];
      }
    }
    if (lines.length) await take(file, lines.join('\n'), offset);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  result.seconds = (clock() - started) / 1000;
  return result;
}
