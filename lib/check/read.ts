/**
 * The manifests `nhi check` is given on the command line: files, folders (walked recursively for *.yaml, *.yml,
 * *.json, optionally gzip-compressed; hidden entries skipped) and `-` for standard input, read with the importer's
 * own file reader (lib/collect/import/read-files.ts: encodings, gzip, size limit). Files are named relative to the
 * working directory, as SARIF wants them. What cannot be read is an `error` issue: the CLI then exits 2.
 */
import path from 'node:path';
import { FileIssues } from '@/lib/collect/import/issues';
import { expandPaths, readDumpText, sourceName } from '@/lib/collect/import/read-files';
import type { CollectionNote } from '@/lib/collect/types';
import type { CheckIssue, ManifestText } from './parse';

const MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface ReadOptions {
  cwd?: string;
  stdin?: NodeJS.ReadableStream;
}

/** A path as shown in the output: relative to `cwd` where it is inside it, else absolute. */
export function displayName(file: string, cwd: string): string {
  if (file === '-') return sourceName(file);
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs).split(path.sep).join('/');
}

export async function readManifestInputs(
  paths: readonly string[],
  opts: ReadOptions = {},
): Promise<{ inputs: ManifestText[]; issues: CheckIssue[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const notes: CollectionNote[] = [];
  const files = await expandPaths(
    paths.map((p) => (p === '-' ? p : path.resolve(cwd, p))),
    notes,
  );
  const inputs: ManifestText[] = [];
  for (const file of files) {
    const name = displayName(file, cwd);
    const issues = new FileIssues(name);
    const read = await readDumpText(file, { maxFileBytes: MAX_FILE_BYTES, stdin: opts.stdin }, issues);
    issues.flush(notes);
    if (read && !read.truncated) inputs.push({ name, text: read.text });
  }
  if (paths.length && !files.length && !notes.length)
    notes.push({ level: 'error', message: `no manifest files (*.yaml, *.yml, *.json) in ${paths.join(', ')}` });
  const issues: CheckIssue[] = notes
    .filter((n) => n.level !== 'info')
    .map((n) => ({
      level: n.level === 'error' ? 'error' : 'warning',
      ...(n.source ? { file: displayName(n.source, cwd) } : {}),
      message: n.source ? n.message.replace(`${n.source}: `, '').replace(`${displayName(n.source, cwd)}: `, '') : n.message,
    }));
  return { inputs, issues };
}
