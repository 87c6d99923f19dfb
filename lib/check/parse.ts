/**
 * Manifests for `nhi check` (lib/check/check.ts): the text of files, folders or standard input → Kubernetes objects,
 * each with where it was written (file, 1-based line of its first key, the Helm template it was rendered from).
 *
 * What it reads: multi-document YAML (kubectl's YAML 1.1: `yes` is true, timestamps stay strings), JSON (one value,
 * several concatenated values or JSON lines), `kind: List` / `*List` and top-level arrays (items get the list's
 * kind and apiVersion when they lack them, as kubectl's typed lists do), Helm-rendered output (`---` documents
 * headed by `# Source: chart/templates/x.yaml`, which is kept as the object's `helmSource`) and Kustomize output
 * (plain multi-document YAML).
 *
 * A CI gate fails closed: a document that does not parse is an error (the caller exits 2), never skipped. Documents
 * that are empty, comments only, or objects without `kind` (a chart's values.yaml in the folder) are not Kubernetes
 * objects: they are skipped, the last with a warning. Messages never quote file content (a Secret's value could be
 * there).
 */
import { LineCounter, parseAllDocuments, type Document, type Node, type Tags } from 'yaml';
import { splitYamlDocuments } from '@/lib/collect/import';
import { describeJsonError, splitJsonValues } from '@/lib/collect/import/json-text';

/** One input: a file's path as shown in the output (relative to the working directory), `(stdin)`, or a label. */
export interface ManifestText {
  name: string;
  text: string;
}

export interface LocatedObject {
  object: Record<string, unknown>;
  file: string;
  /** 1-based line of the object's first key (absent where it cannot be told, e.g. concatenated JSON). */
  line?: number;
  /** The Helm template the document was rendered from (`# Source:` comment). */
  helmSource?: string;
}

export interface CheckIssue {
  level: 'error' | 'warning';
  file?: string;
  line?: number;
  message: string;
}

export interface ParsedManifests {
  objects: LocatedObject[];
  issues: CheckIssue[];
}

/** Every Kubernetes object of the inputs, in order, and what could not be read. */
export function parseManifests(inputs: readonly ManifestText[]): ParsedManifests {
  const out: ParsedManifests = { objects: [], issues: [] };
  for (const input of inputs) parseOne(input, out);
  return out;
}

