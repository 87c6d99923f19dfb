/**
 * The dump reader: objects parsed from dump files → one `ClusterSnapshot`.
 * - every Secret goes through `sanitizeSecret` before it is kept (its values are dropped on read), every
 *   other object through `slimObject`; objects of kinds outside the inventory are counted, never kept;
 * - objects without kind, metadata or name are reported; namespaced objects without a namespace go to the
 *   default namespace (as kubectl would apply them); non-string labels and annotations become strings;
 * - duplicates (same resource/namespace/name) keep the higher numeric resourceVersion, else the last read;
 * - the output is deterministic: arrays sorted by namespace/name, notes in reading order followed by the
 *   summary notes (duplicates, skipped kinds).
 */
import { classOfKeyNames } from '@/lib/credentials/classify';
import { certificateOfSecret, type CertificateOptions } from '../certificates';
import { resourceForKind, resources } from '../resources';
import { sanitizeSecret, slimObject } from '../sanitize';
import { emptySnapshot } from '../types';
import type { ClusterSnapshot, CollectionNote, KubeObject, ResourceKey, ResourceSpec, SecretMeta } from '../types';
import { EXAMPLES_PER_NOTE, type FileIssues } from './issues';

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

/** API groups whose kinds moved: objects written with the old group are still the same resource. */
const LEGACY_GROUPS: Record<string, string[]> = {
  extensions: ['apps', 'networking.k8s.io'],
};

interface Kept {
  obj: KubeObject | SecretMeta;
  source: string;
  spec: ResourceSpec;
}

interface DuplicateInfo {
  count: number;
  examples: string[];
}

export class DumpReader {
  readonly notes: CollectionNote[] = [];
  /** Every candidate object seen (kept, skipped, invalid and duplicate). */
  read = 0;
  private readonly kept = new Map<string, Kept>();
  private readonly skipped = new Map<string, number>();
  private readonly duplicates = new Map<ResourceKey, DuplicateInfo>();

  /** `defaultNamespace`: given to namespaced objects that lack one (kubectl applies them to the context's namespace). */
  constructor(
    private readonly defaultNamespace = 'default',
    private readonly options: CertificateOptions = {},
  ) {}

  /** One candidate object read from `source`: kept (sanitised), counted as skipped, or reported in `issues`. */
  add(value: unknown, source: string, issues: FileIssues, where: string | undefined): void {
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
      const secret = sanitizeSecret({ metadata: metadata as Parameters<typeof sanitizeSecret>[0]['metadata'], type: obj.type });
      // Opt-in: the public tls.crt only (certificateOfSecret reads nothing else); the values go with `obj`.
      const read = this.options.tlsCertificates ? certificateOfSecret(obj) : undefined;
      const keyClass = keyClassOf(obj);
      if (keyClass) secret.keyClass = keyClass;
      if (read?.certificate) secret.certificate = read.certificate;
      else if (read)
        issues.add(
          'warning',
          'has kubernetes.io/tls Secrets whose tls.crt is not a readable certificate (no certificate facts kept)',
          `${secret.metadata.namespace ?? ''}/${secret.metadata.name} (${read.problem})`,
          spec.key,
        );
      kept = secret;
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

/** What the data key names of a dumped Opaque Secret say it is (only the class is kept; see classOfKeyNames). */
function keyClassOf(obj: Record<string, unknown>): ReturnType<typeof classOfKeyNames> {
  if (obj.type !== undefined && obj.type !== 'Opaque') return undefined;
  const names: string[] = [];
  for (const field of ['data', 'stringData']) {
    const map = obj[field];
    if (map && typeof map === 'object' && !Array.isArray(map)) names.push(...Object.keys(map));
  }
  return classOfKeyNames(names);
}
