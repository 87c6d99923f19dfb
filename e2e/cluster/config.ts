import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This folder (e2e/cluster) and the repository root. */
export const clusterToolsDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(clusterToolsDir, '..', '..');

/** Loopback only: nothing of the test control plane listens on another address. */
export const HOST = '127.0.0.1';

export interface ClusterPorts {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
}

/** Fixed defaults away from the usual ones (2379/6443/10257), so a host etcd or cluster does not clash. */
const DEFAULT_PORTS: ClusterPorts = { etcd: 12379, etcdPeer: 12380, apiserver: 16443, controllerManager: 10357 };

export const PORT_ENV: Record<keyof ClusterPorts, string> = {
  etcd: 'NHI_ETCD_PORT',
  etcdPeer: 'NHI_ETCD_PEER_PORT',
  apiserver: 'NHI_APISERVER_PORT',
  controllerManager: 'NHI_KCM_PORT',
};

export interface ClusterLayout {
  /** State directory (git-ignored): PKI, kubeconfigs, etcd data, logs, pid files. */
  dir: string;
  pkiDir: string;
  etcdDataDir: string;
  logDir: string;
  runDir: string;
  auditDir: string;
  tokenDir: string;
  adminKubeconfig: string;
  controllerManagerKubeconfig: string;
  auditPolicyFile: string;
  auditLogPath: string;
  auditWebhookConfig: string;
  stateFile: string;
  lockFile: string;
  canaryFile: string;
  seedFile: string;
  ports: ClusterPorts;
  server: string;
}

function readPort(key: keyof ClusterPorts): number {
  const name = PORT_ENV[key];
  const raw = process.env[name];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[key];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port (1-65535)`);
  }
  return port;
}

/** Where everything lives, from NHI_CLUSTER_DIR (default <repo>/.cache/cluster) and the port variables. */
export function clusterLayout(): ClusterLayout {
  const dir = path.resolve(process.env.NHI_CLUSTER_DIR ?? path.join(repoRoot, '.cache', 'cluster'));
  const ports: ClusterPorts = {
    etcd: readPort('etcd'),
    etcdPeer: readPort('etcdPeer'),
    apiserver: readPort('apiserver'),
    controllerManager: readPort('controllerManager'),
  };
  const seen = new Map<number, string>();
  for (const [key, port] of Object.entries(ports) as [keyof ClusterPorts, number][]) {
    const other = seen.get(port);
    if (other) throw new Error(`${PORT_ENV[key]} and ${other} both ask for port ${port}`);
    seen.set(port, PORT_ENV[key]);
  }
  const auditDir = path.join(dir, 'audit');
  return {
    dir,
    pkiDir: path.join(dir, 'pki'),
    etcdDataDir: path.join(dir, 'etcd-data'),
    logDir: path.join(dir, 'logs'),
    runDir: path.join(dir, 'run'),
    auditDir,
    tokenDir: path.join(dir, 'tokens'),
    adminKubeconfig: path.join(dir, 'admin.kubeconfig'),
    controllerManagerKubeconfig: path.join(dir, 'controller-manager.kubeconfig'),
    auditPolicyFile: path.join(auditDir, 'policy.yaml'),
    auditLogPath: path.join(auditDir, 'audit.log'),
    auditWebhookConfig: path.join(auditDir, 'webhook.kubeconfig'),
    stateFile: path.join(dir, 'state.json'),
    lockFile: path.join(dir, 'cluster.lock'),
    canaryFile: path.join(dir, 'canaries.json'),
    seedFile: path.join(dir, 'seed.json'),
    ports,
    server: `https://${HOST}:${ports.apiserver}`,
  };
}

/** Root of the binary cache shared with build.sh. */
export function cacheRoot(): string {
  return path.join(process.env.NHI_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'nhi'), 'cluster');
}
