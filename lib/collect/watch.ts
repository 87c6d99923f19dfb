import { setMaxListeners } from 'node:events';
import type pg from 'pg';
import { systemClock, type Clock } from '@/lib/clock';
import { AppError } from '@/lib/errors';
import { addLiveCertificates, listTlsSecretCertificates, TLS_SECRET_TYPE, type CertificateOptions } from './certificates';
import { coalesce } from './coalesce';
import { analyseCluster, countSnapshot, listSnapshot, recordSnapshot } from './collect';
import {
  fetchFromCluster,
  KubeHttpError,
  kubeRequest,
  kubeUrl,
  listResource,
  secretFromTableRow,
  tableAccept,
  typeColumnOf,
  type ClusterTarget,
  type TableResponse,
} from './kube';
import { applyWatchEvent, itemKey, replaceAll, type WatchEvent } from './reducer';
import { collectionPath, resources } from './resources';
import { slimObject } from './sanitize';
import {
  emptySnapshot,
  type ClusterSnapshot,
  type CollectionNote,
  type KubeObject,
  type ResourceSpec,
  type SecretMeta,
} from './types';

type Item = KubeObject | SecretMeta;

export interface WatchOptions extends CertificateOptions {
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** How long a burst of changes is gathered before it is persisted (ms). */
  debounceMs?: number;
  /** Full relist and reconcile every this many ms. */
  resyncMs?: number;
  /** Server-side watch timeout; the stream is reopened after it (s). */
  watchTimeoutSeconds?: number;
  /** The time of each save (stored as the sync's time) and its duration; timers stay real. */
  now?: Clock;
  /** Where the state goes instead of the database (the agent mode, push-agent.ts); findings and risk are then the server's. */
  sink?: WatchSink;
}

/** A watcher's destination other than a database: it gets the whole current state and says what it did with it. */
export interface WatchSink {
  save(snapshot: ClusterSnapshot, notes: CollectionNote[]): Promise<string>;
}

/** 410 Gone: the watch's resourceVersion expired. Internal: the loop relists; never shown to a user. */
class Gone extends Error {}

/**
 * Keeps one cluster's inventory current: a full list, then a watch per resource from the list's
 * resourceVersion with bookmarks. Events update the in-memory objects (a pure reducer); a burst of
 * changes is persisted `debounceMs` after its first change (see coalesce.ts) through the same
 * normalise-and-save path as a full collection.
 * A 410 Gone or a broken stream relists that resource and reconciles; a watchdog reopens streams that go
 * silent; a periodic full resync catches anything missed.
 */
