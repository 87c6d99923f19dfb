import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export type KubeconfigUser = { certFile: string; keyFile: string } | { token: string } | Record<string, never>;

export interface KubeconfigSpec {
  /** Cluster, user and context name. */
  name: string;
  server: string;
  /** CA to trust for the server; omitted for plain http servers. */
  caFile?: string;
  user: KubeconfigUser;
  namespace?: string;
}

const b64 = (file: string) => readFileSync(file).toString('base64');

/** A self-contained kubeconfig (certificates embedded), written with mode 0600. */
export function writeKubeconfig(file: string, spec: KubeconfigSpec): string {
  const user: Record<string, string> = {};
  if ('certFile' in spec.user && spec.user.certFile) {
    user['client-certificate-data'] = b64(spec.user.certFile);
    user['client-key-data'] = b64(spec.user.keyFile);
  } else if ('token' in spec.user && spec.user.token) {
    user.token = spec.user.token;
  }
  const cluster: Record<string, string> = { server: spec.server };
  if (spec.caFile) cluster['certificate-authority-data'] = b64(spec.caFile);
  const context: Record<string, string> = { cluster: spec.name, user: spec.name };
  if (spec.namespace) context.namespace = spec.namespace;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.name, cluster }],
    users: [{ name: spec.name, user }],
    contexts: [{ name: spec.name, context }],
    'current-context': spec.name,
    preferences: {},
  };
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
