/**
 * Loads a generated bench cluster (cluster-gen.ts) into a real API server, and deletes it again.
 *
 * - bounded concurrency: at most `concurrency` requests in flight (a tiny semaphore), default 32;
 * - idempotent and resumable: objects that already exist (409) are counted as `existing` and skipped;
 *   for Deployments and ReplicaSets the existing object's uid is read back so their dependents still get
 *   correct ownerReferences;
 * - transient failures (429, 5xx, connection resets, the ServiceAccount admission cache lagging behind)
 *   are retried with backoff; anything else is recorded and reported without Secret contents
 *   (ApiException messages embed the response body, so they are never printed as they are);
 * - phases in dependency order: admission policy → namespaces → ClusterRoles, Roles → ServiceAccounts →
 *   Secrets → bindings → Deployment → ReplicaSet → Pods chains → bare Pods.
 */
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  ServerConfiguration,
  createConfiguration,
} from '@kubernetes/client-node';
import type { Configuration, KubernetesObject, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

import type { BenchCluster, Manifest, Workload } from './cluster-gen';
import {
  BENCH_LABEL,
  BENCH_LABEL_VALUE,
  BENCH_PLAN_ANNOTATION,
  BENCH_POLICY_NAME,
  benchObjectCount,
  benchPlanId,
} from './cluster-gen';

export class BenchLoadError extends Error {}

/**
 * A client configuration whose requests share one connection pool. @kubernetes/client-node 2.0.1 builds
 * a new undici Agent — so a new TLS connection — for every request (KubeConfig.applySecurityAuthentication);
 * measured on the test cluster that halves the request rate and doubles client CPU. Authentication still
 * runs per request (tokens from exec plugins stay fresh); only the first request's dispatcher is kept.
 */
export function sharedConnectionConfig(kc: KubeConfig, userAgent = 'nhi-bench-loader'): Configuration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new BenchLoadError('the kubeconfig has no current cluster');
  let dispatcher: ReturnType<RequestContext['getDispatcher']>;
  const auth: SecurityAuthentication = {
    getName: () => 'kubeconfig with shared connections',
    async applySecurityAuthentication(context: RequestContext) {
      await kc.applySecurityAuthentication(context);
      if (dispatcher === undefined) dispatcher = context.getDispatcher();
      else context.setDispatcher(dispatcher);
    },
  };
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: auth },
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setHeaderParam('User-Agent', userAgent);
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
}

/** At most `permits` holders at a time; FIFO. */
export class Semaphore {
  private readonly waiters: (() => void)[] = [];
  constructor(private permits: number) {
    if (!(permits >= 1)) throw new Error(`a semaphore needs at least one permit, got ${permits}`);
  }

  async acquire(): Promise<void> {
    if (this.permits > 0) {
      this.permits--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.permits++;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/** Runs `fn` over `items` with at most `concurrency` calls pending. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export interface LoadOptions {
  /** Requests in flight at most (default 32). */
  concurrency?: number;
  /** Progress and summary lines (default: stderr). */
  log?: (line: string) => void;
  /** How often progress is logged (default 5 s; 0 = never). */
  progressEveryMs?: number;
  /** Give up after this many failed objects (default max(100, 1% of the plan)). */
  maxFailures?: number;
}

export interface KindStats {
  created: number;
  existing: number;
  failed: number;
}

export interface LoadResult {
  /** Objects of the plan now present (created + existing). */
  objects: number;
  created: number;
  existing: number;
  failed: number;
  seconds: number;
  byKind: Record<string, KindStats>;
  /** The first failures, described without Secret contents. */
  errors: string[];
}

const MAX_ATTEMPTS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApiErrorShape {
  code?: number;
  body?: unknown;
  headers?: Record<string, string>;
  cause?: { code?: string };
}

/**
 * One line for a bench script's failure: the message of an error it raised on purpose (`expected`),
 * an API error without its response body, else the stack.
 */
export function describeFailure(err: unknown, expected: (e: unknown) => boolean = (e) => e instanceof BenchLoadError): string {
  if (expected(err)) return (err as Error).message;
  if (typeof (err as { code?: unknown })?.code === 'number') return describeApiError(err);
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** What went wrong, without echoing request/response bodies (they may hold Secret data). */
export function describeApiError(err: unknown, m?: Pick<Manifest, 'kind' | 'metadata'>): string {
  const e = err as ApiErrorShape;
  const what = m ? `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}` : 'request';
  if (typeof e?.code === 'number') {
    let body = e.body as
      { reason?: string; message?: string; details?: { causes?: { field?: string; reason?: string }[] } } | string | undefined;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as typeof body;
      } catch {
        body = undefined;
      }
    }
    const status = typeof body === 'object' && body ? body : undefined;
    const reason = status?.reason ? ` ${status.reason}` : '';
    // The API server redacts Secret values in its messages, but be strict: for Secrets only field names.
    const message =
      m?.kind === 'Secret'
        ? (status?.details?.causes ?? []).map((c) => `${c.field ?? '?'} ${c.reason ?? ''}`.trim()).join('; ')
        : (status?.message ?? '').slice(0, 300);
    return `${what}: HTTP ${e.code}${reason}${message ? `: ${message}` : ''}`;
  }
  const code = e?.cause?.code ?? (err as { code?: string })?.code;
  const msg = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err).slice(0, 200);
  return `${what}: ${code ? `${code} ` : ''}${msg}`;
}

