import type pg from 'pg';
import { systemClock, type Clock } from '@/lib/clock';
import { invalidInput } from '@/lib/errors';
import { addLiveCertificates, type CertificateOptions } from './certificates';
import { resources } from './resources';
import { readDumps } from './import';
import { listResource, noteForListError, servedResources, type ClusterTarget } from './kube';
import { normalize } from './normalize';
import { loadPolicy, type CredentialPolicy } from '@/lib/credentials/policy';
import { updateCredentials, type CredentialUpdate } from './credential-store';
import { analyzeIfStale } from '@/lib/db/analyze';
import { expireExceptions } from '@/lib/findings/exceptions';
import { updatePostureFindings, type PostureUpdate } from '@/lib/findings/store';
import { updateRiskScores, type RiskUpdate } from '@/lib/risk/store';
import { updateReach, type ReachUpdate } from './reach-store';
import { ensureCluster, saveInventory, startRun, updateRun } from './store';
import {
  emptySnapshot,
  type ClusterSnapshot,
  type CollectionNote,
  type KubeObject,
  type ResourceKey,
  type SecretMeta,
} from './types';

export interface Progress {
  cluster: string;
  done: number;
  total: number;
  resource?: string;
  objects: number;
}

export interface CollectOutcome {
  clusterId: string;
  /** The CollectionRun recorded, or null for a watcher's incremental save (see recordSnapshot). */
  runId: string | null;
  phase: 'succeeded' | 'partial' | 'failed';
  counts: Record<string, number>;
  notes: CollectionNote[];
  snapshot: ClusterSnapshot;
  resourceVersions: Partial<Record<ResourceKey, string>>;
  changes: number;
  reach: ReachUpdate;
  credentials: CredentialUpdate;
  /** Posture findings (lib/findings), evaluated after reach (null when deferred, RecordOptions.analysis). */
  posture: PostureUpdate | null;
  /** Risk scores (lib/risk), after the findings (null when deferred). */
  risk: RiskUpdate | null;
  seconds: number;
}

/**
 * Lists every collected resource of a live cluster into a snapshot; failures become notes. With
 * `tlsCertificates`, the kubernetes.io/tls Secrets are also read with their values and the public facts of
 * each `tls.crt` are attached to its SecretMeta (see certificates.ts); nothing else of them is kept.
 */
export async function listSnapshot(
  target: ClusterTarget,
  onProgress?: (p: Progress) => void,
  opts: CertificateOptions = {},
): Promise<{ snapshot: ClusterSnapshot; notes: CollectionNote[]; resourceVersions: Partial<Record<ResourceKey, string>> }> {
  const snapshot = emptySnapshot();
  const notes: CollectionNote[] = [];
  const resourceVersions: Partial<Record<ResourceKey, string>> = {};
  const served = new Map<string, Set<string> | null>();
  let objects = 0;
  let done = 0;
  for (const spec of resources) {
    onProgress?.({ cluster: target.name, done, total: resources.length, resource: spec.plural, objects });
    const gv = `${spec.group}/${spec.version}`;
    try {
      if (!served.has(gv)) served.set(gv, await servedResources(target.kc, spec.group, spec.version));
      const names = served.get(gv);
      if (!names || !names.has(spec.plural)) {
        notes.push({
          resource: spec.key,
          level: spec.optional ? 'info' : 'warning',
          message: `${spec.plural}.${spec.group || 'core'}/${spec.version} is not served by this cluster; skipped`,
        });
      } else {
        const result = await listResource(target.kc, spec, {
          onPage: (n) =>
            onProgress?.({ cluster: target.name, done, total: resources.length, resource: spec.plural, objects: objects + n }),
        });
        (snapshot[spec.key] as KubeObject[]) = result.items as KubeObject[];
        resourceVersions[spec.key] = result.resourceVersion;
        objects += result.items.length;
      }
    } catch (e) {
      notes.push(noteForListError(spec, e));
    }
    done += 1;
  }
  if (opts.tlsCertificates && resourceVersions.secrets !== undefined) {
    onProgress?.({ cluster: target.name, done, total: resources.length, resource: 'tls certificates', objects });
    notes.push(...(await addLiveCertificates(target.kc, snapshot.secrets as SecretMeta[])));
  }
  onProgress?.({ cluster: target.name, done, total: resources.length, objects });
  return { snapshot, notes, resourceVersions };
}

export function countSnapshot(snapshot: ClusterSnapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(snapshot).map(([k, v]) => [k, (v as unknown[]).length]));
}

/**
 * The evaluations that follow a save, over the stored inventory: the posture rules (they read the reach just
 * written), the exceptions past their expiry (reopening their findings before the scores count them), then
 * the risk scores; then the statistics of tables that changed in bulk are refreshed. A watcher runs them beside
 * its saves (RecordOptions.analysis), so that a change is stored without waiting for them.
 */
export async function analyseCluster(
  pool: pg.Pool,
  clusterId: string,
  now: Date,
  clock: Clock = systemClock,
): Promise<{ posture: PostureUpdate; risk: RiskUpdate }> {
  const posture = await updatePostureFindings(pool, clusterId, now, clock);
  await expireExceptions(pool, now);
  const risk = await updateRiskScores(pool, clusterId, now);
  // After a bulk change the planner's statistics lag: the pages' queries would get plans for empty tables.
  await analyzeIfStale(pool);
  return { posture, risk };
}

