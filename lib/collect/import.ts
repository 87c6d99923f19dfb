/**
 * Offline import: reads `kubectl get … -o json|yaml` output (and `kubectl cluster-info dump` folders) into a
 * `ClusterSnapshot`, for auditors who receive dumps instead of cluster access. No database, no network.
 *
 * What it accepts:
 * - files and folders (walked recursively; inside folders only *.json, *.yaml, *.yml, optionally + .gz;
 *   hidden entries are skipped); `-` reads standard input;
 * - gzip, detected by its magic bytes (the .gz extension is neither needed nor trusted);
 * - UTF-8 (with or without BOM) and UTF-16 with BOM (PowerShell's `>` redirect writes UTF-16LE);
 * - JSON: one value, several concatenated values (`kubectl get … -o json >> dump.json`) or JSON lines;
 * - YAML: multi-document, parsed like kubectl does (YAML 1.1: `yes` is true, `0644` is octal; timestamps
 *   stay strings), one document — and a large kubectl `List` one item — at a time, so memory stays
 *   bounded (an 83 MB `-o yaml` List of 131k objects reads in ~45 s under a 1 GB heap);
 * - `List` / `*List` objects (typed lists whose items lack `kind` get it from the list kind; objects with
 *   an `items` array and no kind, as some tools write, are lists too) and top-level JSON arrays.
 *
 * What it guarantees:
 * - every Secret goes through `sanitizeSecret` before it is kept, every other object through `slimObject`;
 *   objects of kinds outside the inventory are counted, never kept;
 * - nothing valid is lost: a broken file or document gives an error note naming the file (and document /
 *   line) and everything else is still read; notes never quote file content, so a Secret value in a
 *   broken file cannot leak through an error message;
 * - duplicates (same resource/namespace/name) keep the higher numeric resourceVersion, else the last read;
 * - the output is deterministic: files in the order given (folders sorted), arrays sorted by
 *   namespace/name, notes in reading order followed by the summary notes.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Tags } from 'yaml';

import { resourceForKind, resources } from './resources';
import { sanitizeSecret, slimObject } from './sanitize';
import { emptySnapshot } from './types';
import type { ClusterSnapshot, CollectionNote, KubeObject, ResourceKey, ResourceSpec, SecretMeta } from './types';

export interface ReadDumpsOptions {
  /** Namespace given to namespaced objects that lack one (kubectl applies them to the context's namespace). */
  defaultNamespace?: string;
  /** Largest file accepted, after decompression (default 1 GiB; a JS string cannot hold much more). */
  maxFileBytes?: number;
  /** Called after each file, for progress bars. */
  onFile?: (progress: { path: string; index: number; total: number; objects: number }) => void;
  /** Where `-` is read from (default process.stdin); for tests. */
  stdin?: NodeJS.ReadableStream;
}

export interface DumpImport {
  snapshot: ClusterSnapshot;
  notes: CollectionNote[];
  /** Files opened (including broken ones, which have an error note). */
  files: number;
  /** Objects kept in the snapshot (after duplicates were resolved). */
  objects: number;
  /** Every object document seen, list items counted one by one (kept, skipped, invalid and duplicate). */
  read: number;
  /** Objects kept per resource. */
  counts: Partial<Record<ResourceKey, number>>;
  /** Objects not kept because their kind is not part of the inventory, per kind. */
  skipped: Record<string, number>;
  /** A name for the cluster from the single folder or file imported (not from content), if any. */
  clusterNameHint?: string;
  /** The uid of the kube-system Namespace when the dump has it: a stable cluster identifier. */
  clusterUid?: string;
}

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;
const FOLDER_EXTENSIONS = ['.json', '.yaml', '.yml'];
/** API groups whose kinds moved: objects written with the old group are still the same resource. */
const LEGACY_GROUPS: Record<string, string[]> = {
  extensions: ['apps', 'networking.k8s.io'],
};
const EXAMPLES_PER_NOTE = 3;

