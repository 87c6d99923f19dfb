import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { admissionFlags, admissionWebhookFromEnv, writeAdmissionConfig, type AdmissionWebhookAuth } from './admission';
import { auditFlags, auditWebhookFromEnv, writeAuditPolicy, writeAuditWebhookConfig, type AuditWebhook } from './audit';
import { binaryVersions, ensureBinaries, findBinDir, type BinaryName } from './binaries';
import { clusterLayout, HOST, PORT_ENV, repoRoot, type ClusterLayout, type ClusterPorts } from './config';
import { writeKubeconfig } from './kubeconfig';
import { withLock } from './lock';
import { ensurePki, pkiPaths, SERVICE_CLUSTER_IP_RANGE, type Pki } from './pki';
import { logTail, portInUse, runningPid, startDetached, stopProcess, waitFor, type ManagedProcess } from './processes';

/** Issuer of ServiceAccount tokens; also the default API audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

const log = (msg: string) => process.stderr.write(`cluster: ${msg}\n`);

interface Component {
  name: BinaryName;
  portKey: keyof ClusterPorts;
  args: string[];
  /** Extra inputs whose change requires a restart (e.g. the audit webhook target). */
  fingerprintExtra: string;
  healthy: () => Promise<boolean>;
  startTimeoutMs: number;
}

export interface UpOptions {
  /** Audit webhook sink; undefined = read NHI_AUDIT_WEBHOOK_URL, null = none. */
  auditWebhook?: AuditWebhook | null;
  /** Credentials sent to admission webhooks (e2e/cluster/admission.ts); undefined = read NHI_ADMISSION_WEBHOOK_TOKEN, null = none. */
  admissionWebhook?: AdmissionWebhookAuth | null;
}

export interface UpResult {
  layout: ClusterLayout;
  binDir: string;
  /** Components started (or restarted because their flags changed) by this call. */
  started: BinaryName[];
  auditWebhook: AuditWebhook | null;
  durationMs: number;
}

function httpsGet(
  url: string,
  tls: { ca?: string; cert?: string; key?: string; insecure?: boolean },
  timeoutMs = 3000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: !tls.insecure,
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', reject);
  });
}

function managed(layout: ClusterLayout, binDir: string, name: BinaryName): ManagedProcess {
  return {
    name,
    binary: path.join(binDir, name),
    pidFile: path.join(layout.runDir, `${name}.pid`),
    logFile: path.join(layout.logDir, `${name}.log`),
  };
}

