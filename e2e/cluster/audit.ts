import { writeFileSync } from 'node:fs';
import { writeKubeconfig } from './kubeconfig';

/**
 * The audit policy of the test cluster. The first matching rule wins, so the order matters:
 *
 * 1. Secrets: Metadata only. Their bodies carry the values (data, and the last-applied annotation),
 *    so neither request nor response is ever written, whatever the rules below say.
 * 2. TokenRequest (`serviceaccounts/token`): RequestResponse, as the issue asks. NOTE: the response
 *    holds the issued bearer token, so this log (and the webhook sink) receives live, short-lived
 *    tokens: the audit log is mode 0600 inside the state dir, and the app's ingest must drop
 *    `responseObject.status.token`. Set NHI_AUDIT_TOKEN_LEVEL=Request to keep only the request.
 * 3. RBAC objects: RequestResponse (who granted what to whom).
 * 4. Everything else, including authentication/authorization reviews: Metadata.
 *
 * The RequestReceived stage is omitted (it repeats ResponseComplete's metadata and doubles volume).
 */
export function auditPolicy(tokenLevel: 'RequestResponse' | 'Request' = 'RequestResponse'): string {
  return `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets"]
  - level: ${tokenLevel}
    resources:
      - group: ""
        resources: ["serviceaccounts/token"]
  - level: RequestResponse
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: Metadata
`;
}

export function tokenAuditLevel(): 'RequestResponse' | 'Request' {
  const v = process.env.NHI_AUDIT_TOKEN_LEVEL;
  if (v === undefined || v === '' || v === 'RequestResponse') return 'RequestResponse';
  if (v === 'Request') return 'Request';
  throw new Error(`NHI_AUDIT_TOKEN_LEVEL=${v}: expected RequestResponse or Request`);
}

export function writeAuditPolicy(file: string, tokenLevel = tokenAuditLevel()): void {
  writeFileSync(file, auditPolicy(tokenLevel), { mode: 0o644 });
}

/** Audit webhook sink settings, read from the environment at `up` time. */
export interface AuditWebhook {
  url: string;
  /** Bearer token the sink expects (NHI_AUDIT_WEBHOOK_TOKEN), if any. */
  token?: string;
  /** CA file for an https sink with a private CA (NHI_AUDIT_WEBHOOK_CA_FILE). */
  caFile?: string;
}

export function auditWebhookFromEnv(): AuditWebhook | null {
  const url = process.env.NHI_AUDIT_WEBHOOK_URL;
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`NHI_AUDIT_WEBHOOK_URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`NHI_AUDIT_WEBHOOK_URL must be http(s), got ${parsed.protocol}`);
  }
  const hook: AuditWebhook = { url };
  if (process.env.NHI_AUDIT_WEBHOOK_TOKEN) hook.token = process.env.NHI_AUDIT_WEBHOOK_TOKEN;
  if (process.env.NHI_AUDIT_WEBHOOK_CA_FILE) hook.caFile = process.env.NHI_AUDIT_WEBHOOK_CA_FILE;
  return hook;
}

/** The kubeconfig-format file that --audit-webhook-config-file reads. */
export function writeAuditWebhookConfig(file: string, hook: AuditWebhook): void {
  writeKubeconfig(file, {
    name: 'nhi-audit-sink',
    server: hook.url,
    ...(hook.caFile ? { caFile: hook.caFile } : {}),
    user: hook.token ? { token: hook.token } : {},
  });
}

/** kube-apiserver flags for the audit log file and, when configured, the webhook (batch mode). */
export function auditFlags(paths: { policy: string; log: string; webhookConfig: string }, hook: AuditWebhook | null): string[] {
  const flags = [
    `--audit-policy-file=${paths.policy}`,
    `--audit-log-path=${paths.log}`,
    '--audit-log-format=json',
    '--audit-log-version=audit.k8s.io/v1',
    '--audit-log-maxsize=100',
    '--audit-log-maxbackup=2',
  ];
  if (hook) {
    flags.push(
      `--audit-webhook-config-file=${paths.webhookConfig}`,
      '--audit-webhook-mode=batch',
      '--audit-webhook-version=audit.k8s.io/v1',
      // Deliver within about a second instead of the 30 s default, so tests see events quickly.
      '--audit-webhook-batch-max-wait=1s',
      '--audit-webhook-initial-backoff=1s',
    );
  }
  return flags;
}
