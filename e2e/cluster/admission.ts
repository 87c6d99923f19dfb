import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

/**
 * The credentials the test API server sends to admission webhooks: `--admission-control-config-file` names an
 * AdmissionConfiguration whose ValidatingAdmissionWebhook plugin reads a kubeconfig of users by webhook host
 * (`*`: any), here with a bearer token (the dashboard's per-cluster ingest token). The API server reads it at start
 * only, so a change restarts the API server (and the controller-manager), as the audit webhook does.
 *
 * Read at `up` time: `UpOptions.admissionWebhook`, else NHI_ADMISSION_WEBHOOK_TOKEN (and NHI_ADMISSION_WEBHOOK_HOST,
 * default `*`); none by default, and then the flag is not passed at all.
 */
export interface AdmissionWebhookAuth {
  /** Bearer token sent to the webhooks. */
  token: string;
  /** The webhook's `host:port` the token is for (default `*`: every webhook). */
  host?: string;
}

export function admissionWebhookFromEnv(): AdmissionWebhookAuth | null {
  const token = process.env.NHI_ADMISSION_WEBHOOK_TOKEN;
  if (!token) return null;
  return { token, ...(process.env.NHI_ADMISSION_WEBHOOK_HOST ? { host: process.env.NHI_ADMISSION_WEBHOOK_HOST } : {}) };
}

export const admissionPaths = (stateDir: string) => {
  const dir = path.join(stateDir, 'admission');
  return { dir, config: path.join(dir, 'admission-config.yaml'), kubeconfig: path.join(dir, 'webhooks.kubeconfig') };
};

/** Writes (or, for none, removes) the AdmissionConfiguration and its kubeconfig (mode 0600: it holds the token). */
export function writeAdmissionConfig(stateDir: string, auth: AdmissionWebhookAuth | null): void {
  const p = admissionPaths(stateDir);
  if (!auth) {
    rmSync(p.dir, { recursive: true, force: true });
    return;
  }
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    p.kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      users: [{ name: auth.host ?? '*', user: { token: auth.token } }],
    }),
    { mode: 0o600 },
  );
  writeFileSync(
    p.config,
    stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AdmissionConfiguration',
      plugins: [
        {
          name: 'ValidatingAdmissionWebhook',
          configuration: {
            apiVersion: 'apiserver.config.k8s.io/v1',
            kind: 'WebhookAdmissionConfiguration',
            kubeConfigFile: p.kubeconfig,
          },
        },
      ],
    }),
    { mode: 0o600 },
  );
}

/** The kube-apiserver flag, only when webhooks get credentials. */
export const admissionFlags = (stateDir: string, auth: AdmissionWebhookAuth | null): string[] =>
  auth ? [`--admission-control-config-file=${admissionPaths(stateDir).config}`] : [];