function components(
  layout: ClusterLayout,
  pki: Pki,
  hook: AuditWebhook | null,
  admission: AdmissionWebhookAuth | null = null,
): Component[] {
  const { ports } = layout;
  const etcdUrl = `https://${HOST}:${ports.etcd}`;
  const peerUrl = `http://${HOST}:${ports.etcdPeer}`;
  const etcd: Component = {
    name: 'etcd',
    portKey: 'etcd',
    args: [
      '--name=nhi-test',
      `--data-dir=${layout.etcdDataDir}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=nhi-test=${peerUrl}`,
      `--cert-file=${pki.etcdServerCert}`,
      `--key-file=${pki.etcdServerKey}`,
      `--trusted-ca-file=${pki.caCert}`,
      '--client-cert-auth=true',
      // A throw-away test store: skipping fsync makes every write (and the tests) much faster.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    fingerprintExtra: '',
    healthy: async () => {
      const r = await httpsGet(`${etcdUrl}/health`, { ca: pki.caCert, cert: pki.etcdClientCert, key: pki.etcdClientKey });
      return r.status === 200 && r.body.includes('"health":"true"');
    },
    startTimeoutMs: 60_000,
  };
  const apiserver: Component = {
    name: 'kube-apiserver',
    portKey: 'apiserver',
    args: [
      `--bind-address=${HOST}`,
      `--advertise-address=${HOST}`,
      // The lease reconciler refuses a loopback address for the `kubernetes` Service endpoints;
      // nothing here routes to that Service anyway.
      '--endpoint-reconciler-type=none',
      `--secure-port=${ports.apiserver}`,
      `--etcd-servers=${etcdUrl}`,
      `--etcd-cafile=${pki.caCert}`,
      `--etcd-certfile=${pki.etcdClientCert}`,
      `--etcd-keyfile=${pki.etcdClientKey}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      // The insecure scenarios of the corpus (badPods) are privileged pods; let the API accept them.
      '--allow-privileged=true',
      '--profiling=false',
      // Close open watches within 2 s on SIGTERM; otherwise shutdown waits 60 s for them to end.
      '--shutdown-watch-termination-grace-period=2s',
      `--cert-dir=${path.join(layout.pkiDir, 'apiserver-generated')}`,
      ...auditFlags({ policy: layout.auditPolicyFile, log: layout.auditLogPath, webhookConfig: layout.auditWebhookConfig }, hook),
      ...admissionFlags(layout.dir, admission),
    ],
    // Without admission credentials the fingerprint is what it was before they existed (no restart on upgrade).
    fingerprintExtra: JSON.stringify({
      hook,
      policy: readFileSync(layout.auditPolicyFile, 'utf8'),
      ...(admission ? { admission } : {}),
    }),
    healthy: async () => {
      const r = await httpsGet(`${layout.server}/readyz`, { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey });
      return r.status === 200;
    },
    startTimeoutMs: 120_000,
  };
  const controllerManager: Component = {
    name: 'kube-controller-manager',
    portKey: 'controllerManager',
    args: [
      `--kubeconfig=${layout.controllerManagerKubeconfig}`,
      // No --authentication/authorization-kubeconfig: its secure port only serves /healthz here,
      // and delegated authentication would want a front-proxy CA this cluster does not have.
      `--bind-address=${HOST}`,
      `--secure-port=${ports.controllerManager}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      // Each controller acts as its own ServiceAccount (kube-system:replicaset-controller, ...), as in real clusters.
      '--use-service-account-credentials=true',
      // All default controllers except the CronJob one: the corpus holds ~20 every-minute CronJobs whose
      // Jobs' Pods never run here (no scheduler/kubelet), so they would pile up without end.
      '--controllers=*,-cronjob-controller',
      '--leader-elect=false',
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--cluster-name=nhi-test',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--profiling=false',
    ],
    fingerprintExtra: '',
    healthy: async () => {
      // Its serving certificate is self-signed in memory: only liveness is checked here, on loopback.
      const r = await httpsGet(`https://${HOST}:${ports.controllerManager}/healthz`, { insecure: true });
      return r.status === 200;
    },
    startTimeoutMs: 60_000,
  };
  return [etcd, apiserver, controllerManager];
}

function fingerprint(proc: ManagedProcess, c: Component): string {
  return createHash('sha256')
    .update(JSON.stringify([proc.binary, c.args, c.fingerprintExtra]))
    .digest('hex');
}

const fingerprintFile = (layout: ClusterLayout, name: string) => path.join(layout.runDir, `${name}.fingerprint`);

function prepareFiles(layout: ClusterLayout, hook: AuditWebhook | null, admission: AdmissionWebhookAuth | null): Pki {
  for (const dir of [layout.dir, layout.logDir, layout.runDir, layout.auditDir, layout.tokenDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  pruneOldTokenKubeconfigs(layout.tokenDir);
  const { pki, generated } = ensurePki(layout.pkiDir);
  if (generated.length) log(`generated ${generated.join(', ')} in ${layout.pkiDir}`);
  writeKubeconfig(layout.adminKubeconfig, {
    name: 'nhi-test-admin',
    server: layout.server,
    caFile: pki.caCert,
    user: { certFile: pki.adminCert, keyFile: pki.adminKey },
  });
  writeKubeconfig(layout.controllerManagerKubeconfig, {
    name: 'nhi-test-controller-manager',
    server: layout.server,
    caFile: pki.caCert,
    user: { certFile: pki.controllerManagerCert, keyFile: pki.controllerManagerKey },
  });
  writeAuditPolicy(layout.auditPolicyFile);
  if (hook) writeAuditWebhookConfig(layout.auditWebhookConfig, hook);
  else rmSync(layout.auditWebhookConfig, { force: true });
  writeAdmissionConfig(layout.dir, admission);
  return pki;
}

/** ServiceAccount kubeconfigs written by the harness hold bearer tokens: drop those older than a day. */
function pruneOldTokenKubeconfigs(dir: string): void {
  const cutoff = Date.now() - 24 * 3600 * 1000;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name.endsWith('.kubeconfig') && statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
  }
}

async function startComponent(layout: ClusterLayout, proc: ManagedProcess, c: Component): Promise<void> {
  const port = layout.ports[c.portKey];
  // A component just stopped (a restart) may hold its port for a few seconds more on a loaded machine.
  for (let waited = 0; waited < 15_000 && (await portInUse(HOST, port)); waited += 250)
    await new Promise((r) => setTimeout(r, 250));
  if (await portInUse(HOST, port)) {
    throw new Error(
      `${c.name}: port ${HOST}:${port} is already in use by another process; stop it or set ${PORT_ENV[c.portKey]} to a free port`,
    );
  }
  if (c.name === 'etcd' && (await portInUse(HOST, layout.ports.etcdPeer))) {
    throw new Error(`etcd: peer port ${HOST}:${layout.ports.etcdPeer} is in use; set ${PORT_ENV.etcdPeer} to a free port`);
  }
  const t0 = Date.now();
  startDetached(proc, c.args);
  await waitFor(proc, 'health', c.healthy, c.startTimeoutMs);
  log(`${c.name} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (pid ${runningPid(proc)}, log ${proc.logFile})`);
}

/** Starts whatever is not running (idempotent); restarts a component whose flags or binary changed. */
export async function up(options: UpOptions = {}): Promise<UpResult> {
  const t0 = Date.now();
  const layout = clusterLayout();
  const hook = options.auditWebhook === undefined ? auditWebhookFromEnv() : options.auditWebhook;
  const admission = options.admissionWebhook === undefined ? admissionWebhookFromEnv() : options.admissionWebhook;
  const binDir = await ensureBinaries();
  return withLock(layout.lockFile, async () => {
    const pki = prepareFiles(layout, hook, admission);
    const started: BinaryName[] = [];
    const list = components(layout, pki, hook, admission);
    for (const c of list) {
      const proc = managed(layout, binDir, c.name);
      const want = fingerprint(proc, c);
      const fpFile = fingerprintFile(layout, c.name);
      const have = existsSync(fpFile) ? readFileSync(fpFile, 'utf8').trim() : '';
      let pid = runningPid(proc);
      if (pid !== null && have !== want) {
        log(`${c.name} runs with other flags or binaries; restarting it`);
        await stopProcess(proc);
        pid = null;
      } else if (pid !== null && started.length > 0) {
        // Its upstream (etcd or the API server) was just restarted: a fresh start reconnects at
        // once, where a running controller-manager would sit in watch back-off for ~20 s.
        log(`${c.name} depends on ${started.join(', ')}, which restarted; restarting it`);
        await stopProcess(proc);
        pid = null;
      }
      if (pid !== null && !(await c.healthy().catch(() => false))) {
        // Running but not (yet) healthy, e.g. another caller just started it: give it time.
        await waitFor(proc, 'health', c.healthy, c.startTimeoutMs);
      }
      if (pid === null) {
        await startComponent(layout, proc, c);
        writeFileSync(fpFile, `${want}\n`);
        started.push(c.name);
      }
    }
    writeFileSync(
      layout.stateFile,
      `${JSON.stringify(
        {
          server: layout.server,
          adminKubeconfig: layout.adminKubeconfig,
          auditLogPath: layout.auditLogPath,
          auditWebhookUrl: hook?.url ?? null,
          ports: layout.ports,
          binDir,
          versions: binaryVersions(binDir),
          updatedAt: new Date().toISOString(),
        },
        null,
        2,
      )}\n`,
    );
    return { layout, binDir, started, auditWebhook: hook, durationMs: Date.now() - t0 };
  });
}

/** Stops the three processes (controller-manager, API server, etcd). `purge` also deletes the state dir. */
export async function down(options: { purge?: boolean } = {}): Promise<BinaryName[]> {
  const layout = clusterLayout();
  return withLock(layout.lockFile, async () => {
    const stopped: BinaryName[] = [];
    const binDir = findBinDirSafe(layout);
    for (const name of ['kube-controller-manager', 'kube-apiserver', 'etcd'] as const) {
      const proc = managed(layout, binDir, name);
      if (await stopProcess(proc)) {
        stopped.push(name);
        log(`stopped ${name}`);
      }
      rmSync(fingerprintFile(layout, name), { force: true });
    }
    if (options.purge) purgeStateDir(layout.dir);
    return stopped;
  }).finally(() => {
    if (options.purge) rmSync(layout.lockFile, { force: true });
  });
}

/** The binaries recorded at the last `up` (pid checks compare the binary's name, so any dir works). */
function findBinDirSafe(layout: ClusterLayout): string {
  try {
    const state = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as { binDir?: string };
    if (state.binDir) return state.binDir;
  } catch {
    // no state yet
  }
  try {
    return findBinDir() ?? '/nonexistent';
  } catch {
    return '/nonexistent';
  }
}

function purgeStateDir(dir: string): void {
  const forbidden = new Set(['/', os.homedir(), repoRoot, path.dirname(repoRoot)]);
  if (forbidden.has(path.resolve(dir)) || !existsSync(path.join(dir, 'pki'))) {
    throw new Error(`refusing to delete ${dir}: it does not look like a cluster state dir`);
  }
  rmSync(dir, { recursive: true, force: true });
  log(`deleted ${dir}`);
}

export interface ComponentStatus {
  name: BinaryName;
  pid: number | null;
  healthy: boolean;
  logFile: string;
}

export interface StatusReport {
  layout: ClusterLayout;
  binDir: string | null;
  components: ComponentStatus[];
  /** All three running and healthy. */
  up: boolean;
}

export async function status(): Promise<StatusReport> {
  const layout = clusterLayout();
  const binDir = findBinDirSafe(layout);
  const hasPki = existsSync(path.join(layout.pkiDir, 'ca.crt'));
  const list = hasPki && existsSync(layout.auditPolicyFile) ? components(layout, pkiPaths(layout.pkiDir), null) : [];
  const out: ComponentStatus[] = [];
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const) {
    const proc = managed(layout, binDir, name);
    const pid = runningPid(proc);
    const c = list.find((x) => x.name === name);
    const healthy = pid !== null && c ? await c.healthy().catch(() => false) : false;
    out.push({ name, pid, healthy, logFile: proc.logFile });
  }
  return { layout, binDir: binDir === '/nonexistent' ? null : binDir, components: out, up: out.every((c) => c.healthy) };
}

export { logTail };
