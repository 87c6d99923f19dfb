/**
 * SubjectAccessReview client: asks the real API server's authorizer chain whether an identity may
 * make a request (authorization.k8s.io/v1, POST through @kubernetes/client-node's
 * AuthorizationV1Api.createSubjectAccessReview), many at a time with bounded concurrency.
 *
 *   const sar = createSarClient(kubeConfig, { concurrency: 16 });
 *   const answers = await sar.reviewAll(tuples, (done, total) => ...);
 *   await sar.close();
 *
 * A SubjectAccessReview judges exactly the user name and groups it is sent (tuples from
 * `sampleTuples` / `serviceAccountUser` carry the ServiceAccount groups) and goes through the whole
 * authorizer chain of the server, not only RBAC: see `nonRbacAuthorizerFor` (lib/rbac/subjects.ts) for
 * the identities whose answer other authorizers decide.
 *
 * Connections: @kubernetes/client-node 2.0.1 builds a new undici Agent (new TCP connection and TLS
 * handshake) on every request, which limits a review run to a few dozen per second. The client here
 * keeps the first Agent and reuses it (keep-alive), while still running the kubeconfig's
 * authentication for every request (bearer tokens from files or exec plugins are refreshed).
 */
import {
  ApiException,
  AuthorizationV1Api,
  createConfiguration,
  KubeConfig,
  ServerConfiguration,
  type Configuration,
  type RequestContext,
  type SecurityAuthentication,
  type V1SubjectAccessReview,
} from '@kubernetes/client-node';
import type { AccessTuple } from './generate';
import { toSubjectAccessReview } from './generate';

/** The API server's answer to one SubjectAccessReview. */
export interface SarAnswer {
  allowed: boolean;
  /** Explicitly denied by an authorizer (RBAC never denies; absent means "no opinion", i.e. denied). */
  denied: boolean;
  /** The authorizer's reason, e.g. `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to ...`. */
  reason: string;
  evaluationError?: string;
}

export interface SarClientOptions {
  /** Reviews in flight at once. Default 16. */
  concurrency?: number;
  /** Attempts per review on transient failures (connection errors, 429, 5xx). Default 6. */
  attempts?: number;
}

export interface SarClient {
  review(tuple: AccessTuple): Promise<SarAnswer>;
  /** Every tuple's answer, in order; `onProgress(done, total)` after each answer. */
  reviewAll(tuples: readonly AccessTuple[], onProgress?: (done: number, total: number) => void): Promise<SarAnswer[]>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * Authentication that delegates to the kubeconfig for every request (headers: bearer tokens,
 * basic auth) but reuses one connection pool per context/cluster/user.
 */
class PooledAuthentication implements SecurityAuthentication {
  private key = '';
  private dispatcher: Dispatcher | undefined;

  constructor(private readonly kc: KubeConfig) {}

  getName(): string {
    return 'nhi-pooled-kubeconfig';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kc.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    const cluster = this.kc.getCurrentCluster();
    const key = JSON.stringify([this.kc.getCurrentContext(), cluster?.name, cluster?.server, this.kc.getCurrentUser()?.name]);
    if (!this.dispatcher || key !== this.key) {
      const previous = this.dispatcher;
      this.dispatcher = fresh;
      this.key = key;
      if (previous && previous !== fresh) void previous.close().catch(() => {});
      return;
    }
    if (fresh && fresh !== this.dispatcher) {
      context.setDispatcher(this.dispatcher);
      // The fresh Agent never opened a connection; closing it only releases its bookkeeping.
      void fresh.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = undefined;
    if (d) await d.close().catch(() => {});
  }
}

/**
 * A client-node Configuration for the kubeconfig's current cluster that reuses one connection pool:
 * pass it to any generated API class (`new RbacAuthorizationV1Api(configuration)`) or to
 * `new KubernetesObjectApi(configuration)`. Call `close()` when done.
 */
export function pooledConfiguration(kc: KubeConfig): { configuration: Configuration; close: () => Promise<void> } {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster (no API server to talk to)');
  const auth = new PooledAuthentication(kc);
  const configuration = createConfiguration({ baseServer: new ServerConfiguration(server, {}), authMethods: { default: auth } });
  return { configuration, close: () => auth.close() };
}

/** An AuthorizationV1Api on the kubeconfig's current cluster with a reused connection pool. */
export function authorizationApi(kc: KubeConfig): { api: AuthorizationV1Api; close: () => Promise<void> } {
  const { configuration, close } = pooledConfiguration(kc);
  return { api: new AuthorizationV1Api(configuration), close };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

function isTransient(err: unknown): boolean {
  if (err instanceof ApiException) return err.code === 429 || err.code >= 500;
  const text = `${String(err)} ${String((err as { cause?: unknown })?.cause ?? '')}`;
  return /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|fetch failed|other side closed|UND_ERR/i.test(text);
}

/** The API server's message for a failed request, without echoing the request body. */
export function sarErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* plain text */
      }
    }
    const message = body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : '';
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
}

export function createSarClient(kc: KubeConfig, options: SarClientOptions = {}): SarClient {
  const concurrency = options.concurrency ?? 16;
  const attempts = options.attempts ?? 6;
  const { api, close } = authorizationApi(kc);

  const review = async (tuple: AccessTuple): Promise<SarAnswer> => {
    const body = toSubjectAccessReview(tuple) as unknown as V1SubjectAccessReview;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await api.createSubjectAccessReview({ body });
        const status = res.status;
        return {
          allowed: status?.allowed === true,
          denied: status?.denied === true,
          reason: status?.reason ?? '',
          ...(status?.evaluationError ? { evaluationError: status.evaluationError } : {}),
        };
      } catch (err) {
        if (attempt >= attempts || !isTransient(err)) {
          throw new Error(`SubjectAccessReview failed for ${describeTupleShort(tuple)}: ${sarErrorMessage(err)}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** (attempt - 1))));
      }
    }
  };

  return {
    review,
    reviewAll: async (tuples, onProgress) => {
      let done = 0;
      return mapPool(tuples, concurrency, async (t) => {
        const answer = await review(t);
        done += 1;
        onProgress?.(done, tuples.length);
        return answer;
      });
    },
    close,
  };
}

function describeTupleShort(t: AccessTuple): string {
  const a = t.attrs;
  if ('nonResourceURL' in a) return `${t.user.name || '(no user)'} ${a.verb} ${a.nonResourceURL}`;
  const res = `${a.resource}${a.subresource ? `/${a.subresource}` : ''}${a.apiGroup ? `.${a.apiGroup}` : ''}`;
  return `${t.user.name || '(no user)'} ${a.verb} ${res}${a.name ? ` ${a.name}` : ''}${a.namespace ? ` -n ${a.namespace}` : ''}`;
}
