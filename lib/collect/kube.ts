import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { AppError, invalidInput, unavailable } from '@/lib/errors';
import { collectionPath } from './resources';
import { sanitizeSecret, slimObject } from './sanitize';
import type { CollectionNote, KubeObject, ResourceSpec, SecretMeta } from './types';

/** A cluster the collector can reach: a kubeconfig context, or the in-cluster service account. */
export interface ClusterTarget {
  name: string;
  source: 'kubeconfig' | 'in_cluster';
  context: string | null;
  server: string;
  kc: KubeConfig;
}

/**
 * Resolves the clusters to collect. `kubeconfig` may name several files (colon-separated, like
 * KUBECONFIG); without it KUBECONFIG / ~/.kube/config are read. `context` picks one context; `all`
 * takes every context. `inCluster` uses the pod's service account.
 */
export function resolveTargets(opts: {
  kubeconfig?: string;
  context?: string;
  all?: boolean;
  inCluster?: boolean;
  /** Where the pod's `/var/run/secrets/kubernetes.io/serviceaccount` is mounted below (tests only). */
  inClusterRoot?: string;
}): ClusterTarget[] {
  if (opts.inCluster) {
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
      throw invalidInput(
        '--in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; is this running in a Pod?',
      );
    }
    const kc = new KubeConfig();
    kc.loadFromCluster(opts.inClusterRoot);
    const server = kc.getCurrentCluster()?.server ?? '';
    return [{ name: process.env.NHI_CLUSTER_NAME ?? 'in-cluster', source: 'in_cluster', context: null, server, kc }];
  }
  const base = new KubeConfig();
  if (opts.kubeconfig) {
    const files = opts.kubeconfig.split(':').filter(Boolean);
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = files.join(':');
    try {
      base.loadFromDefault();
    } finally {
      if (previous === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = previous;
    }
  } else base.loadFromDefault();
  const contexts = opts.all ? base.getContexts().map((c) => c.name) : [opts.context ?? base.getCurrentContext()];
  return contexts.map((context) => {
    if (!base.getContextObject(context))
      throw invalidInput(
        `kubeconfig has no context "${context}" (have: ${
          base
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    const kc = new KubeConfig();
    kc.loadFromString(base.exportConfig());
    kc.setCurrentContext(context);
    return { name: context, source: 'kubeconfig' as const, context, server: kc.getCurrentCluster()?.server ?? '', kc };
  });
}

/**
 * The API server answered with an error status. `httpStatus` is the API server's own status (callers
 * branch on 403, 404 and 410); as an AppError it is `not_found` for a 404 and `unavailable` otherwise.
 */
export class KubeHttpError extends AppError {
  constructor(
    readonly httpStatus: number,
    message: string,
    readonly reason?: string,
  ) {
    super(httpStatus === 404 ? 'not_found' : 'unavailable', message, {
      code: 'KUBE_API',
      details: reason ? { httpStatus, reason } : { httpStatus },
    });
    this.name = 'KubeHttpError';
  }
}

/**
 * fetch against the API server; a request that cannot reach it (refused, DNS, TLS) becomes an `unavailable`
 * AppError naming the server and the cause. An aborted request rejects as it did.
 */
export async function fetchFromCluster(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    if (init.signal?.aborted) throw e;
    // undici rejects with "fetch failed" and the reason in `cause` (an AggregateError when several addresses failed).
    const cause = (e as { cause?: { message?: unknown; code?: unknown } }).cause;
    const why =
      (typeof cause?.message === 'string' && cause.message) ||
      (typeof cause?.code === 'string' && cause.code) ||
      (e instanceof Error ? e.message : String(e));
    throw unavailable(`cannot reach the API server at ${new URL(url).origin}: ${why}`, { cause: e, code: 'KUBE_UNREACHABLE' });
  }
}

/** One connection pool per KubeConfig, with the context/cluster/user it was made for. */
const dispatchers = new WeakMap<KubeConfig, { key: string; dispatcher: Dispatcher | undefined }>();

/**
 * Headers and dispatcher for one request to the current cluster of `kc`. Authentication runs for every
 * request (a token file or exec plugin may hand out a new token), but the connection pool is reused:
 * @kubernetes/client-node 2.0.1 builds a new undici Agent on each applySecurityAuthentication, which
 * would mean a new TCP connection and TLS handshake per request. The first request's dispatcher is kept
 * per KubeConfig and replaced (the old one closed once idle) when the current context, cluster or user
 * changes. Not covered: client certificates that an exec plugin rotates under the same user name.
 */
export async function kubeRequest(
  kc: KubeConfig,
  url: string,
): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher | undefined }> {
  const ctx = new RequestContext(url, HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const cluster = kc.getCurrentCluster();
  const key = JSON.stringify([kc.getCurrentContext(), cluster?.name, cluster?.server, kc.getCurrentUser()?.name]);
  let entry = dispatchers.get(kc);
  if (!entry || entry.key !== key) {
    const previous = entry?.dispatcher;
    entry = { key, dispatcher: ctx.getDispatcher() };
    dispatchers.set(kc, entry);
    // close() lets requests in flight on the old pool finish first.
    if (previous) void previous.close().catch(() => {});
  }
  return { headers: ctx.getHeaders(), dispatcher: entry.dispatcher };
}

/** The API server URL of `path` on the current cluster of `kc`. */
export function kubeUrl(kc: KubeConfig, path: string): string {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw invalidInput('the kubeconfig context has no cluster server');
  return server.replace(/\/$/, '') + path;
}

/** A GET against the API server with the kubeconfig's credentials and TLS settings. */
export async function kubeGet(kc: KubeConfig, path: string, accept = 'application/json', signal?: AbortSignal): Promise<unknown> {
  const url = kubeUrl(kc, path);
  const { headers, dispatcher } = await kubeRequest(kc, url);
  const res = await fetchFromCluster(url, { headers: { ...headers, Accept: accept }, dispatcher, signal });
  const text = await res.text();
  if (!res.ok) {
    let reason: string | undefined;
    let message = text.slice(0, 300);
    try {
      const status = JSON.parse(text) as { reason?: string; message?: string };
      reason = status.reason;
      message = status.message ?? message;
    } catch {
      /* not a Status object */
    }
    throw new KubeHttpError(res.status, `GET ${path}: ${res.status} ${message}`, reason);
  }
  try {
    return JSON.parse(text);
  } catch {
    // V8's SyntaxError quotes the text around the fault, and the text may hold Secret values
    // (the opt-in certificate list reads kubernetes.io/tls Secrets in full): say only where it was.
    throw unavailable(`GET ${path.split('?')[0]}: the API server's answer is not valid JSON (${text.length} characters)`);
  }
}

/** Which of a group/version's resources the server serves (null: the group/version is absent). */
export async function servedResources(kc: KubeConfig, group: string, version: string): Promise<Set<string> | null> {
  try {
    const list = (await kubeGet(kc, group ? `/apis/${group}/${version}` : `/api/${version}`)) as {
      resources?: { name: string }[];
    };
    return new Set((list.resources ?? []).map((r) => r.name));
  } catch (e) {
    if (e instanceof KubeHttpError && e.httpStatus === 404) return null;
    throw e;
  }
}

/** Ask for a server-side Table (with includeObject=Metadata: each row carries the object's metadata only). */
export const tableAccept = 'application/json;as=Table;g=meta.k8s.io;v=v1,application/json';

export interface TableResponse {
  metadata?: { continue?: string; resourceVersion?: string };
  columnDefinitions?: { name: string }[];
  rows?: { cells: unknown[]; object?: { metadata?: Record<string, unknown> } }[];
}

/** Index of the Table's "Type" column (-1 when absent). Watch events repeat the definitions only sometimes. */
export function typeColumnOf(table: TableResponse): number {
  return (table.columnDefinitions ?? []).findIndex((c) => c.name.toLowerCase() === 'type');
}

/** A Secret from a metadata-only Table row: its metadata (allow-listed) and its type, never its data. */
export function secretFromTableRow(row: NonNullable<TableResponse['rows']>[number], typeColumn: number): SecretMeta {
  const type = typeColumn >= 0 ? row.cells[typeColumn] : undefined;
  return sanitizeSecret({ metadata: row.object?.metadata as never }, typeof type === 'string' ? type : undefined);
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/**
 * Lists a resource cluster-wide in pages of `limit` (limit/continue), restarting from scratch if a
 * continue token expires (410). Secrets are read as a server-side Table with metadata-only objects:
 * the response carries each Secret's name, type and metadata, never its data.
 */
export async function listResource(
  kc: KubeConfig,
  spec: ResourceSpec,
  opts: { limit?: number; onPage?: (count: number) => void; signal?: AbortSignal } = {},
): Promise<ListResult<KubeObject | SecretMeta>> {
  const limit = opts.limit ?? 500;
  for (let attempt = 0; ; attempt++) {
    const items: (KubeObject | SecretMeta)[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const q = new URLSearchParams({ limit: String(limit) });
        if (cont) q.set('continue', cont);
        if (spec.key === 'secrets') {
          q.set('includeObject', 'Metadata');
          const table = (await kubeGet(kc, `${collectionPath(spec)}?${q}`, tableAccept, opts.signal)) as TableResponse;
          const typeColumn = typeColumnOf(table);
          for (const row of table.rows ?? []) items.push(secretFromTableRow(row, typeColumn));
          cont = table.metadata?.continue || undefined;
          resourceVersion = table.metadata?.resourceVersion ?? resourceVersion;
        } else {
          const list = (await kubeGet(kc, `${collectionPath(spec)}?${q}`, 'application/json', opts.signal)) as {
            metadata?: { continue?: string; resourceVersion?: string };
            items?: KubeObject[];
          };
          for (const item of list.items ?? [])
            items.push(
              slimObject({
                ...item,
                apiVersion: item.apiVersion ?? (spec.group ? `${spec.group}/${spec.version}` : spec.version),
                kind: spec.kind,
              }),
            );
          cont = list.metadata?.continue || undefined;
          resourceVersion = list.metadata?.resourceVersion ?? resourceVersion;
        }
        opts.onPage?.(items.length);
      } while (cont);
      return { items, resourceVersion };
    } catch (e) {
      if (e instanceof KubeHttpError && e.httpStatus === 410 && attempt < 3) continue; // continue token expired: relist
      throw e;
    }
  }
}

/** A note for a resource that could not be listed, so one broken API never fails a whole collection. */
export function noteForListError(spec: ResourceSpec, e: unknown): CollectionNote {
  if (e instanceof KubeHttpError && e.httpStatus === 403) {
    return {
      resource: spec.key,
      level: 'error',
      message: `forbidden to list ${spec.plural}: grant the collector ClusterRole (public/collector-clusterrole.yaml)`,
    };
  }
  if (e instanceof KubeHttpError && e.httpStatus === 404)
    return { resource: spec.key, level: 'info', message: `${spec.plural} not served by this cluster; skipped` };
  return {
    resource: spec.key,
    level: 'error',
    message: `listing ${spec.plural} failed: ${e instanceof Error ? e.message : String(e)}`,
  };
}
