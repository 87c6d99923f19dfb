import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOST } from './config';

/**
 * The test cluster's certificates, made with the `openssl` command (keys with node:crypto).
 * Everything is signed by one CA that lives in the state directory; nothing leaves the machine.
 */

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  etcdServerCert: string;
  etcdServerKey: string;
  etcdClientCert: string;
  etcdClientKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  /** ServiceAccount token signing key pair. */
  saKey: string;
  saPub: string;
}

export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
/** First address of the service range: the `kubernetes` Service in `default`. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';

interface LeafSpec {
  name: string;
  cn: string;
  org?: string;
  usage: 'server' | 'client' | 'server+client';
  dnsNames?: string[];
  ips?: string[];
}

const LEAVES: LeafSpec[] = [
  {
    name: 'apiserver',
    cn: 'kube-apiserver',
    usage: 'server',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: [HOST, KUBERNETES_SERVICE_IP, '::1'],
  },
  { name: 'etcd-server', cn: 'etcd', usage: 'server', dnsNames: ['localhost'], ips: [HOST, '::1'] },
  { name: 'apiserver-etcd-client', cn: 'kube-apiserver-etcd-client', usage: 'client' },
  { name: 'admin', cn: 'nhi-admin', org: 'system:masters', usage: 'client' },
  { name: 'controller-manager', cn: 'system:kube-controller-manager', usage: 'client' },
];

const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** Leaves closer than this to expiry are issued again at the next start. */
const RENEW_BEFORE_MS = 14 * 24 * 3600 * 1000;

export function pkiPaths(dir: string): Pki {
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCert: p('apiserver.crt'),
    apiserverKey: p('apiserver.key'),
    etcdServerCert: p('etcd-server.crt'),
    etcdServerKey: p('etcd-server.key'),
    etcdClientCert: p('apiserver-etcd-client.crt'),
    etcdClientKey: p('apiserver-etcd-client.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    controllerManagerCert: p('controller-manager.crt'),
    controllerManagerKey: p('controller-manager.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error('the `openssl` command is missing (Debian: apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

function writeEcKey(file: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(file, privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
}

function usable(certFile: string, keyFile: string): boolean {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    return new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

function extensionConfig(spec: LeafSpec): string {
  const eku = { server: 'serverAuth', client: 'clientAuth', 'server+client': 'serverAuth, clientAuth' }[spec.usage];
  const sans = [...(spec.dnsNames ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((ip) => `IP:${ip}`)];
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    ...(spec.org ? [`O = ${spec.org}`] : []),
    `CN = ${spec.cn}`,
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    `extendedKeyUsage = ${eku}`,
    ...(sans.length ? [`subjectAltName = ${sans.join(', ')}`] : []),
    '',
  ].join('\n');
}

/** Issues one leaf certificate signed by the CA in `dir` (overwrites the leaf's files). */
export function issueLeaf(dir: string, spec: LeafSpec, days = LEAF_DAYS): { cert: string; key: string } {
  const caCert = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  const key = path.join(dir, `${spec.name}.key`);
  const cert = path.join(dir, `${spec.name}.crt`);
  const cnf = path.join(dir, `.${spec.name}.cnf`);
  const csr = path.join(dir, `.${spec.name}.csr`);
  writeEcKey(key);
  writeFileSync(cnf, extensionConfig(spec));
  try {
    openssl(['req', '-new', '-key', key, '-config', cnf, '-out', csr]);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      cnf,
      '-extensions',
      'ext',
      '-out',
      cert,
    ]);
  } finally {
    rmSync(cnf, { force: true });
    rmSync(csr, { force: true });
  }
  return { cert, key };
}

function issueCa(pki: Pki): void {
  writeEcKey(pki.caKey);
  const cnf = path.join(pki.dir, '.ca.cnf');
  writeFileSync(
    cnf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      'x509_extensions = ext',
      '[dn]',
      'CN = nhi-test-cluster-ca',
      '[ext]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  try {
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      pki.caKey,
      '-config',
      cnf,
      '-days',
      String(CA_DAYS),
      '-sha256',
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-out',
      pki.caCert,
    ]);
  } finally {
    rmSync(cnf, { force: true });
  }
}

/**
 * Makes sure every certificate and key exists and is not about to expire. The CA and the
 * ServiceAccount signing key are made once (a new CA re-issues every leaf); leaves are re-issued
 * when missing or near expiry. Returns the names of what was (re)generated.
 */
export function ensurePki(dir: string): { pki: Pki; generated: string[] } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki = pkiPaths(dir);
  const generated: string[] = [];
  const newCa = !usable(pki.caCert, pki.caKey);
  if (newCa) {
    issueCa(pki);
    generated.push('ca');
  }
  for (const spec of LEAVES) {
    const cert = path.join(dir, `${spec.name}.crt`);
    const key = path.join(dir, `${spec.name}.key`);
    if (newCa || !usable(cert, key)) {
      issueLeaf(dir, spec);
      generated.push(spec.name);
    }
  }
  if (!existsSync(pki.saKey) || !existsSync(pki.saPub)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(pki.saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(pki.saPub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    generated.push('service-account-key');
  }
  return { pki, generated };
}
