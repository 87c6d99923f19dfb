import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  ApiException,
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1APIResourceList,
} from '@kubernetes/client-node';
import { corpusDir, listFiles } from '../../lib/corpus/index';
import {
  applyRank,
  objectKey,
  policySkip,
  readCorpus,
  sanitize,
  skipOf,
  type PlannedObject,
  type ServedKinds,
  type SkipCategory,
  type SkippedObject,
  upgradedApiVersion,
} from './seed-corpus';
import { demoCanaries, demoObjects, DEMO_NAMESPACES, newDemoSecrets, type Canary, type DemoSecrets } from './seed-demo';

/** Bump when what the seed applies changes, so a cluster seeded by an older version is seeded again. */
const SEED_VERSION = 2;
export const FIELD_MANAGER = 'nhi-seed';
const CONCURRENCY = 6;

export interface SeedResult {
  corpusDir: string;
  /** Objects the API server accepted (server-side apply). */
  applied: number;
  skipped: number;
  /** Objects of a removed API version applied as the served one (batch/v1beta1 CronJob -> batch/v1, ...). */
  upgradedApiVersions: number;
  /** Per origin (`charts/<project>`, `vulnerable/<source>`, `demo`). */
  perOrigin: Record<string, { applied: number; skipped: number; namespace: string }>;
  skipsByCategory: Partial<Record<SkipCategory, number>>;
  skippedObjects: SkippedObject[];
  /** Namespaces the seed created or used. */
  namespaces: string[];
  demoNamespaces: string[];
  canaryCount: number;
  durationMs: number;
  /** True when the cluster already held this seed and nothing was applied. */
  reused: boolean;
}

interface CanaryFile {
  version: 1;
  createdAt: string;
  secrets: DemoSecrets;
  canaries: Canary[];
}

interface SeedMarker {
  version: number;
  inputHash: string;
  clusterUid: string;
  result: SeedResult;
}

export interface SeedTarget {
  kubeconfigPath: string;
  canaryFile: string;
  seedFile: string;
}

const log = (msg: string) => process.stderr.write(`seed: ${msg}\n`);

/** The canary record, created on first use (mode 0600). Only the harness reads it. */
export function loadOrCreateCanaries(file: string): CanaryFile {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CanaryFile;
  const secrets = newDemoSecrets();
  const record: CanaryFile = { version: 1, createdAt: new Date().toISOString(), secrets, canaries: demoCanaries(secrets) };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return record;
}

/** Every `<apiVersion>/<Kind>` the API server serves, with its scope (one discovery pass). */
export async function servedKinds(kc: KubeConfig): Promise<ServedKinds> {
  const served: ServedKinds = new Map();
  const add = (apiVersion: string, list: V1APIResourceList) => {
    for (const r of list.resources) {
      if (!r.name.includes('/')) served.set(`${apiVersion}/${r.kind}`, { namespaced: r.namespaced });
    }
  };
  add('v1', await kc.makeApiClient(CoreV1Api).getAPIResources());
  const custom = kc.makeApiClient(CustomObjectsApi);
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  for (const g of groups.groups) {
    for (const v of g.versions) add(v.groupVersion, await custom.getAPIResources({ group: g.name, version: v.version }));
  }
  return served;
}

function hashInputs(corpus: string): string {
  const h = createHash('sha256').update(`seed-v${SEED_VERSION}`);
  for (const file of listFiles(`${corpus}/rbac`, ['.yaml', '.yml', '.json', '.snap'])) h.update(file).update(readFileSync(file));
  return h.digest('hex');
}

/** The API server's message for a failed request, without echoing the request body. */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : '';
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * Applies the corpus and the demo workloads with server-side apply (field manager `nhi-seed`,
 * forced), so a second run converges instead of failing. Objects the API server refuses, or that
 * the shared cluster must not hold (see seed-corpus.ts policySkip), are counted and reported,
 * never fatal. When the cluster already holds this exact seed, returns the recorded result.
 */