/** Reads dump files and folders into one snapshot. Never throws for bad input; see the notes. */
export async function readDumps(paths: string[], opts: ReadDumpsOptions = {}): Promise<DumpImport> {
  const reader = new DumpReader(opts);
  const files: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) await expand(p, files, seen, reader.notes);
  let index = 0;
  for (const file of files) {
    const before = reader.read;
    await reader.readFile(file);
    index++;
    opts.onFile?.({ path: file, index, total: files.length, objects: reader.read - before });
  }
  if (paths.length === 0) reader.notes.push({ level: 'error', message: 'no files or folders were given to import' });
  else if (files.length === 0) reader.notes.push({ level: 'error', message: `no dump files found in ${paths.join(', ')}` });
  const result = reader.finish(files.length);
  const hint = clusterNameHint(paths);
  if (hint) result.clusterNameHint = hint;
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Files and folders

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

function isDumpFileName(name: string): boolean {
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
function clusterNameHint(paths: string[]): string | undefined {
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
// Decoding: gzip, encodings, JSON / YAML

/** Problems found in one file, reported as one note per problem with a few examples. */
class FileIssues {
  private readonly byProblem = new Map<
    string,
    { level: CollectionNote['level']; examples: string[]; count: number; resource?: string }
  >();
  constructor(private readonly file: string) {}

  get empty(): boolean {
    return this.byProblem.size === 0;
  }

  add(level: CollectionNote['level'], problem: string, example?: string, resource?: string): void {
    let entry = this.byProblem.get(problem);
    if (!entry) {
      entry = { level, examples: [], count: 0, resource };
      this.byProblem.set(problem, entry);
    }
    entry.count++;
    if (example && entry.examples.length < EXAMPLES_PER_NOTE) entry.examples.push(example);
  }

  flush(notes: CollectionNote[]): void {
    for (const [problem, e] of this.byProblem) {
      const more = e.count > e.examples.length ? `, … (${e.count} in all)` : '';
      const examples = e.examples.length ? `: ${e.examples.join(', ')}${more}` : e.count > 1 ? ` (${e.count} times)` : '';
      const note: CollectionNote = { level: e.level, source: this.file, message: `${this.file}: ${problem}${examples}` };
      if (e.resource) note.resource = e.resource;
      notes.push(note);
    }
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

/**
 * What is certainly complete in the start of a truncated file. JSON values cut short fail to parse by
 * themselves; a YAML document cut short may still parse (`name: gz-sa-1` instead of `gz-sa-12`), so
 * YAML keeps only the documents before the last `---` separator.
 */
function completeDocuments(text: string): string {
  const first = text.search(/\S/);
  if (first !== -1 && (text[first] === '{' || text[first] === '[')) return text;
  const separators = [...text.matchAll(/^---/gm)];
  const last = separators[separators.length - 1];
  return last ? text.slice(0, last.index) : '';
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

function decodeText(buf: Buffer, issues: FileIssues): string | undefined {
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

function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: pos - lineStart + 1 };
}

/**
 * A JSON.parse error as "what, where" — without the excerpt of the input that V8 may quote (it could be a
 * Secret value). The location comes from a small validator, since V8 does not always give one.
 */
function describeJsonError(err: unknown, text: string, start: number, end: number): string {
  const message = err instanceof Error ? err.message : String(err);
  const offset = jsonErrorOffset(text, start, end);
  if (offset === undefined || offset >= end || /Unexpected end of JSON input/.test(message)) {
    return 'unexpected end of input (the file looks truncated)';
  }
  let reason = message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)\s*$/, '');
  if (reason.includes('"') || reason.length > 80 || reason === '') reason = 'Unexpected character';
  const { line, col } = lineCol(text, offset);
  return `${reason.charAt(0).toLowerCase()}${reason.slice(1)} at line ${line}, column ${col}`;
}

/** Where JSON in text[start, end) stops being valid, or undefined when it is valid. */
function jsonErrorOffset(text: string, start: number, end: number): number | undefined {
  let i = start;
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const ws = () => {
    for (let c = text.charCodeAt(i); i < end && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09); c = text.charCodeAt(++i));
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      i += c === 0x5c ? 2 : 1;
    }
    return false;
  };
  const value = (depth: number): boolean => {
    ws();
    if (i >= end || depth > 10_000) return false;
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"' || !string()) return false;
          ws();
          if (text[i] !== ':') return false;
          i++;
        }
        if (!value(depth + 1)) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return true;
        }
        return false;
      }
    }
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return true;
      }
    }
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m || m[0] === '') return false;
    i += m[0].length;
    return true;
  };
  if (!value(0)) return Math.min(i, end);
  ws();
  return i < end ? i : undefined;
}