export interface RecordOptions {
  /** Where every stored time comes from: the run's start and end, the sync time, `seconds` (default: the system clock). */
  now?: Clock;
  /** When the collection began (listing or reading files), for `seconds`; default: now. */
  started?: Date;
  run?: 'record' | 'on-failure';
  /** The credential policy the findings are judged by (default: NHI_CREDENTIAL_POLICY's file, else the built-in one). */
  policy?: CredentialPolicy;
  /** `deferred`: leave posture findings and risk scores to the caller (`analyseCluster`); default inline. */
  analysis?: 'inline' | 'deferred';
}

/**
 * Persists a snapshot for a cluster as one collection run (used by live collection and imports alike).
 * `run: 'on-failure'` is for a watcher's incremental saves: the watch session's run was recorded by its
 * first save, so a later save records a run only when it fails (to show the failure in the sync status).
 */
export async function recordSnapshot(
  pool: pg.Pool,
  cluster: {
    name: string;
    source: 'kubeconfig' | 'in_cluster' | 'import' | 'demo';
    server: string | null;
    context: string | null;
  },
  mode: string,
  snapshot: ClusterSnapshot,
  notes: CollectionNote[],
  opts: RecordOptions = {},
): Promise<Omit<CollectOutcome, 'snapshot' | 'resourceVersions'>> {
  const clock = opts.now ?? systemClock;
  const started = opts.started ?? clock();
  const clusterId = await ensureCluster(pool, cluster.name, cluster.source, cluster.server, cluster.context);
  const runId = opts.run === 'on-failure' ? null : await startRun(pool, clusterId, mode, clock());
  const counts = countSnapshot(snapshot);
  try {
    const now = clock();
    // The normalised inventory is not kept in a variable: it can be collected before the reach step.
    const saved = await saveInventory(pool, clusterId, normalize(snapshot), now, notes);
    // Credentials before reach: their working set is small and can be collected while reach builds its graph.
    const credentials = await updateCredentials(pool, clusterId, now, opts.policy ?? loadPolicy(), clock);
    const reach = await updateReach(pool, clusterId, snapshot, now, clock);
    const { posture, risk } =
      opts.analysis === 'deferred' ? { posture: null, risk: null } : await analyseCluster(pool, clusterId, now, clock);
    const phase = notes.some((n) => n.level === 'error') ? 'partial' : 'succeeded';
    if (runId) await updateRun(pool, runId, { progress: 1, counts, errors: notes, phase, finishedAt: clock() });
    return {
      clusterId,
      runId,
      phase,
      counts,
      notes,
      changes: saved.changes.length,
      reach,
      credentials,
      posture,
      risk,
      seconds: (clock().getTime() - started.getTime()) / 1000,
    };
  } catch (e) {
    const failure: CollectionNote = {
      level: 'error',
      message: `saving the inventory failed: ${e instanceof Error ? e.message : String(e)}`,
    };
    await updateRun(pool, runId ?? (await startRun(pool, clusterId, mode, clock())), {
      counts,
      errors: [...notes, failure],
      phase: 'failed',
      finishedAt: clock(),
    });
    throw e;
  }
}

/** One full collection of a live cluster: list everything, normalise, persist with history. */
export async function collectOnce(
  pool: pg.Pool,
  target: ClusterTarget,
  onProgress?: (p: Progress) => void,
  opts: { now?: Clock } & CertificateOptions = {},
): Promise<CollectOutcome> {
  const clock = opts.now ?? systemClock;
  const started = clock();
  const { snapshot, notes, resourceVersions } = await listSnapshot(target, onProgress, {
    tlsCertificates: opts.tlsCertificates,
  });
  const outcome = await recordSnapshot(
    pool,
    { name: target.name, source: target.source, server: target.server, context: target.context },
    'once',
    snapshot,
    notes,
    { now: clock, started },
  );
  return { ...outcome, snapshot, resourceVersions };
}

/** Imports dump files (kubectl get -o json/yaml, folders, gzip) as one collection run of `clusterName`. */
export async function importDumps(
  pool: pg.Pool,
  paths: string[],
  opts: {
    clusterName?: string;
    source?: 'import' | 'demo';
    onFile?: (p: { path: string; index: number; total: number }) => void;
    /** Where the stored times come from (default: the system clock). */
    now?: Clock;
  } & CertificateOptions = {},
): Promise<
  Omit<CollectOutcome, 'snapshot' | 'resourceVersions'> & { files: number; skipped: Record<string, number>; cluster: string }
> {
  const clock = opts.now ?? systemClock;
  const started = clock();
  const dump = await readDumps(paths, { onFile: opts.onFile, tlsCertificates: opts.tlsCertificates });
  if (dump.objects === 0) {
    const why = dump.notes
      .filter((n) => n.level === 'error')
      .map((n) => n.message)
      .join('; ');
    throw invalidInput(`nothing to import from ${paths.join(', ')}${why ? `: ${why}` : ''}`);
  }
  const cluster = opts.clusterName ?? dump.clusterNameHint ?? 'imported';
  const outcome = await recordSnapshot(
    pool,
    { name: cluster, source: opts.source ?? 'import', server: null, context: null },
    'import',
    dump.snapshot,
    dump.notes,
    { now: clock, started },
  );
  return { ...outcome, files: dump.files, skipped: dump.skipped, cluster };
}