export async function seed(target: SeedTarget, options: { force?: boolean } = {}): Promise<SeedResult> {
  const t0 = Date.now();
  const corpus = corpusDir();
  const kc = new KubeConfig();
  kc.loadFromFile(target.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const clusterUid = (await core.readNamespace({ name: 'kube-system' })).metadata?.uid ?? '';
  const inputHash = hashInputs(corpus);
  const canaries = loadOrCreateCanaries(target.canaryFile);

  if (!options.force && existsSync(target.seedFile)) {
    const marker = JSON.parse(readFileSync(target.seedFile, 'utf8')) as SeedMarker;
    const stillThere = await core
      .readNamespacedSecret({ namespace: 'checkout', name: 'stripe-api-key' })
      .then(() => true)
      .catch(() => false);
    if (marker.version === SEED_VERSION && marker.inputHash === inputHash && marker.clusterUid === clusterUid && stillThere) {
      return { ...marker.result, reused: true, durationMs: Date.now() - t0 };
    }
  }

  const served = await servedKinds(kc);
  const plan = readCorpus(corpus);
  const demo: PlannedObject[] = demoObjects(canaries.secrets).map((obj) => ({ obj, origin: 'demo', source: 'demo' }));
  const defaultNs: Record<string, string> = { ...plan.defaultNamespaces, demo: 'default' };

  const skipped: SkippedObject[] = [];
  const ready: PlannedObject[] = [];
  const firstSource = new Map<string, string>();
  const perOrigin: SeedResult['perOrigin'] = {};
  const tally = (origin: string, field: 'applied' | 'skipped') => {
    perOrigin[origin] ??= { applied: 0, skipped: 0, namespace: defaultNs[origin] ?? 'default' };
    perOrigin[origin][field] += 1;
  };
  const skip = (p: PlannedObject, category: SkipCategory, detail: string) => {
    skipped.push(skipOf(p, category, detail));
    tally(p.origin, 'skipped');
  };

  let upgradedCount = 0;
  for (let p of [...demo, ...plan.objects]) {
    let { obj } = p;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') {
      skip(p, 'not-an-object', 'no apiVersion, kind or metadata.name');
      continue;
    }
    const policy = policySkip(obj);
    if (policy) {
      skip(p, policy.category, policy.detail);
      continue;
    }
    const upgraded = served.has(`${obj.apiVersion}/${obj.kind}`) ? null : upgradedApiVersion(obj);
    if (upgraded) {
      p = { ...p, obj: { ...obj, apiVersion: upgraded } };
      obj = p.obj;
      upgradedCount += 1;
    }
    const scope = served.get(`${obj.apiVersion}/${obj.kind}`);
    if (!scope) {
      skip(p, 'not-served', `${obj.apiVersion} ${obj.kind} is not served by this API server (no such API or CRD)`);
      continue;
    }
    const clean = sanitize(obj, scope.namespaced, p.defaultNamespace ?? defaultNs[p.origin] ?? 'default');
    const key = objectKey(clean);
    const first = firstSource.get(key);
    if (first) {
      skip({ ...p, obj: clean }, 'duplicate', `same object as in ${first}`);
      continue;
    }
    firstSource.set(key, p.source);
    ready.push({ ...p, obj: clean });
  }

  const client = KubernetesObjectApi.makeApiClient(kc);
  const apply = (obj: KubernetesObject) =>
    client.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);

  // Namespaces first: every namespace an object lands in, labelled as seeded.
  const namespaces = [
    ...new Set(ready.map((p) => p.obj.metadata?.namespace).filter((n): n is string => typeof n === 'string')),
  ].sort();
  const declared = new Set(ready.filter((p) => p.obj.kind === 'Namespace').map((p) => p.obj.metadata?.name));
  await pool(
    namespaces.filter((ns) => !declared.has(ns)),
    CONCURRENCY,
    async (name) => {
      await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'nhi.dev/seed': 'corpus' } } }).catch(() => {
        // An invalid namespace name: its objects are rejected below with the API server's reason.
      });
    },
  );

  let applied = 0;
  const ranks = [...new Set(ready.map((p) => applyRank(p.obj.kind)))].sort((a, b) => a - b);
  for (const rank of ranks) {
    await pool(
      ready.filter((p) => applyRank(p.obj.kind) === rank),
      CONCURRENCY,
      async (p) => {
        try {
          await apply(p.obj as KubernetesObject);
          applied += 1;
          tally(p.origin, 'applied');
        } catch (err) {
          skip(p, 'rejected', apiErrorMessage(err));
        }
      },
    );
  }

  const skipsByCategory: SeedResult['skipsByCategory'] = {};
  for (const s of skipped) skipsByCategory[s.category] = (skipsByCategory[s.category] ?? 0) + 1;
  const result: SeedResult = {
    corpusDir: corpus,
    applied,
    skipped: skipped.length,
    upgradedApiVersions: upgradedCount,
    perOrigin,
    skipsByCategory,
    skippedObjects: skipped,
    namespaces,
    demoNamespaces: [...DEMO_NAMESPACES],
    canaryCount: canaries.canaries.length,
    durationMs: Date.now() - t0,
    reused: false,
  };
  const marker: SeedMarker = { version: SEED_VERSION, inputHash, clusterUid, result };
  writeFileSync(target.seedFile, `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o600 });
  log(
    `applied ${applied}, skipped ${skipped.length} (${JSON.stringify(skipsByCategory)}) in ${(result.durationMs / 1000).toFixed(1)}s`,
  );
  return result;
}