/**
 * Splits concatenated JSON values (`{…}{…}`, JSON lines) into their source ranges. Returns undefined
 * when the text is not a sequence of objects/arrays (then the caller reports the JSON.parse error).
 */
function splitJsonValues(text: string): { start: number; end: number }[] | undefined {
  const out: { start: number; end: number }[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 0) return undefined;
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) out.push({ start, end: i + 1 });
    } else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      return undefined;
    }
  }
  if (depth > 0 && start >= 0) out.push({ start, end: text.length }); // a truncated last value: let JSON.parse say so
  return out;
}

/** Tags kubectl's YAML decoder does not apply: timestamps stay strings, `1:20` is not sexagesimal. */
const yamlTags = (tags: Tags): Tags =>
  tags.filter(
    (t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && (t as { format?: string }).format !== 'TIME'),
  );

const YAML_CODE_TEXT: Record<string, string> = {
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used as indentation',
  MISSING_CHAR: 'a missing closing quote or bracket',
  UNEXPECTED_TOKEN: 'an unexpected token',
  MULTILINE_IMPLICIT_KEY: 'a key spanning several lines',
  BLOCK_AS_IMPLICIT_KEY: 'a block used as a key',
  BAD_ALIAS: 'a bad alias',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted string',
  DUPLICATE_KEY: 'a duplicate key',
  TAG_RESOLVE_FAILED: 'a value that does not fit its tag',
  BAD_SCALAR_START: 'a value starting with a reserved character',
  BAD_DIRECTIVE: 'a bad directive',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  BLOCK_IN_FLOW: 'a block inside a flow collection',
  MULTIPLE_ANCHORS: 'several anchors on one node',
  MULTIPLE_TAGS: 'several tags on one node',
  BAD_PROP_ORDER: 'anchor/tag in the wrong order',
  ALIAS_PROPS: 'an alias with an anchor or tag',
  NON_STRING_KEY: 'a non-string key',
  BAD_COLLECTION_TYPE: 'a bad collection type',
  IMPOSSIBLE: 'an internal parser error',
};

interface ParsedYaml {
  docs?: Document.Parsed[];
  lineCounter: LineCounter;
  failure?: string;
}

function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  try {
    const docs = parseAllDocuments(text, { version: '1.1', customTags: yamlTags, lineCounter, prettyErrors: false });
    return { docs: Array.isArray(docs) ? docs : [], lineCounter };
  } catch (err) {
    return { lineCounter, failure: err instanceof Error ? err.name : 'error' };
  }
}

/** Documents at least this long are checked for kubectl's List layout and then read item by item. */
const LIST_SPLIT_MIN_CHARS = 64 * 1024;
/** YAML this large gets an info note suggesting JSON. */
const LARGE_YAML_CHARS = 20 * 1024 * 1024;

interface YamlChunk {
  text: string;
  /** 1-based line of the chunk's first line in the file. */
  line: number;
}

/**
 * Splits a YAML stream at document markers (`---`, `...` at the start of a line, which the YAML spec
 * forbids inside any content). A leading chunk of only comments and blank lines is dropped.
 */
export function splitYamlDocuments(text: string): YamlChunk[] {
  const chunks: YamlChunk[] = [];
  let start = 0;
  let startLine = 1;
  let line = 1;
  const marker = (pos: number, end: number, m: string) =>
    text.startsWith(m, pos) && (pos + 3 === end || /\s/.test(text.charAt(pos + 3)));
  for (let pos = 0; pos < text.length; line++) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl;
    if (marker(pos, end, '---')) {
      if (pos > start) chunks.push({ text: text.slice(start, pos), line: startLine });
      start = pos;
      startLine = line;
    } else if (marker(pos, end, '...')) {
      if (pos > start) chunks.push({ text: text.slice(start, pos), line: startLine });
      start = end + 1;
      startLine = line + 1;
    }
    pos = end + 1;
  }
  if (start < text.length) chunks.push({ text: text.slice(start), line: startLine });
  const blank = (c: YamlChunk) => c.text.split('\n').every((l) => l.trim() === '' || l.trimStart().startsWith('#'));
  if (chunks.length > 1 && blank(chunks[0]!)) chunks.shift();
  return chunks;
}