function isRetryable(err: unknown): { retry: boolean; delayMs?: number } {
  const e = err as ApiErrorShape;
  if (typeof e?.code === 'number') {
    if (e.code === 429 || e.code >= 500) {
      const after = Number(e.headers?.['retry-after']);
      return { retry: true, delayMs: Number.isFinite(after) && after > 0 ? after * 1000 : undefined };
    }
    const msg =
      typeof e.body === 'object' && e.body ? String((e.body as { message?: unknown }).message ?? '') : String(e.body ?? '');
    // The ServiceAccount admission plugin reads a cache that may lag right after the SA was created.
    if (e.code === 403 && /error looking up service account/.test(msg)) return { retry: true };
    return { retry: false };
  }
  return { retry: true }; // network-level: ECONNRESET, socket hang up, timeouts
}

/** The manifest as sent: no client-side uid, ownerReferences as given. */
function wire(m: Manifest): KubernetesObject {
  const { uid: _uid, ...metadata } = m.metadata;
  return { ...m, metadata } as KubernetesObject;
}

/** Loads `cluster` into the API server of `kc`. Throws BenchLoadError on systemic failure (auth, terminating namespaces). */
export async function loadBenchCluster(kc: KubeConfig, cluster: BenchCluster, opts: LoadOptions = {}): Promise<LoadResult> {
  const concurrency = opts.concurrency ?? 32;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const total = benchObjectCount(cluster);
  const maxFailures = opts.maxFailures ?? Math.max(100, Math.ceil(total / 100));
  const config = sharedConnectionConfig(kc);
  const api = new KubernetesObjectApi(config);
  const core = new CoreV1Api(config);
  const sem = new Semaphore(concurrency);
  const byKind: Record<string, KindStats> = {};
  const errors: string[] = [];
  let created = 0;
  let existing = 0;
  let failed = 0;
  let phase = 'starting';
  const t0 = performance.now();

  const stats = (kind: string) => (byKind[kind] ??= { created: 0, existing: 0, failed: 0 });
  const fail = (m: Manifest, description: string) => {
    failed++;
    stats(m.kind).failed++;
    if (errors.length < 20) errors.push(description);
    if (failed > maxFailures)
      throw new BenchLoadError(`giving up after ${failed} failed objects; first errors:\n  ${errors.join('\n  ')}`);
  };

  /** Creates one object; returns its uid (read back when it already existed and `needUid`), or undefined when it failed. */
  const create = async (m: Manifest, needUid = false): Promise<string | undefined | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await sem.run(() => api.create(wire(m)));
        created++;
        stats(m.kind).created++;
        return res.metadata?.uid ?? null;
      } catch (err) {
        const e = err as ApiErrorShape;
        if (e?.code === 409) {
          existing++;
          stats(m.kind).existing++;
          if (!needUid) return null;
          try {
            const cur = await sem.run(() =>
              api.read({
                apiVersion: m.apiVersion,
                kind: m.kind,
                metadata: { name: m.metadata.name, namespace: m.metadata.namespace },
              }),
            );
            return cur.metadata?.uid ?? null;
          } catch (readErr) {
            fail(m, `${describeApiError(readErr, m)} (reading the existing object for its uid)`);
            return undefined;
          }
        }
        if (e?.code === 401) throw new BenchLoadError(`the API server rejected the credentials (${describeApiError(err, m)})`);
        if (
          e?.code === 403 &&
          typeof e.body === 'object' &&
          /is being terminated|because it is being terminated/.test(String((e.body as { message?: unknown }).message))
        ) {
          throw new BenchLoadError(
            `${describeApiError(err, m)}\nA previous --delete is still removing the bench namespaces; wait until they are gone and run again.`,
          );
        }
        const r = isRetryable(err);
        if (r.retry && attempt < MAX_ATTEMPTS) {
          await sleep(r.delayMs ?? Math.min(5_000, 200 * 2 ** (attempt - 1)));
          continue;
        }
        fail(m, describeApiError(err, m) + (r.retry ? ` (after ${attempt} attempts)` : ''));
        return undefined;
      }
    }
  };

  const createAll = async (label: string, items: readonly Manifest[]) => {
    phase = label;
    await pool(items, concurrency, async (m) => {
      await create(m);
    });
  };

  const timer =
    (opts.progressEveryMs ?? 5000) > 0
      ? setInterval(() => {
          const s = (performance.now() - t0) / 1000;
          const done = created + existing + failed;
          log(
            `[load] ${phase}: ${done}/${total} objects (${created} created, ${existing} existed, ${failed} failed), ` +
              `${s.toFixed(0)} s, ${(done / Math.max(s, 0.001)).toFixed(0)} objects/s`,
          );
        }, opts.progressEveryMs ?? 5000)
      : undefined;
  timer?.unref();

  try {
    await checkExistingBenchNamespaces(core, cluster);
    await createAll('admission policy', cluster.admission);
    await createAll('namespaces', cluster.namespaces);
    await createAll('cluster roles', cluster.clusterRoles);
    await createAll('roles', cluster.roles);
    await createAll('service accounts', cluster.serviceAccounts);
    await createAll('secrets', cluster.secrets);
    await createAll('role bindings', cluster.roleBindings);
    await createAll('cluster role bindings', cluster.clusterRoleBindings);
    phase = 'waiting for the admission policy';
    await waitForPolicy(api, cluster, log);
    phase = 'deployments, replica sets and pods';
    await pool(cluster.workloads, concurrency, (w) => loadWorkload(w, create, fail));
    await createAll('bare pods', cluster.barePods);
  } finally {
    if (timer) clearInterval(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { objects: created + existing, created, existing, failed, seconds, byKind, errors };
}

async function loadWorkload(
  w: Workload,
  create: (m: Manifest, needUid?: boolean) => Promise<string | undefined | null>,
  fail: (m: Manifest, description: string) => void,
): Promise<void> {
  const dUid = await create(w.deployment, true);
  if (!dUid) {
    fail(
      w.replicaSet,
      `${w.replicaSet.kind} ${w.replicaSet.metadata.namespace}/${w.replicaSet.metadata.name}: not created, its Deployment is missing`,
    );
    for (const p of w.pods) fail(p, `Pod ${p.metadata.namespace}/${p.metadata.name}: not created, its Deployment is missing`);
    return;
  }
  const rs: Manifest = {
    ...w.replicaSet,
    metadata: {
      ...w.replicaSet.metadata,
      ownerReferences: w.replicaSet.metadata.ownerReferences!.map((o) => ({ ...o, uid: dUid })),
    },
  };
  const rsUid = await create(rs, true);
  if (!rsUid) {
    for (const p of w.pods) fail(p, `Pod ${p.metadata.namespace}/${p.metadata.name}: not created, its ReplicaSet is missing`);
    return;
  }
  await Promise.all(
    w.pods.map((p) =>
      create({
        ...p,
        metadata: { ...p.metadata, ownerReferences: p.metadata.ownerReferences!.map((o) => ({ ...o, uid: rsUid })) },
      }),
    ),
  );
}

/**
 * Resuming is fine; mixing plans is not: a load of another seed or scale would leave objects the
 * collector benchmark then counts (and Pods the verifier flags). Also refuse while a --delete is running.
 */
async function checkExistingBenchNamespaces(core: CoreV1Api, cluster: BenchCluster): Promise<void> {
  const list = await core.listNamespace({ labelSelector: `${BENCH_LABEL}=${BENCH_LABEL_VALUE}` });
  const terminating = list.items.filter((n) => n.metadata?.deletionTimestamp).map((n) => n.metadata!.name);
  if (terminating.length) {
    throw new BenchLoadError(
      `${terminating.length} bench namespaces are still being deleted (${terminating.slice(0, 3).join(', ')}…); wait until they are gone and run again`,
    );
  }
  const planId = benchPlanId(cluster.scale);
  const other = list.items.find((n) => n.metadata?.annotations?.[BENCH_PLAN_ANNOTATION] !== planId);
  if (other) {
    throw new BenchLoadError(
      `the cluster already holds a different bench load (namespace ${other.metadata?.name}: ` +
        `"${other.metadata?.annotations?.[BENCH_PLAN_ANNOTATION] ?? 'no plan annotation'}", this run: "${planId}"); ` +
        'remove it first with --delete --wait',
    );
  }
}

/**
 * The policy takes effect a moment after it is created. Until it does, the ReplicaSet controller could
 * add Pods of its own between our ReplicaSet and our Pods, so wait until a dry-run Pod without the
 * loader's annotation is refused.
 */
async function waitForPolicy(api: KubernetesObjectApi, cluster: BenchCluster, log: (line: string) => void): Promise<void> {
  const sa = cluster.serviceAccounts[0];
  const namespace = sa?.metadata.namespace ?? cluster.namespaces[0]?.metadata.name;
  if (!namespace) return;
  const probe = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bench-policy-probe', namespace },
    spec: {
      serviceAccountName: sa?.metadata.name,
      automountServiceAccountToken: false,
      containers: [{ name: 'probe', image: 'registry.example.com/probe:1' }],
    },
  } as KubernetesObject;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await api.create(probe, undefined, 'All');
    } catch (err) {
      const e = err as ApiErrorShape;
      const text = typeof e.body === 'object' && e.body ? JSON.stringify(e.body) : String(e.body ?? '');
      if ((e.code === 422 || e.code === 403) && text.includes(BENCH_POLICY_NAME)) return;
      if (e.code === 409) return; // a leftover probe Pod cannot exist in dry-run; treat as effective
      if (typeof e.code === 'number' && e.code !== 403 && e.code < 500) {
        throw new BenchLoadError(`checking the bench admission policy failed: ${describeApiError(err)}`);
      }
    }
    if (Date.now() > deadline) {
      throw new BenchLoadError(`the ValidatingAdmissionPolicy ${BENCH_POLICY_NAME} did not take effect within 60 s`);
    }
    log('[load] waiting for the admission policy to take effect');
    await sleep(500);
  }
}

