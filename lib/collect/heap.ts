/**
 * The collector's heap. A collection holds a whole cluster in memory for a moment and then lets most of it
 * go; V8 grows its heap lazily far beyond what is live (the large benchmark cluster peaks near 1.1–1.35 GB of
 * RSS unbounded, and at about 0.7 GB with the old space capped at 768 MB, in the same time). `nhi collect`
 * and `nhi import` therefore run with a bounded old space: NHI_COLLECTOR_HEAP_MB, default 768 (raise it
 * for clusters much larger than 130,000 objects).
 */
import { invalidInput } from '@/lib/errors';

export const DEFAULT_COLLECTOR_HEAP_MB = 768;
const HEAVY_COMMANDS = new Set(['collect', 'import', 'ingest']);

/** The V8 flag for the collector's heap, from NHI_COLLECTOR_HEAP_MB (megabytes, 256–65536). */
export function collectorHeapFlag(env: Record<string, string | undefined> = process.env): string {
  const raw = env.NHI_COLLECTOR_HEAP_MB ?? String(DEFAULT_COLLECTOR_HEAP_MB);
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 256 || mb > 65_536) {
    throw invalidInput(`NHI_COLLECTOR_HEAP_MB must be a whole number of megabytes from 256 to 65536, got "${raw}"`);
  }
  return `--max-old-space-size=${mb}`;
}

/**
 * The V8 flags an `nhi ingest` child gets besides the bounded heap: an old generation that starts at 64 MB.
 * With V8's default (a few MB, grown with the heap) the ingester's small heap, through which megabytes of
 * file bytes and rows pass per batch as ArrayBuffers, is fully collected several times a second: about
 * 2 µs of CPU per event, a tenth of the ingester's (lib/runtime/README.md), for about 35 MB more memory.
 */
export function ingestHeapFlags(args: readonly string[]): string[] {
  return commandOf(args) === 'ingest' ? ['--initial-old-space-size=64'] : [];
}

const commandOf = (args: readonly string[]) => args.find((a) => !a.startsWith('-'));

/** Whether this `nhi` invocation should run in a process with the bounded heap (and does not yet). */
export function wantsBoundedHeap(args: readonly string[], execArgv: readonly string[], nodeOptions = ''): boolean {
  const command = commandOf(args);
  if (!command || !HEAVY_COMMANDS.has(command)) return false;
  return ![...execArgv, nodeOptions].some((a) => a.includes('max-old-space-size'));
}