/** Typed lists (`ServiceAccountList`) omit kind/apiVersion in their items; they come from the list. */
function listItemDefaults(listKind: string | undefined, listApiVersion: unknown): { itemKind?: string; itemApiVersion?: string } {
  const itemKind = listKind && listKind !== 'List' ? listKind.slice(0, -'List'.length) : undefined;
  const itemApiVersion = itemKind && typeof listApiVersion === 'string' ? listApiVersion : undefined;
  return { itemKind, itemApiVersion };
}

// ---------------------------------------------------------------------------------------------------
// Objects

interface Kept {
  obj: KubeObject | SecretMeta;
  source: string;
  spec: ResourceSpec;
}

interface DuplicateInfo {
  count: number;
  examples: string[];
}

class DumpReader {
  readonly notes: CollectionNote[] = [];
  read = 0;
  /** Object or list documents seen (an empty List counts). */
  private documents = 0;
  private readonly kept = new Map<string, Kept>();
  private readonly skipped = new Map<string, number>();
  private readonly duplicates = new Map<ResourceKey, DuplicateInfo>();
  private readonly defaultNamespace: string;
  private readonly maxFileBytes: number;

  constructor(private readonly opts: ReadDumpsOptions) {
    this.defaultNamespace = opts.defaultNamespace ?? 'default';
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  async readFile(file: string): Promise<void> {
    const issues = new FileIssues(file === '-' ? '(stdin)' : file);
    const source = file === '-' ? '(stdin)' : file;
    try {
      const raw = await this.load(file, issues);
      if (!raw) return;
      if (raw.length > this.maxFileBytes) {
        issues.add('error', `is larger than ${formatBytes(this.maxFileBytes)}; not read`);
        return;
      }
      const decompressed = decompress(raw, file, issues, this.maxFileBytes);
      if (!decompressed) return;
      let text = decodeText(decompressed.data, issues);
      if (text === undefined) return;
      if (decompressed.partial) text = completeDocuments(text);
      const before = this.documents;
      this.parse(text, source, issues);
      // An empty List is a fine answer ("no pods in this namespace"); a file with no document at all is not.
      if (this.documents === before && issues.empty) issues.add('warning', 'contains no Kubernetes objects');
    } finally {
      issues.flush(this.notes);
    }
  }

  private async load(file: string, issues: FileIssues): Promise<Buffer | undefined> {
    try {
      if (file === '-') {
        const chunks: Buffer[] = [];
        for await (const chunk of this.opts.stdin ?? process.stdin)
          chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
        return Buffer.concat(chunks);
      }
      const info = await stat(file);
      if (info.size > this.maxFileBytes) {
        issues.add('error', `is ${formatBytes(info.size)}, larger than the ${formatBytes(this.maxFileBytes)} limit; not read`);
        return undefined;
      }
      return await readFile(file);
    } catch (err) {
      issues.add('error', `cannot read (${errorCode(err)})`);
      return undefined;
    }
  }

  private parse(text: string, source: string, issues: FileIssues): void {
    const firstChar = text.search(/\S/);
    if (firstChar === -1) {
      issues.add('warning', 'is empty');
      return;
    }
    const c = text.charCodeAt(firstChar);
    if (c !== 0x7b && c !== 0x5b) {
      this.readYaml(text, source, issues);
      return;
    }
    const jsonError = this.parseJson(text, source, issues);
    if (jsonError === undefined) return;
    // A YAML file in flow style ({kind: List, …}) looks like JSON: accept its YAML reading when that is clean.
    if (!/\.json(\.gz)?$/i.test(source)) {
      const yaml = parseYaml(text);
      const yamlError = yaml.docs?.flatMap((d) => d.errors)[0];
      if (yaml.docs && !yamlError) {
        this.ingestYaml(yaml, source, issues, 0, undefined);
        return;
      }
      const where = yamlError ? ` at line ${yaml.lineCounter.linePos(yamlError.pos[0]).line} (${yamlError.code})` : '';
      issues.add('error', `is neither valid JSON (${jsonError}) nor valid YAML${where}; nothing in this file was imported`);
      return;
    }
    issues.add('error', `is not valid JSON: ${jsonError}; nothing in this file was imported`);
  }

  /** Reads JSON (one value, or several concatenated); returns the parse error when the text is not JSON. */
  private parseJson(text: string, source: string, issues: FileIssues): string | undefined {
    let firstError: unknown;
    try {
      this.ingestValue(JSON.parse(text), source, issues, undefined);
      return undefined;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      firstError = err;
    }
    const ranges = splitJsonValues(text);
    if (!ranges || ranges.length < 2) return describeJsonError(firstError, text, 0, text.length);
    ranges.forEach((r, i) => {
      let value: unknown;
      try {
        value = JSON.parse(text.slice(r.start, r.end));
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        issues.add(
          'error',
          `invalid JSON in value ${i + 1} of ${ranges.length}: ${describeJsonError(err, text, r.start, r.end)}; that value was not imported`,
        );
        return;
      }
      this.ingestValue(value, source, issues, `value ${i + 1}`);
    });
    return undefined;
  }

  /**
   * YAML is read one document at a time (split at `---` / `...` markers, which YAML forbids inside
   * content), and a big `kind: List` document in kubectl's layout one item at a time: the yaml parser's
   * tree is ~40x the text, so a whole `kubectl get -A -o yaml` of a large cluster would not fit in memory.
   * Splitting also keeps a broken document from swallowing the ones after it.
   */
  private readYaml(text: string, source: string, issues: FileIssues): void {
    if (text.length > LARGE_YAML_CHARS) {
      issues.add(
        'info',
        `is ${formatBytes(text.length)} of YAML, which reads about 10x slower than JSON (\`kubectl get -o json\` dumps import faster)`,
      );
    }
    if (/^%/m.test(text)) {
      // directives belong to the document after them: no splitting
      this.ingestYaml(parseYaml(text), source, issues, 0, undefined);
      return;
    }
    const chunks = splitYamlDocuments(text);
    chunks.forEach((chunk, i) => {
      const where = chunks.length > 1 ? `document ${i + 1}` : undefined;
      if (chunk.text.length >= LIST_SPLIT_MIN_CHARS && this.readYamlList(chunk, source, issues, where)) return;
      this.ingestYaml(parseYaml(chunk.text), source, issues, chunk.line - 1, where);
    });
  }

  /** A kubectl-style List document read item by item; false when the document does not have that layout. */
  private readYamlList(chunk: YamlChunk, source: string, issues: FileIssues, where: string | undefined): boolean {
    const lines = chunk.text.split('\n');
    const itemsAt = lines.findIndex((l) => /^items:\s*$/.test(l));
    if (itemsAt < 0) return false;
    const starts: number[] = [];
    let end = lines.length;
    for (let i = itemsAt + 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (/^-(\s|$)/.test(l)) starts.push(i);
      else if (!(l.trim() === '' || l.startsWith(' ') || l.startsWith('#'))) {
        end = i;
        break;
      }
      // anything else before the first item but blank lines and comments: not kubectl's layout
      if (starts.length === 0 && l.trim() !== '' && !l.trimStart().startsWith('#')) return false;
    }
    if (starts.length === 0) return false;
    const envelope = parseYaml([...lines.slice(0, itemsAt), 'items: []', ...lines.slice(end)].join('\n'));
    const envDoc = envelope.docs?.length === 1 ? envelope.docs[0] : undefined;
    if (!envDoc || envDoc.errors.length > 0) return false;
    const env = envDoc.toJS() as Record<string, unknown> | null;
    if (!env || typeof env !== 'object' || Array.isArray(env)) return false;
    const kind = typeof env.kind === 'string' ? env.kind : undefined;
    const meta = env.metadata as Record<string, unknown> | undefined;
    if (!(kind === undefined ? !(meta && typeof meta.name === 'string') : kind.endsWith('List'))) return false;
    this.documents++;
    const { itemKind, itemApiVersion } = listItemDefaults(kind, env.apiVersion);
    starts.forEach((start, k) => {
      const stop = starts[k + 1] ?? end;
      const itemLines = lines.slice(start, stop);
      itemLines[0] = ` ${itemLines[0]!.slice(1)}`; // "- key: v" → "  key: v": the item as an indented document
      const label = `${where ? `${where}, ` : ''}item ${k + 1}`;
      const parsed = parseYaml(itemLines.join('\n'));
      const doc = parsed.docs?.length === 1 ? parsed.docs[0] : undefined;
      if (!doc) {
        issues.add('error', `invalid YAML in ${label}; that item was not imported`);
        return;
      }
      const value = this.yamlDocumentValue(doc, parsed.lineCounter, chunk.line - 1 + start, issues, label, 'item');
      if (value !== undefined) this.ingestListItem(value, itemKind, itemApiVersion, source, issues, label);
    });
    return true;
  }

  private ingestYaml(yaml: ParsedYaml, source: string, issues: FileIssues, lineOffset: number, base: string | undefined): void {
    if (!yaml.docs) {
      issues.add('error', `cannot be parsed as YAML (${yaml.failure ?? 'error'}); nothing in this file was imported`);
      return;
    }
    const multi = yaml.docs.length > 1;
    yaml.docs.forEach((doc, i) => {
      const where = multi ? (base ? `${base}.${i + 1}` : `document ${i + 1}`) : base;
      const value = this.yamlDocumentValue(doc, yaml.lineCounter, lineOffset, issues, where, 'document');
      if (value !== undefined && value !== null) this.ingestValue(value, source, issues, where);
    });
  }

  /** The document's value, or undefined (with an error note) when it is broken. */
  private yamlDocumentValue(
    doc: Document.Parsed,
    lineCounter: LineCounter,
    lineOffset: number,
    issues: FileIssues,
    where: string | undefined,
    unit: 'document' | 'item',
  ): unknown {
    const fatal = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
    if (fatal.length > 0) {
      const e = fatal[0]!;
      const { line, col } = lineCounter.linePos(e.pos[0]);
      const what = YAML_CODE_TEXT[e.code] ?? e.code.toLowerCase().replace(/_/g, ' ');
      issues.add(
        'error',
        `invalid YAML${where ? ` in ${where}` : ''} at line ${line + lineOffset}, column ${col}: ${what} (${e.code}); that ${unit} was not imported`,
      );
      return undefined;
    }
    for (const e of doc.errors) {
      issues.add(
        'warning',
        'has duplicate keys (the last value was used)',
        `line ${lineCounter.linePos(e.pos[0]).line + lineOffset}`,
      );
    }
    try {
      return doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      issues.add(
        'error',
        `${where ?? 'the document'} could not be converted (${err instanceof Error ? err.name : 'error'}); not imported`,
      );
      return undefined;
    }
  }

  private ingestListItem(
    item: unknown,
    itemKind: string | undefined,
    itemApiVersion: string | undefined,
    source: string,
    issues: FileIssues,
    where: string,
  ): void {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const it = item as Record<string, unknown>;
      if (itemKind && typeof it.kind !== 'string') it.kind = itemKind;
      if (itemApiVersion && typeof it.apiVersion !== 'string') it.apiVersion = itemApiVersion;
    }
    this.ingestObject(item, source, issues, where);
  }