export interface DeleteResult {
  namespaces: number;
  seconds: number;
  gone: boolean;
}

/**
 * Deletes everything the loader made: bench namespaces (the namespace controller removes their
 * contents), ClusterRoles and ClusterRoleBindings labelled nhi.dev/bench=load, and the admission policy.
 * With `wait`, polls until the namespaces are gone (up to `timeoutMs`, default 30 min).
 */
export async function deleteBenchCluster(
  kc: KubeConfig,
  opts: { wait?: boolean; timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<DeleteResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = performance.now();
  const config = sharedConnectionConfig(kc);
  const core = new CoreV1Api(config);
  const rbac = new RbacAuthorizationV1Api(config);
  const admission = new AdmissionregistrationV1Api(config);
  const labelSelector = `${BENCH_LABEL}=${BENCH_LABEL_VALUE}`;
  const ignore404 = (err: unknown) => {
    if ((err as ApiErrorShape)?.code !== 404) throw new BenchLoadError(describeApiError(err));
  };
  const list = await core.listNamespace({ labelSelector });
  const names = list.items.map((n) => n.metadata?.name).filter((n): n is string => !!n);
  const sem = new Semaphore(8);
  await Promise.all(names.map((name) => sem.run(() => core.deleteNamespace({ name }).catch(ignore404))));
  await rbac.deleteCollectionClusterRoleBinding({ labelSelector }).catch(ignore404);
  await rbac.deleteCollectionClusterRole({ labelSelector }).catch(ignore404);
  // The policy goes last: it must keep controllers out while the namespaces are being emptied.
  if (opts.wait) {
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const left = (await core.listNamespace({ labelSelector })).items.length;
      if (left === 0) break;
      if (Date.now() > deadline) {
        log(`[delete] ${left} bench namespaces are still terminating; giving up waiting`);
        return { namespaces: names.length, seconds: (performance.now() - t0) / 1000, gone: false };
      }
      log(`[delete] ${left} bench namespaces still terminating`);
      await sleep(5000);
    }
    await admission.deleteValidatingAdmissionPolicyBinding({ name: BENCH_POLICY_NAME }).catch(ignore404);
    await admission.deleteValidatingAdmissionPolicy({ name: BENCH_POLICY_NAME }).catch(ignore404);
    return { namespaces: names.length, seconds: (performance.now() - t0) / 1000, gone: true };
  }
  return { namespaces: names.length, seconds: (performance.now() - t0) / 1000, gone: false };
}

/** A KubeConfig from a file, with a clear message when it is missing or has no current context. */
export function kubeConfigFromFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new BenchLoadError(
      `cannot read kubeconfig ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  if (!kc.getCurrentCluster()) throw new BenchLoadError(`kubeconfig ${file} has no current context with a cluster`);
  return kc;
}