export async function watchCluster(pool: pg.Pool | null, target: ClusterTarget, opts: WatchOptions = {}): Promise<void> {
  if (!pool && !opts.sink) throw new Error('watchCluster: a database pool or a sink is needed');
  const log = opts.log ?? (() => {});
  const debounceMs = opts.debounceMs ?? 500;
  const timeoutSeconds = opts.watchTimeoutSeconds ?? 240;
  const signal = opts.signal;
  // One abort listener per watched resource (and per stream): more than Node's default warning threshold.
  if (signal) setMaxListeners(100, signal);
  const state = new Map<keyof ClusterSnapshot, Map<string, Item>>();
  const notes: CollectionNote[] = [];

  // The first save records the watch session's CollectionRun; later saves record one only when they
  // fail, and the first save after a failure records one again, so the sync status shows the recovery.
  let recorded = false;
  let saves = 0;
  const persist = async () => {
    const snapshot = emptySnapshot();
    for (const [key, items] of state) (snapshot[key] as Item[]) = [...items.values()];
    if (opts.sink) {
      log(`${target.name}: ${await opts.sink.save(snapshot, notes)}`);
      return;
    }
    const cluster = { name: target.name, source: target.source, server: target.server, context: target.context };
    const run = recorded ? 'on-failure' : 'record';
    recorded = false;
    // Posture findings and risk scores run beside the saves (`analyser`): a change is stored without waiting for them.
    const outcome = await recordSnapshot(pool!, cluster, 'watch', snapshot, notes, {
      now: opts.now ?? systemClock,
      run,
      analysis: 'deferred',
    });
    recorded = true;
    saves += 1;
    clusterId = outcome.clusterId;
    analyser.schedule();
    log(
      `${target.name}: ${saves === 1 ? 'listed and stored' : 'changes stored'} (${Object.values(countSnapshot(snapshot)).reduce((a, b) => a + b, 0)} objects, ${outcome.changes} change(s)) in ${Math.round(outcome.seconds * 1000)} ms`,
    );
  };

  let clusterId: string | undefined;
  const analyse = async () => {
    if (!clusterId || !pool) return;
    const clock = opts.now ?? systemClock;
    const { posture, risk } = await analyseCluster(pool, clusterId, clock(), clock);
    log(
      `${target.name}: ${posture.findings} posture finding(s) open (${posture.opened} new, ${posture.resolved} resolved), ${risk.changed} risk score(s) changed in ${Math.round((posture.seconds + risk.seconds) * 1000)} ms`,
    );
  };
  const analyser = coalesce(analyse, debounceMs, (e) =>
    log(`${target.name}: findings and risk failed: ${e instanceof Error ? e.message : e}`),
  );
  const saver = coalesce(persist, debounceMs, (e) => log(`${target.name}: saving failed: ${e instanceof Error ? e.message : e}`));

  const tls = opts.tlsCertificates === true;
  const describe = (e: unknown) => (e instanceof AppError ? e.message : 'unexpected error');

  // The opt-in certificates (see certificates.ts). Watch events and relists of Secrets are metadata only,
  // so a TLS Secret's facts are carried over from the object they replace (same uid) and read again for
  // every new resourceVersion, with a list of that one Secret (the collector's role has no `get`).
  const pendingReads = new Set<Promise<void>>();
  const carryCertificate = (previous: Item | undefined, next: SecretMeta) => {
    const prev = previous as SecretMeta | undefined;
    if (next.type === TLS_SECRET_TYPE && !next.certificate && prev?.certificate && prev.metadata.uid === next.metadata.uid)
      next.certificate = prev.certificate;
  };
  const rereadCertificate = (secret: SecretMeta) => {
    const { namespace, name, uid } = secret.metadata;
    const where = `${namespace ?? ''}/${name}`;
    const read = listTlsSecretCertificates(target.kc, { namespace, name, signal })
      .then((reads) => {
        const secrets = state.get('secrets')!;
        const current = secrets.get(itemKey(secret)) as SecretMeta | undefined;
        const found = reads[0];
        if (!current || current.metadata.uid !== uid || !found || (found.uid && uid && found.uid !== uid)) return;
        if (!found.certificate) log(`${target.name}: secret ${where}: tls.crt is not a readable certificate (${found.problem})`);
        if (JSON.stringify(found.certificate) === JSON.stringify(current.certificate)) return;
        const { certificate: _old, ...rest } = current;
        secrets.set(itemKey(current), found.certificate ? { ...rest, certificate: found.certificate } : rest);
        saver.schedule();
      })
      .catch((e: unknown) => {
        if (!signal?.aborted) log(`${target.name}: reading the certificate of secret ${where} failed: ${describe(e)}`);
      })
      .finally(() => pendingReads.delete(read));
    pendingReads.add(read);
  };
  const onSecretEvent = (event: WatchEvent<Item>) => {
    if (!tls || (event.type !== 'ADDED' && event.type !== 'MODIFIED')) return;
    const secret = event.object as SecretMeta;
    if (secret.type !== TLS_SECRET_TYPE) return;
    const previous = state.get('secrets')!.get(itemKey(secret));
    if (previous && previous.metadata.resourceVersion === secret.metadata.resourceVersion) return; // nothing new
    carryCertificate(previous, secret);
    rereadCertificate(secret);
  };

  const initial = await listSnapshot(target, undefined, { tlsCertificates: tls });
  notes.push(...initial.notes);
  for (const spec of resources) state.set(spec.key, new Map((initial.snapshot[spec.key] as Item[]).map((o) => [itemKey(o), o])));
  await persist();

  const relist = async (spec: ResourceSpec): Promise<string> => {
    const result = await listResource(target.kc, spec);
    const items = state.get(spec.key)!;
    let certificatesChanged = false;
    if (tls && spec.key === 'secrets') {
      const secrets = result.items as SecretMeta[];
      for (const n of await addLiveCertificates(target.kc, secrets, { signal })) log(`${target.name}: ${n.level}: ${n.message}`);
      for (const secret of secrets) {
        const previous = items.get(itemKey(secret)) as SecretMeta | undefined;
        carryCertificate(previous, secret);
        if (JSON.stringify(previous?.certificate) !== JSON.stringify(secret.certificate)) certificatesChanged = true;
      }
    }
    if (replaceAll(items, result.items) || certificatesChanged) saver.schedule();
    return result.resourceVersion;
  };

  const loops = resources
    .filter((spec) => initial.resourceVersions[spec.key] !== undefined)
    .map(async (spec) => {
      let rv = initial.resourceVersions[spec.key]!;
      let backoff = 500;
      while (!signal?.aborted) {
        try {
          rv = await streamWatch(target, spec, rv, timeoutSeconds, signal, (event) => {
            if (spec.key === 'secrets') onSecretEvent(event);
            if (applyWatchEvent(state.get(spec.key)!, event)) saver.schedule();
          });
          backoff = 500;
        } catch (e) {
          if (signal?.aborted) break;
          if (e instanceof Gone) log(`${target.name}: ${spec.plural} watch expired (410); relisting`);
          else
            log(`${target.name}: ${spec.plural} watch broke (${e instanceof Error ? e.message : e}); relisting in ${backoff} ms`);
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, 30_000);
          try {
            rv = await relist(spec);
          } catch (err) {
            log(`${target.name}: relisting ${spec.plural} failed: ${err instanceof Error ? err.message : err}`);
          }
        }
      }
    });

  const resync = setInterval(
    () => {
      void (async () => {
        for (const spec of resources)
          if (state.get(spec.key) && initial.resourceVersions[spec.key] !== undefined) await relist(spec).catch(() => {});
      })();
    },
    opts.resyncMs ?? 30 * 60_000,
  );
  resync.unref();
  try {
    await Promise.all(loops);
  } finally {
    clearInterval(resync);
    await Promise.allSettled([...pendingReads]);
    await saver.flush();
    await analyser.flush();
  }
}