  private ingestValue(value: unknown, source: string, issues: FileIssues, where: string | undefined): void {
    if (Array.isArray(value)) {
      value.forEach((v, i) => this.ingestValue(v, source, issues, `${where ? `${where}, ` : ''}element ${i + 1}`));
      return;
    }
    if (!value || typeof value !== 'object') {
      issues.add('warning', 'contains a document that is not an object (ignored)', where);
      return;
    }
    this.documents++;
    const obj = value as Record<string, unknown>;
    const kind = typeof obj.kind === 'string' ? obj.kind : undefined;
    const meta = obj.metadata as Record<string, unknown> | undefined;
    const isList =
      Array.isArray(obj.items) && (kind === undefined ? !(meta && typeof meta.name === 'string') : kind.endsWith('List'));
    if (isList) {
      const { itemKind, itemApiVersion } = listItemDefaults(kind, obj.apiVersion);
      (obj.items as unknown[]).forEach((item, i) =>
        this.ingestListItem(item, itemKind, itemApiVersion, source, issues, `${where ? `${where}, ` : ''}item ${i + 1}`),
      );
      return;
    }
    this.ingestObject(value, source, issues, where);
  }

  private ingestObject(value: unknown, source: string, issues: FileIssues, where: string | undefined): void {
    this.read++;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      issues.add('warning', 'contains an item that is not an object (ignored)', where);
      return;
    }
    const obj = value as Record<string, unknown>;
    const kind = typeof obj.kind === 'string' && obj.kind ? obj.kind : undefined;
    if (!kind) {
      issues.add('error', 'contains objects without kind (not imported)', where);
      return;
    }
    if (kind === 'PartialObjectMetadata' || kind === 'Table') {
      issues.add(
        'error',
        `contains ${kind} objects, which do not say their resource; export with plain \`-o json\` instead (not imported)`,
        where,
      );
      return;
    }
    const spec = resourceForKind(kind);
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined;
    if (!spec || !groupMatches(spec, apiVersion)) {
      const label = spec && apiVersion ? `${kind} (${apiVersion})` : kind;
      this.skipped.set(label, (this.skipped.get(label) ?? 0) + 1);
      return;
    }
    const metaRaw = obj.metadata;
    if (!metaRaw || typeof metaRaw !== 'object' || Array.isArray(metaRaw)) {
      issues.add('error', 'contains objects without metadata (not imported)', `${kind}${where ? ` in ${where}` : ''}`, spec.key);
      return;
    }
    const meta = metaRaw as Record<string, unknown>;
    if (typeof meta.name !== 'string' || meta.name === '') {
      const gen = typeof meta.generateName === 'string' ? ` (generateName ${meta.generateName})` : '';
      issues.add(
        'error',
        'contains objects without metadata.name (not imported)',
        `${kind}${gen}${where ? ` in ${where}` : ''}`,
        spec.key,
      );
      return;
    }
    const name = meta.name;
    if (meta.namespace !== undefined && typeof meta.namespace !== 'string') {
      issues.add(
        'error',
        'contains objects whose metadata.namespace is not a string (not imported)',
        `${kind} ${name}`,
        spec.key,
      );
      return;
    }
    // A copy: the fixes below (default namespace, string labels) must not change the parsed input.
    const metadata: Record<string, unknown> = { ...meta };
    if (spec.namespaced) {
      if (!metadata.namespace) {
        metadata.namespace = this.defaultNamespace;
        issues.add(
          'warning',
          `has namespaced objects without metadata.namespace; placed in "${this.defaultNamespace}" as kubectl would apply them`,
          `${kind} ${name}`,
          spec.key,
        );
      }
    } else if (metadata.namespace !== undefined) {
      delete metadata.namespace;
      if (meta.namespace)
        issues.add(
          'info',
          'has cluster-scoped objects with a metadata.namespace (ignored, as the API server does)',
          `${kind} ${name}`,
          spec.key,
        );
    }
    fixStringMap(metadata, 'labels', kind, name, issues, spec.key);
    fixStringMap(metadata, 'annotations', kind, name, issues, spec.key);

