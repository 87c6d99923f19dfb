import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

import { unavailable } from '@/lib/errors';
import { repoRoot } from '@/lib/paths';

/**
 * Where the shared public test corpus lives: `NHI_CORPUS_DIR` when set, else `../shared/corpus`
 * beside the clone (CI lays a copy of shared/ there). Whether or not it is there.
 */
export function corpusLocation(): string {
  return process.env.NHI_CORPUS_DIR ?? path.resolve(repoRoot, '..', 'shared', 'corpus');
}

/** Why the corpus cannot be used (it is not there), or undefined when it is there. */
export function corpusMissing(): string | undefined {
  const dir = corpusLocation();
  return existsSync(dir) ? undefined : `the public test corpus is not at ${dir}; set NHI_CORPUS_DIR to its folder`;
}

/** The corpus folder; an `unavailable` AppError when it is not there. */
export function corpusDir(): string {
  const missing = corpusMissing();
  if (missing) throw unavailable(`${missing[0]!.toUpperCase()}${missing.slice(1)}.`, { code: 'CORPUS_MISSING' });
  return corpusLocation();
}

/**
 * An absolute path inside the corpus. It does not check that the corpus is there, so test files may
 * name paths while their tests are declared (see lib/corpus/testing.ts); reading a missing file fails.
 */
export function corpusPath(...parts: string[]): string {
  return path.join(corpusLocation(), ...parts);
}

/** A Kubernetes-shaped object as found in manifests: only kind/apiVersion/metadata are promised. */
export interface ManifestObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * Every object in a YAML or JSON file (multi-document YAML, `kind: List` expanded).
 * Documents that are not objects (comments only, scalars, Helm templates that fail to parse) are skipped.
 */
export function loadManifestObjects(file: string): ManifestObject[] {
  const text = readFileSync(file, 'utf8');
  const out: ManifestObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) continue;
    pushObject(doc.toJS(), out);
  }
  return out;
}

function pushObject(value: unknown, out: ManifestObject[]): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const obj = value as ManifestObject;
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    for (const item of obj.items as unknown[]) pushObject(item, out);
    return;
  }
  out.push(obj);
}

/** Files under a corpus folder (recursive) whose names end with one of the extensions. */
export function listFiles(dir: string, extensions = ['.yaml', '.yml', '.json']): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full, extensions));
    else if (extensions.some((ext) => name.endsWith(ext))) out.push(full);
  }
  return out;
}