/** Timestamps stay strings and `1:20` is not sexagesimal, as in kubectl's decoder. */
const yamlTags = (tags: Tags): Tags =>
  tags.filter(
    (t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:timestamp' && (t as { format?: string }).format !== 'TIME'),
  );

const HELM_SOURCE = /^#\s*Source:\s*(\S.*?)\s*$/m;

function parseOne(input: ManifestText, out: ParsedManifests): void {
  const text = input.text.charCodeAt(0) === 0xfeff ? input.text.slice(1) : input.text;
  const first = text.search(/\S/);
  if (first === -1) {
    out.issues.push({ level: 'warning', file: input.name, message: 'is empty' });
    return;
  }
  if (text[first] === '{' || text[first] === '[') {
    if (readJson(input.name, text, out)) return;
  }
  const template = /\{\{[-\s]/.test(text) ? ' (an unrendered Helm template? run `helm template` first)' : '';
  for (const chunk of /^%/m.test(text) ? [{ text, line: 1 }] : splitYamlDocuments(text)) {
    const helmSource = HELM_SOURCE.exec(chunk.text)?.[1];
    const lineCounter = new LineCounter();
    let docs: Document.Parsed[];
    try {
      const parsed = parseAllDocuments(chunk.text, { version: '1.1', customTags: yamlTags, lineCounter, prettyErrors: false });
      docs = Array.isArray(parsed) ? parsed : [];
    } catch (e) {
      out.issues.push({
        level: 'error',
        file: input.name,
        line: chunk.line,
        message: `cannot be parsed as YAML (${e instanceof Error ? e.name : 'error'})${template}`,
      });
      continue;
    }
    const lineOf = (offset: number | undefined) =>
      offset === undefined ? undefined : lineCounter.linePos(offset).line + chunk.line - 1;
    for (const doc of docs) {
      const fatal = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? doc.errors[0];
      if (fatal) {
        const { line, col } = lineCounter.linePos(fatal.pos[0]);
        out.issues.push({
          level: 'error',
          file: input.name,
          line: line + chunk.line - 1,
          message: `invalid YAML at column ${col}: ${fatal.code === 'DUPLICATE_KEY' ? 'a duplicate key' : fatal.code.toLowerCase().replace(/_/g, ' ')}${template}`,
        });
        continue;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 1000 });
      } catch (e) {
        out.issues.push({
          level: 'error',
          file: input.name,
          line: lineOf(doc.contents?.range?.[0]),
          message: `the document cannot be converted (${e instanceof Error ? e.name : 'error'})`,
        });
        continue;
      }
      ingest(value, doc.contents ?? undefined, { file: input.name, helmSource, lineOf }, out);
    }
  }
}

interface Where {
  file: string;
  helmSource?: string;
  lineOf: (offset: number | undefined) => number | undefined;
}

/** JSON text: true when read as JSON (one value, or several concatenated); false to try YAML (flow-style YAML). */
function readJson(file: string, text: string, out: ParsedManifests): boolean {
  const noLines: Where = { file, lineOf: () => undefined };
  try {
    const value: unknown = JSON.parse(text);
    // Lines from the same text read as YAML (JSON is YAML 1.2), where that reading is clean.
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { version: '1.2', lineCounter, prettyErrors: false });
    const doc = Array.isArray(docs) && docs.length === 1 && !docs[0]!.errors.length ? docs[0]! : undefined;
    ingest(
      value,
      doc?.contents ?? undefined,
      doc ? { file, lineOf: (o) => (o === undefined ? undefined : lineCounter.linePos(o).line) } : noLines,
      out,
    );
    return true;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const ranges = splitJsonValues(text);
    if (!ranges || ranges.length < 2) {
      if (/\.json$/i.test(file)) {
        out.issues.push({ level: 'error', file, message: `is not valid JSON: ${describeJsonError(e, text, 0, text.length)}` });
        return true;
      }
      return false;
    }
    const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
    for (const r of ranges) {
      try {
        ingest(JSON.parse(text.slice(r.start, r.end)), undefined, { file, lineOf: () => lineAt(r.start) }, out);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        out.issues.push({
          level: 'error',
          file,
          line: lineAt(r.start),
          message: `invalid JSON: ${describeJsonError(err, text, r.start, r.end)}`,
        });
      }
    }
    return true;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The child node of a YAML map or sequence node (for its line), if the node is one. */
function childNode(node: Node | undefined, key: string | number): Node | undefined {
  const n = node as { get?: (k: unknown, keepScalar?: boolean) => unknown } | undefined;
  const child = typeof n?.get === 'function' ? n.get(key, true) : undefined;
  return child && typeof child === 'object' && 'range' in child ? (child as Node) : undefined;
}

function ingest(
  value: unknown,
  node: Node | undefined,
  where: Where,
  out: ParsedManifests,
  defaults?: Record<string, string>,
): void {
  const line = where.lineOf(node?.range?.[0]);
  if (value === null || value === undefined) return; // an empty document, or only comments (Helm leaves these)
  if (Array.isArray(value)) {
    value.forEach((v, i) => ingest(v, childNode(node, i), where, out));
    return;
  }
  if (!isObject(value)) {
    out.issues.push({ level: 'warning', file: where.file, line, message: 'a document that is not an object was skipped' });
    return;
  }
  const kind = typeof value.kind === 'string' ? value.kind : undefined;
  const meta = isObject(value.metadata) ? value.metadata : undefined;
  const isList = Array.isArray(value.items) && (kind === undefined ? typeof meta?.name !== 'string' : kind.endsWith('List'));
  if (isList) {
    const itemKind = kind && kind !== 'List' ? kind.slice(0, -'List'.length) : undefined;
    const itemDefaults: Record<string, string> = {};
    if (itemKind) itemDefaults.kind = itemKind;
    if (itemKind && typeof value.apiVersion === 'string') itemDefaults.apiVersion = value.apiVersion;
    const items = childNode(node, 'items');
    (value.items as unknown[]).forEach((item, i) => ingest(item, childNode(items, i), where, out, itemDefaults));
    return;
  }
  const object = { ...defaults, ...value };
  if (typeof object.kind !== 'string' || !object.kind) {
    out.issues.push({
      level: 'warning',
      file: where.file,
      line,
      message: 'an object without `kind` was skipped (not a Kubernetes object)',
    });
    return;
  }
  out.objects.push({
    object,
    file: where.file,
    ...(line !== undefined ? { line } : {}),
    ...(where.helmSource ? { helmSource: where.helmSource } : {}),
  });
}