/** Watches every target until the signal aborts (or forever). */
export async function watchClusters(pool: pg.Pool | null, targets: ClusterTarget[], opts: WatchOptions = {}): Promise<void> {
  await Promise.all(targets.map((t) => watchCluster(pool, t, opts)));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * One watch stream from `rv`; returns the last resourceVersion seen when the server ends it. Throws Gone
 * on 410. A watchdog aborts the stream when nothing (not even a bookmark) arrives for the timeout + 30 s.
 */
async function streamWatch(
  target: ClusterTarget,
  spec: ResourceSpec,
  rv: string,
  timeoutSeconds: number,
  signal: AbortSignal | undefined,
  onEvent: (e: WatchEvent<Item>) => void,
): Promise<string> {
  const q = new URLSearchParams({
    watch: '1',
    resourceVersion: rv,
    allowWatchBookmarks: 'true',
    timeoutSeconds: String(timeoutSeconds),
  });
  const secrets = spec.key === 'secrets';
  if (secrets) q.set('includeObject', 'Metadata');
  const url = kubeUrl(target.kc, `${collectionPath(spec)}?${q}`);
  // Fresh credentials per stream, the KubeConfig's shared connection pool.
  const { headers, dispatcher } = await kubeRequest(target.kc, url);
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort, { once: true });
  let watchdog: NodeJS.Timeout | undefined;
  const feed = () => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = setTimeout(abort, (timeoutSeconds + 30) * 1000);
  };
  feed();
  try {
    const res = await fetchFromCluster(url, {
      headers: { ...headers, Accept: secrets ? tableAccept : 'application/json' },
      dispatcher,
      signal: controller.signal,
    });
    if (res.status === 410) throw new Gone();
    if (!res.ok || !res.body) throw new KubeHttpError(res.status, `watch ${spec.plural}: HTTP ${res.status}`);
    let buffer = '';
    let last = rv;
    let typeColumn = -1;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      feed();
      buffer += Buffer.from(chunk).toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const event = JSON.parse(line) as { type: string; object: Record<string, unknown> };
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number; message?: string; reason?: string };
          if (status.code === 410) throw new Gone();
          throw new KubeHttpError(
            typeof status.code === 'number' ? status.code : 500,
            `watch ${spec.plural}: ${String(status.message)}`,
            status.reason,
          );
        }
        const meta = event.object.metadata as { resourceVersion?: string } | undefined;
        // Column definitions come with the stream's first event, whichever it is (a bookmark included).
        if (secrets && (event.object as TableResponse).columnDefinitions?.length)
          typeColumn = typeColumnOf(event.object as TableResponse);
        if (event.type === 'BOOKMARK') {
          if (meta?.resourceVersion) last = meta.resourceVersion;
          continue;
        }
        let item: Item;
        if (secrets) {
          // A Table with one row per event; the row's object is the Secret's metadata, no data.
          const table = event.object as TableResponse;
          const row = table.rows?.[0];
          if (!row) continue;
          item = secretFromTableRow(row, typeColumn);
        } else {
          item = slimObject({ ...(event.object as unknown as KubeObject), kind: spec.kind });
        }
        if (item.metadata.resourceVersion) last = item.metadata.resourceVersion;
        onEvent({ type: event.type as WatchEvent<Item>['type'], object: item });
      }
    }
    return last;
  } finally {
    if (watchdog) clearTimeout(watchdog);
    signal?.removeEventListener('abort', abort);
  }
}
