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
 *   with `tlsCertificates`, the public `tls.crt` of kubernetes.io/tls Secrets is parsed first (only the
 *   certificate's facts are kept; a tls.crt that does not parse is a warning naming the Secret);
 *   objects of kinds outside the inventory are counted, never kept;
 * - nothing valid is lost: a broken file or document gives an error note naming the file (and document /
 *   line) and everything else is still read; notes never quote file content, so a Secret value in a
 *   broken file cannot leak through an error message;
 * - duplicates (same resource/namespace/name) keep the higher numeric resourceVersion, else the last read;
 * - the output is deterministic: files in the order given (folders sorted), arrays sorted by
 *   namespace/name, notes in reading order followed by the summary notes.
 *
 * The parts: import/read-files.ts (paths → files → text), import/parse.ts (text → candidate objects),
 * import/dump-reader.ts (objects → snapshot). This module runs them file by file.
 */
import { DumpReader, type DumpImport } from './import/dump-reader';
import { FileIssues } from './import/issues';
import { completeDocuments, parseDocuments } from './import/parse';
import { clusterNameHint, expandPaths, readDumpText, sourceName } from './import/read-files';

export type { DumpImport } from './import/dump-reader';
export { splitYamlDocuments } from './import/parse';

export interface ReadDumpsOptions {
  /** Namespace given to namespaced objects that lack one (kubectl applies them to the context's namespace). */
  defaultNamespace?: string;
  /** Largest file accepted, after decompression (default 1 GiB; a JS string cannot hold much more). */
  maxFileBytes?: number;
  /** Called after each file, for progress bars. */
  onFile?: (progress: { path: string; index: number; total: number; objects: number }) => void;
  /** Where `-` is read from (default process.stdin); for tests. */
  stdin?: NodeJS.ReadableStream;
  /**
   * Parse the public `tls.crt` of kubernetes.io/tls Secrets into `SecretMeta.certificate` before their
   * values are dropped (off by default: then no value is decoded at all).
   */
  tlsCertificates?: boolean;
}

const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Objects already parsed (manifests read by another tool, a test's fixtures) into a snapshot, through the same
 * reader as dump files: Secrets sanitised, kinds outside the inventory counted and dropped, problems as notes
 * attributed to `source`. Never throws for bad input.
 */
export function readObjects(
  objects: readonly unknown[],
  opts: Pick<ReadDumpsOptions, 'defaultNamespace' | 'tlsCertificates'> & { source?: string } = {},
): DumpImport {
  const reader = new DumpReader(opts.defaultNamespace, { tlsCertificates: opts.tlsCertificates });
  const issues = new FileIssues(opts.source ?? 'objects');
  objects.forEach((o, i) => reader.add(o, opts.source ?? 'objects', issues, `object ${i + 1}`));
  issues.flush(reader.notes);
  return reader.finish(0);
}

/** Reads dump files and folders into one snapshot. Never throws for bad input; see the notes. */
export async function readDumps(paths: string[], opts: ReadDumpsOptions = {}): Promise<DumpImport> {
  const reader = new DumpReader(opts.defaultNamespace, { tlsCertificates: opts.tlsCertificates });
  const files = await expandPaths(paths, reader.notes);
  let index = 0;
  for (const file of files) {
    const before = reader.read;
    await readOneFile(file, reader, opts);
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

/** One file: its text, the objects in it, the problems found as notes of that file. */
async function readOneFile(file: string, reader: DumpReader, opts: ReadDumpsOptions): Promise<void> {
  const source = sourceName(file);
  const issues = new FileIssues(source);
  try {
    const read = await readDumpText(
      file,
      { maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, stdin: opts.stdin },
      issues,
    );
    if (!read) return;
    const text = read.truncated ? completeDocuments(read.text) : read.text;
    const documents = parseDocuments(text, source, issues, (value, where) => reader.add(value, source, issues, where));
    // An empty List is a fine answer ("no pods in this namespace"); a file with no document at all is not.
    if (documents === 0 && issues.empty) issues.add('warning', 'contains no Kubernetes objects');
  } finally {
    issues.flush(reader.notes);
  }
}
