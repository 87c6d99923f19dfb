/**
 * Reading dump files: which files a list of paths names (folders walked recursively, `-` for standard
 * input), and each file's bytes as text (size limit, gzip by magic bytes with salvage of truncated data,
 * UTF-8 with or without BOM, UTF-16 with BOM). Problems become notes; nothing here throws for bad input.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

import { resourceForKind, resources } from '../resources';
import type { CollectionNote } from '../types';
import { formatBytes, type FileIssues } from './issues';

const FOLDER_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** How a file is named in notes and duplicate reports (`-` is standard input). */
export function sourceName(file: string): string {
  return file === '-' ? '(stdin)' : file;
}

// ---------------------------------------------------------------------------------------------------
// Files and folders

/**
 * The files the given paths name, in the order given (folders walked recursively and sorted; inside
 * folders only *.json, *.yaml, *.yml, optionally + .gz; hidden entries skipped). A path named twice, or
 * reached again through a symlink, is read once. Unreadable paths become error notes.
 */
export async function expandPaths(paths: string[], notes: CollectionNote[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) await expand(p, files, seen, notes);
  return files;
}

async function expand(p: string, out: string[], seen: Set<string>, notes: CollectionNote[]): Promise<void> {
  if (p === '-') {
    out.push(p);
    return;
  }
  let info;
  try {
    info = await stat(p);
  } catch (err) {
    notes.push({ level: 'error', source: p, message: `${p}: cannot read (${errorCode(err)})` });
    return;
  }
  let real = p;
  try {
    real = await realpath(p);
  } catch {
    /* keep p */
  }
  if (seen.has(real)) return; // the same file or folder given twice, or a symlink loop
  seen.add(real);
  if (!info.isDirectory()) {
    out.push(p);
    return;
  }
  let names: string[];
  try {
    names = (await readdir(p)).sort();
  } catch (err) {
    notes.push({ level: 'error', source: p, message: `${p}: cannot list folder (${errorCode(err)})` });
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = path.join(p, name);
    let child;
    try {
      child = await stat(full);
    } catch (err) {
      notes.push({ level: 'error', source: full, message: `${full}: cannot read (${errorCode(err)})` });
      continue;
    }
    if (child.isDirectory()) await expand(full, out, seen, notes);
    else if (child.isFile() && isDumpFileName(name)) await expand(full, out, seen, notes);
  }
}

export function isDumpFileName(name: string): boolean {
  const lower = name.toLowerCase().replace(/\.gz$/, '');
  return FOLDER_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (code === 'ENOENT') return 'not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

function stripExtensions(name: string): string {
  return name.replace(/\.gz$/i, '').replace(/\.(json|ya?ml|jsonl|ndjson|txt)$/i, '');
}

/** The folder's name, or the file's name when it does not merely name a resource (`secrets.json`). */
export function clusterNameHint(paths: string[]): string | undefined {
  if (paths.length !== 1 || paths[0] === '-') return undefined;
  const base = stripExtensions(path.basename(path.resolve(paths[0]!)));
  if (!base || base === '.' || base === '/') return undefined;
  const generic =
    /^(all|dumps?|list|exports?|output|out|cluster-info|resources|objects|manifests?|rbac|workloads|identities|inventory|snapshot|backup|-)$/i;
  const resourceWord = (s: string) =>
    !!resourceForKind(s) || [...resourceNames].some((r) => r === s.toLowerCase() || r === s.toLowerCase().replace(/s$/, ''));
  const first = base.split(/[._]/)[0] ?? base;
  if (generic.test(base) || resourceWord(base) || resourceWord(first)) return undefined;
  return base;
}

/** Lower-case kinds and plurals of the inventory and of common dump file names (`configmaps.json`). */
const resourceNames = new Set<string>([
  ...resources.flatMap((r) => [r.kind.toLowerCase(), r.plural]),
  ...['configmap', 'configmaps', 'service', 'services', 'event', 'events', 'endpoints', 'endpointslice', 'endpointslices'],
]);

// ---------------------------------------------------------------------------------------------------
// One file's text: size limit, gzip, encodings

export interface ReadTextOptions {
  /** Largest file accepted, after decompression. */
  maxFileBytes: number;
  /** Where `-` is read from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

/**
 * A dump file's content as text, or undefined (with an error note) when it cannot be read. `truncated`
 * says the gzip data ended early and only its start could be decompressed: the last document may be cut short.
 */
export async function readDumpText(
  file: string,
  opts: ReadTextOptions,
  issues: FileIssues,
): Promise<{ text: string; truncated: boolean } | undefined> {
  const raw = await load(file, opts, issues);
  if (!raw) return undefined;
  if (raw.length > opts.maxFileBytes) {
    issues.add('error', `is larger than ${formatBytes(opts.maxFileBytes)}; not read`);
    return undefined;
  }
  const decompressed = decompress(raw, file, issues, opts.maxFileBytes);
  if (!decompressed) return undefined;
  const text = decodeText(decompressed.data, issues);
  if (text === undefined) return undefined;
  return { text, truncated: decompressed.partial === true };
}

async function load(file: string, opts: ReadTextOptions, issues: FileIssues): Promise<Buffer | undefined> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of opts.stdin ?? process.stdin)
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
      return Buffer.concat(chunks);
    }
    const info = await stat(file);
    if (info.size > opts.maxFileBytes) {
      issues.add('error', `is ${formatBytes(info.size)}, larger than the ${formatBytes(opts.maxFileBytes)} limit; not read`);
      return undefined;
    }
    return await readFile(file);
  } catch (err) {
    issues.add('error', `cannot read (${errorCode(err)})`);
    return undefined;
  }
}

function decompress(
  buf: Buffer,
  file: string,
  issues: FileIssues,
  maxBytes: number,
): { data: Buffer; partial?: boolean } | undefined {
  const gzip = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  if (!gzip) {
    if (/\.gz$/i.test(file)) issues.add('warning', 'named .gz but is not gzip-compressed; read as plain text');
    return { data: buf };
  }
  try {
    return { data: gunzipSync(buf, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      issues.add('error', `gzip content is larger than ${formatBytes(maxBytes)}; file not read`);
      return undefined;
    }
    // Truncated or corrupt: salvage what inflates cleanly, so that complete documents before the damage are kept.
    let partial: Buffer | undefined;
    try {
      partial = gunzipSync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: maxBytes });
    } catch {
      partial = undefined;
    }
    const reason = code === 'Z_BUF_ERROR' ? 'the gzip data is truncated' : 'the gzip data is corrupt';
    if (partial && partial.length > 0) {
      issues.add(
        'error',
        `${reason}; only the complete documents in the first ${formatBytes(partial.length)} that could be decompressed were read`,
      );
      return { data: partial, partial: true };
    }
    issues.add('error', `${reason} (${code ?? 'inflate failed'}); nothing could be decompressed`);
    return undefined;
  }
}

export function decodeText(buf: Buffer, issues: FileIssues): string | undefined {
  try {
    if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
    if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
      const swapped = Buffer.from(buf.subarray(2));
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    const text = buf.toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (err) {
    issues.add('error', `cannot decode the file as text (${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
}