    let kept: KubeObject | SecretMeta;
    if (spec.key === 'secrets') {
      kept = sanitizeSecret({ metadata: metadata as Parameters<typeof sanitizeSecret>[0]['metadata'], type: obj.type });
    } else {
      kept = slimObject({ ...obj, kind, metadata } as unknown as KubeObject);
      if (!kept.apiVersion) kept.apiVersion = spec.group ? `${spec.group}/${spec.version}` : spec.version;
    }
    this.keep(spec, kept, source);
  }

  private keep(spec: ResourceSpec, obj: KubeObject | SecretMeta, source: string): void {
    const ns = obj.metadata.namespace ?? '';
    const key = `${spec.key}\u0000${ns}\u0000${obj.metadata.name}`;
    const previous = this.kept.get(key);
    if (previous) {
      const a = previous.obj.metadata.resourceVersion;
      const b = obj.metadata.resourceVersion;
      const numeric = a !== undefined && b !== undefined && /^\d+$/.test(a) && /^\d+$/.test(b);
      const keepPrevious = numeric && BigInt(a) > BigInt(b);
      const dup = this.duplicates.get(spec.key) ?? { count: 0, examples: [] };
      dup.count++;
      if (dup.examples.length < EXAMPLES_PER_NOTE) {
        const id = `${ns ? `${ns}/` : ''}${obj.metadata.name}`;
        const rv = numeric ? ` (resourceVersion ${a} vs ${b})` : '';
        dup.examples.push(
          `${id} in ${previous.source} and ${source}${rv}, kept the one from ${keepPrevious ? previous.source : source}`,
        );
      }
      this.duplicates.set(spec.key, dup);
      if (keepPrevious) return;
    }
    this.kept.set(key, { obj, source, spec });
  }

  finish(files: number): DumpImport {
    const snapshot = emptySnapshot();
    const counts: Partial<Record<ResourceKey, number>> = {};
    let clusterUid: string | undefined;
    for (const { obj, spec } of this.kept.values()) {
      (snapshot[spec.key] as (KubeObject | SecretMeta)[]).push(obj);
      counts[spec.key] = (counts[spec.key] ?? 0) + 1;
      if (spec.key === 'namespaces' && obj.metadata.name === 'kube-system' && obj.metadata.uid) clusterUid = obj.metadata.uid;
    }
    for (const key of Object.keys(snapshot) as ResourceKey[])
      (snapshot[key] as (KubeObject | SecretMeta)[]).sort(byNamespaceName);

    for (const [key, dup] of this.duplicates) {
      const spec = resourceKindOf(key);
      const more = dup.count > dup.examples.length ? `; … (${dup.count} in all)` : '';
      this.notes.push({
        level: 'warning',
        resource: key,
        message:
          `${dup.count} ${spec} object${dup.count === 1 ? ' was' : 's were'} read more than once (same namespace and name); ` +
          `the higher numeric resourceVersion wins, else the copy read last: ${dup.examples.join('; ')}${more}`,
      });
    }
    const skipped = Object.fromEntries([...this.skipped.entries()].sort(([a], [b]) => cmp(a, b)));
    for (const [kind, n] of Object.entries(skipped)) {
      this.notes.push({
        level: 'info',
        resource: kind,
        message: `skipped ${n} ${kind} object${n === 1 ? '' : 's'}: not part of the inventory`,
      });
    }
    const result: DumpImport = { snapshot, notes: this.notes, files, objects: this.kept.size, read: this.read, counts, skipped };
    if (clusterUid) result.clusterUid = clusterUid;
    return result;
  }
}

