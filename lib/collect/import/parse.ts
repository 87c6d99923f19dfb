/**
 * Parsing dump text into candidate objects, without judging them (that is dump-reader.ts's work):
 * - JSON: one value, several concatenated values (`kubectl get … -o json >> dump.json`) or JSON lines;
 * - YAML: multi-document, parsed like kubectl does (YAML 1.1: `yes` is true, `0644` is octal; timestamps
 *   stay strings), one document — and a large kubectl `List` one item — at a time, so memory stays bounded;
 * - `List` / `*List` objects (typed lists whose items lack `kind` get it from the list kind; objects with an
 *   `items` array and no kind, as some tools write, are lists too) and top-level arrays are unpacked.
 * Broken values, documents and items become error notes naming where they are (never quoting content, which
 * could be a Secret value), and everything else is still read.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Tags } from 'yaml';

import { formatBytes, type FileIssues } from './issues';
import { describeJsonError, splitJsonValues } from './json-text';

/** Receives each candidate object (a document, an array element or a list item) and where it was found. */
export type ObjectSink = (value: unknown, where: string | undefined) => void;

/**
 * Parses one file's text (JSON, else YAML) and hands every object it holds to `sink`. Returns how many
 * object or list documents were found (an empty List counts; a file with none holds no Kubernetes objects).
 */
export function parseDocuments(text: string, source: string, issues: FileIssues, sink: ObjectSink): number {
  const parser = new DocumentParser(source, issues, sink);
  parser.run(text);
  return parser.documents;
}

/**
 * What is certainly complete in the start of a truncated file. JSON values cut short fail to parse by
 * themselves; a YAML document cut short may still parse (`name: gz-sa-1` instead of `gz-sa-12`), so
 * YAML keeps only the documents before the last `---` separator.
 */
