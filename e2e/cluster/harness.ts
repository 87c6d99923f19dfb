import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { down, SERVICE_ACCOUNT_ISSUER, status, up, type UpOptions } from './control-plane';
import { writeKubeconfig } from './kubeconfig';
import { withLock } from './lock';
import { loadOrCreateCanaries, seed, type SeedResult } from './seed';

/**
 * The test harness: integration and e2e tests get the real control plane from here.
 *
 *   const cluster = await ensureCluster();             // builds/starts when needed; reuses a running one
 *   const kc = adminKubeConfig(cluster);                // system:masters
 *   const asApp = await kubeconfigForServiceAccount(cluster, 'payments', 'payments-api');
 *   await seedCluster(cluster);                         // corpus + demo workloads (idempotent)
 *   readCanaries(cluster) / canaryNeedles(cluster)      // planted secret values, never to be stored
 */

export interface TestCluster {
  /** State dir: PKI, kubeconfigs, logs, etcd data. */
  dir: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** CA of the API server's serving certificate. */
  caFile: string;
  /** JSON-lines audit log (audit.k8s.io/v1 Events). */
  auditLogPath: string;
  logDir: string;
  /** Where the binaries came from (the build cache). */
  binDir: string;
  /** Issuer and default audience of ServiceAccount tokens. */
  serviceAccountIssuer: string;
  /** The audit webhook the API server delivers to, if any. */
  auditWebhookUrl: string | null;
  /** True when this call started at least one component (so the caller owns stopping it). */
  startedByThisCall: boolean;
}

function toTestCluster(r: Awaited<ReturnType<typeof up>>): TestCluster {
  const { layout } = r;
  return {
    dir: layout.dir,
    kubeconfigPath: layout.adminKubeconfig,
    server: layout.server,
    caFile: path.join(layout.pkiDir, 'ca.crt'),
    auditLogPath: layout.auditLogPath,
    logDir: layout.logDir,
    binDir: r.binDir,
    serviceAccountIssuer: SERVICE_ACCOUNT_ISSUER,
    auditWebhookUrl: r.auditWebhook?.url ?? null,
    startedByThisCall: r.started.length > 0,
  };
}

/**
 * The running test cluster, started (and built) if needed. Safe to call from several processes at
 * once: starting is serialised by a lock file in the state dir. Options as for `cluster:up`
 * (by default the audit webhook comes from NHI_AUDIT_WEBHOOK_URL).
 */
export async function ensureCluster(options: UpOptions = {}): Promise<TestCluster> {
  return toTestCluster(await up(options));
}

/** Stops the control plane; `purge` also deletes its state (a fresh cluster next time). */
export async function stopCluster(options: { purge?: boolean } = {}): Promise<void> {
  await down(options);
}

/** Whether all three components run and answer their health checks (starts nothing). */
export async function clusterIsUp(): Promise<boolean> {
  return (await status()).up;
}

/** A client configuration acting as the cluster admin. */
export function adminKubeConfig(cluster: TestCluster): KubeConfig {
  return kubeConfigFromFile(cluster.kubeconfigPath);
}

export function kubeConfigFromFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export interface ServiceAccountTokenOptions {
  /** Audience of the token (default: the API server's). A token for another audience cannot call the API. */
  audience?: string;
  /** Lifetime; the API server enforces at least 600 s. Default 3600. */
  expirationSeconds?: number;
  /** Bind the token to a Pod or Secret: the API server then adds pod/secret extras to the user info. */
  boundObject?: { kind: 'Pod' | 'Secret'; name: string; uid: string };
}

/** A fresh token for the ServiceAccount through the TokenRequest API (as the admin). */
export async function serviceAccountToken(
  cluster: TestCluster,
  namespace: string,
  name: string,
  opts: ServiceAccountTokenOptions = {},
): Promise<{ token: string; expirationTimestamp: Date }> {
  const core = adminKubeConfig(cluster).makeApiClient(CoreV1Api);
  const res = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: {
      spec: {
        audiences: [opts.audience ?? SERVICE_ACCOUNT_ISSUER],
        expirationSeconds: opts.expirationSeconds ?? 3600,
        ...(opts.boundObject ? { boundObjectRef: { apiVersion: 'v1', ...opts.boundObject } } : {}),
      },
    },
  });
  const token = res.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return { token, expirationTimestamp: new Date(res.status?.expirationTimestamp ?? Date.now()) };
}

/**
 * Writes a kubeconfig that authenticates as the ServiceAccount (bearer token from TokenRequest),
 * so a test can act as a workload. Returns the file's path (mode 0600, in <state>/tokens/).
 */
export async function kubeconfigForServiceAccount(
  cluster: TestCluster,
  namespace: string,
  name: string,
  opts: ServiceAccountTokenOptions = {},
): Promise<string> {
  const { token } = await serviceAccountToken(cluster, namespace, name, opts);
  const file = path.join(cluster.dir, 'tokens', `${namespace}.${name}.${randomBytes(4).toString('hex')}.kubeconfig`);
  return writeKubeconfig(file, {
    name: `sa-${namespace}-${name}`,
    server: cluster.server,
    caFile: cluster.caFile,
    user: { token },
    namespace,
  });
}

/** Applies the corpus and the demo workloads (idempotent; see seed.ts). */
export async function seedCluster(cluster: TestCluster, options: { force?: boolean } = {}): Promise<SeedResult> {
  // One seeder at a time: the canary record must be created once and match what the cluster holds.
  return withLock(path.join(cluster.dir, 'seed.lock'), () =>
    seed(
      {
        kubeconfigPath: cluster.kubeconfigPath,
        canaryFile: path.join(cluster.dir, 'canaries.json'),
        seedFile: path.join(cluster.dir, 'seed.json'),
      },
      options,
    ),
  );
}

function canaryRecord(cluster: TestCluster) {
  const file = path.join(cluster.dir, 'canaries.json');
  if (!existsSync(file)) throw new Error(`no canaries yet in ${cluster.dir}: call seedCluster() first`);
  return loadOrCreateCanaries(file);
}

/** The planted canary secret values (plain). Never print them. */
export function readCanaries(cluster: TestCluster): string[] {
  return [...new Set(canaryRecord(cluster).canaries.map((c) => c.value))];
}

/** Every exact string a leak of a canary could show up as (plain values and base64 forms). */
export function canaryNeedles(cluster: TestCluster): string[] {
  return [...new Set(canaryRecord(cluster).canaries.flatMap((c) => c.needles))];
}

export interface AuditEvent {
  auditID: string;
  stage: string;
  level: string;
  verb: string;
  requestURI: string;
  user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  requestObject?: unknown;
  responseObject?: unknown;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Current size of the audit log: pass it to readAuditEvents to read only what came after. */
export function auditLogOffset(cluster: TestCluster): number {
  return existsSync(cluster.auditLogPath) ? statSync(cluster.auditLogPath).size : 0;
}

/** Audit events written since `offset` (whole file when the log was rotated in between). */
export function readAuditEvents(cluster: TestCluster, offset = 0): AuditEvent[] {
  if (!existsSync(cluster.auditLogPath)) return [];
  const size = statSync(cluster.auditLogPath).size;
  const start = size < offset ? 0 : offset;
  const buf = Buffer.alloc(size - start);
  const fd = openSync(cluster.auditLogPath, 'r');
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const events: AuditEvent[] = [];
  for (const line of buf.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as AuditEvent);
    } catch {
      // a line being written right now
    }
  }
  return events;
}

/** Polls until `fn` returns a value that is not undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${String(lastError).split('\n')[0]})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