function resourceKindOf(key: ResourceKey): string {
  return resources.find((r) => r.key === key)?.kind ?? key;
}

function groupMatches(spec: ResourceSpec, apiVersion: string | undefined): boolean {
  if (!apiVersion) return true; // kind alone is enough when a tool dropped apiVersion
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  if (group === spec.group) return true;
  return (LEGACY_GROUPS[group] ?? []).includes(spec.group);
}

/** Labels and annotations must be string maps; YAML may have turned `version: 1.0` into a number. */
function fixStringMap(
  metadata: Record<string, unknown>,
  field: 'labels' | 'annotations',
  kind: string,
  name: string,
  issues: FileIssues,
  resource: string,
): void {
  const value = metadata[field];
  if (value === undefined || value === null) {
    delete metadata[field];
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    delete metadata[field];
    issues.add('warning', `has objects whose metadata.${field} is not a map (dropped)`, `${kind} ${name}`, resource);
    return;
  }
  let changed = false;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') {
      out[k] = String(v);
      changed = true;
    } else if (v === null) {
      out[k] = '';
      changed = true;
    } else changed = true; // nested values cannot be labels/annotations: dropped
  }
  if (changed)
    issues.add(
      'warning',
      `has objects with non-string metadata.${field} values (converted to strings)`,
      `${kind} ${name}`,
      resource,
    );
  metadata[field] = out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byNamespaceName(
  a: { metadata: { namespace?: string; name: string } },
  b: { metadata: { namespace?: string; name: string } },
): number {
  return cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || cmp(a.metadata.name, b.metadata.name);
}