export function completeDocuments(text: string): string {
  const first = text.search(/\S/);
  if (first !== -1 && (text[first] === '{' || text[first] === '[')) return text;
  const separators = [...text.matchAll(/^---/gm)];
  const last = separators[separators.length - 1];
  return last ? text.slice(0, last.index) : '';
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

class DocumentParser {
  /** Object or list documents seen (an empty List counts). */
  documents = 0;

  constructor(
    private readonly source: string,
    private readonly issues: FileIssues,
    private readonly emit: ObjectSink,
  ) {}

  run(text: string): void {
    const firstChar = text.search(/\S/);
    if (firstChar === -1) {
      this.issues.add('warning', 'is empty');
      return;
    }
    const c = text.charCodeAt(firstChar);
    if (c !== 0x7b && c !== 0x5b) {
      this.readYaml(text);
      return;
    }
    const jsonError = this.parseJson(text);
    if (jsonError === undefined) return;
    // A YAML file in flow style ({kind: List, …}) looks like JSON: accept its YAML reading when that is clean.
    if (!/\.json(\.gz)?$/i.test(this.source)) {
      const yaml = parseYaml(text);
      const yamlError = yaml.docs?.flatMap((d) => d.errors)[0];
      if (yaml.docs && !yamlError) {
        this.ingestYaml(yaml, 0, undefined);
        return;
      }
      const where = yamlError ? ` at line ${yaml.lineCounter.linePos(yamlError.pos[0]).line} (${yamlError.code})` : '';
      this.issues.add('error', `is neither valid JSON (${jsonError}) nor valid YAML${where}; nothing in this file was imported`);
      return;
    }
    this.issues.add('error', `is not valid JSON: ${jsonError}; nothing in this file was imported`);
  }

  /** Reads JSON (one value, or several concatenated); returns the parse error when the text is not JSON. */
  private parseJson(text: string): string | undefined {
    let firstError: unknown;
    try {
      this.ingestValue(JSON.parse(text), undefined);
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
        this.issues.add(
          'error',
          `invalid JSON in value ${i + 1} of ${ranges.length}: ${describeJsonError(err, text, r.start, r.end)}; that value was not imported`,
        );
        return;
      }
      this.ingestValue(value, `value ${i + 1}`);
    });
    return undefined;
  }

  /**
   * YAML is read one document at a time (split at `---` / `...` markers, which YAML forbids inside
   * content), and a big `kind: List` document in kubectl's layout one item at a time: the yaml parser's
   * tree is ~40x the text, so a whole `kubectl get -A -o yaml` of a large cluster would not fit in memory.
   * Splitting also keeps a broken document from swallowing the ones after it.
   */
  private readYaml(text: string): void {
    if (text.length > LARGE_YAML_CHARS) {
      this.issues.add(
        'info',
        `is ${formatBytes(text.length)} of YAML, which reads about 10x slower than JSON (\`kubectl get -o json\` dumps import faster)`,
      );
    }
    if (/^%/m.test(text)) {
      // directives belong to the document after them: no splitting
      this.ingestYaml(parseYaml(text), 0, undefined);
      return;
    }
    const chunks = splitYamlDocuments(text);
    chunks.forEach((chunk, i) => {
      const where = chunks.length > 1 ? `document ${i + 1}` : undefined;
      if (chunk.text.length >= LIST_SPLIT_MIN_CHARS && this.readYamlList(chunk, where)) return;
      this.ingestYaml(parseYaml(chunk.text), chunk.line - 1, where);
    });
  }

  /** A kubectl-style List document read item by item; false when the document does not have that layout. */
  private readYamlList(chunk: YamlChunk, where: string | undefined): boolean {
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
        this.issues.add('error', `invalid YAML in ${label}; that item was not imported`);
        return;
      }
      const value = this.yamlDocumentValue(doc, parsed.lineCounter, chunk.line - 1 + start, label, 'item');
      if (value !== undefined) this.ingestListItem(value, itemKind, itemApiVersion, label);
    });
    return true;
  }

  private ingestYaml(yaml: ParsedYaml, lineOffset: number, base: string | undefined): void {
    if (!yaml.docs) {
      this.issues.add('error', `cannot be parsed as YAML (${yaml.failure ?? 'error'}); nothing in this file was imported`);
      return;
    }
    const multi = yaml.docs.length > 1;
    yaml.docs.forEach((doc, i) => {
      const where = multi ? (base ? `${base}.${i + 1}` : `document ${i + 1}`) : base;
      const value = this.yamlDocumentValue(doc, yaml.lineCounter, lineOffset, where, 'document');
      if (value !== undefined && value !== null) this.ingestValue(value, where);
    });
  }

  /** The document's value, or undefined (with an error note) when it is broken. */
  private yamlDocumentValue(
    doc: Document.Parsed,
    lineCounter: LineCounter,
    lineOffset: number,
    where: string | undefined,
    unit: 'document' | 'item',
  ): unknown {
    const fatal = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY');
    if (fatal.length > 0) {
      const e = fatal[0]!;
      const { line, col } = lineCounter.linePos(e.pos[0]);
      const what = YAML_CODE_TEXT[e.code] ?? e.code.toLowerCase().replace(/_/g, ' ');
      this.issues.add(
        'error',
        `invalid YAML${where ? ` in ${where}` : ''} at line ${line + lineOffset}, column ${col}: ${what} (${e.code}); that ${unit} was not imported`,
      );
      return undefined;
    }
    for (const e of doc.errors) {
      this.issues.add(
        'warning',
        'has duplicate keys (the last value was used)',
        `line ${lineCounter.linePos(e.pos[0]).line + lineOffset}`,
      );
    }
    try {
      return doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      this.issues.add(
        'error',
        `${where ?? 'the document'} could not be converted (${err instanceof Error ? err.name : 'error'}); not imported`,
      );
      return undefined;
    }
  }

  private ingestListItem(item: unknown, itemKind: string | undefined, itemApiVersion: string | undefined, where: string): void {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const it = item as Record<string, unknown>;
      if (itemKind && typeof it.kind !== 'string') it.kind = itemKind;
      if (itemApiVersion && typeof it.apiVersion !== 'string') it.apiVersion = itemApiVersion;
    }
    this.emit(item, where);
  }

  private ingestValue(value: unknown, where: string | undefined): void {
    if (Array.isArray(value)) {
      value.forEach((v, i) => this.ingestValue(v, `${where ? `${where}, ` : ''}element ${i + 1}`));
      return;
    }
    if (!value || typeof value !== 'object') {
      this.issues.add('warning', 'contains a document that is not an object (ignored)', where);
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
        this.ingestListItem(item, itemKind, itemApiVersion, `${where ? `${where}, ` : ''}item ${i + 1}`),
      );
      return;
    }
    this.emit(value, where);
  }
}
