/**
 * The admission webhook's settings and the configuration a cluster applies to call it.
 *
 * Settings come from the server's environment, read at every request (so a change needs no restart):
 * - `NHI_ADMISSION_MODE`: `audit` (default) or `enforce` for every cluster, or per cluster as
 *   `prod=enforce,staging=audit,*=audit` (`*`: the others; a cluster not named and no `*`: audit).
 * - `NHI_ADMISSION_FAIL_ON`: the severity that denies (enforce) or warns (audit): `critical`, `high` (default),
 *   `medium`, `low` or `none`.
 * An invalid value is the server's problem: the request fails (503) and the API server applies the webhook's
 * failure policy.
 *
 * `webhookConfiguration()` is the ValidatingWebhookConfiguration `nhi admission config` prints: the kinds
 * lib/admission/review.ts judges, CREATE and UPDATE, `timeoutSeconds: 5`, `matchPolicy: Equivalent`,
 * `sideEffects: NoneOnDryRun` (decisions are recorded, dry runs are not), kube-system (and any namespace named)
 * left out, and the failure policy of the mode: `Ignore` for audit (the dashboard being down never blocks a
 * deploy), `Fail` for enforce (nothing passes unjudged).
 */
import { stringify } from 'yaml';
import { FAIL_ON, type FailOn } from '@/lib/check/check';
import { AppError, invalidInput } from '@/lib/errors';
import { ADMISSION_MODES, type AdmissionMode } from './review';

export interface AdmissionSettings {
  mode: AdmissionMode;
  failOn: FailOn;
}

const isMode = (v: string): v is AdmissionMode => (ADMISSION_MODES as readonly string[]).includes(v);

/** The mode and threshold for `cluster`, from NHI_ADMISSION_MODE and NHI_ADMISSION_FAIL_ON (see the module comment). */
export function admissionSettings(cluster: string, env: NodeJS.ProcessEnv = process.env): AdmissionSettings {
  const unusable = (what: string) =>
    new AppError('unavailable', `the server's admission settings cannot be used (${what}); ask an administrator to fix them`, {
      code: 'ADMISSION_SETTINGS_INVALID',
    });
  const failOn = (env.NHI_ADMISSION_FAIL_ON ?? '').trim() || 'high';
  if (!(FAIL_ON as readonly string[]).includes(failOn))
    throw unusable(`NHI_ADMISSION_FAIL_ON must be one of ${FAIL_ON.join(', ')}`);
  const raw = (env.NHI_ADMISSION_MODE ?? '').trim() || 'audit';
  if (!raw.includes('=')) {
    if (!isMode(raw)) throw unusable('NHI_ADMISSION_MODE must be audit, enforce or CLUSTER=MODE,…');
    return { mode: raw, failOn: failOn as FailOn };
  }
  const modes = new Map<string, AdmissionMode>();
  for (const part of raw.split(',')) {
    const [name, mode] = part.split('=').map((s) => s.trim());
    if (!name || !mode || !isMode(mode)) throw unusable(`NHI_ADMISSION_MODE: "${part.trim()}" is not CLUSTER=audit|enforce`);
    modes.set(name, mode);
  }
  return { mode: modes.get(cluster) ?? modes.get('*') ?? 'audit', failOn: failOn as FailOn };
}

/** The resources of the judged kinds, by API group (the webhook configuration's rules). */
export const ADMISSION_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['serviceaccounts', 'pods'] },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    apiVersions: ['v1'],
    resources: ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'],
  },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
] as const;

export const WEBHOOK_TIMEOUT_SECONDS = 5;
export const FAILURE_POLICY: Record<AdmissionMode, 'Fail' | 'Ignore'> = { enforce: 'Fail', audit: 'Ignore' };

export interface WebhookConfigOptions {
  /** The dashboard's base URL as the API server reaches it (https), or the full webhook URL. */
  url: string;
  /** The cluster's name in the dashboard (the path segment and the ingest token's cluster). */
  cluster: string;
  mode: AdmissionMode;
  /** PEM of the CA that signed the dashboard's serving certificate (absent: the API server's system roots). */
  caPem?: string;
  /** Namespaces never sent (default kube-system; add the dashboard's own under enforce). */
  excludeNamespaces?: readonly string[];
  /** The configuration's name (default nhi-admission). */
  name?: string;
  /** Only objects with these labels (tests confine the webhook to their own objects). */
  objectSelector?: Record<string, string>;
  timeoutSeconds?: number;
}

/** `https://host[/prefix]` + `/api/admission/<cluster>`, unless the URL already ends with that path. */
export function webhookUrl(base: string, cluster: string): string {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw invalidInput(`--url: "${base}" is not a URL`);
  }
  if (u.protocol !== 'https:') throw invalidInput('--url: the API server calls admission webhooks over https only');
  if (u.username || u.password || u.search || u.hash)
    throw invalidInput('--url: a webhook URL may hold no user, password, query or fragment');
  const path = `/api/admission/${encodeURIComponent(cluster)}`;
  const prefix = u.pathname.replace(/\/+$/, '');
  u.pathname = prefix.endsWith(path) ? prefix : `${prefix}${path}`;
  return u.toString();
}

/** The ValidatingWebhookConfiguration object (see the module comment). */
export function webhookConfiguration(o: WebhookConfigOptions) {
  const exclude = [...new Set(o.excludeNamespaces?.length ? o.excludeNamespaces : ['kube-system'])];
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: o.name ?? 'nhi-admission',
      labels: { 'app.kubernetes.io/name': 'nhi-dashboard', 'nhi.dev/admission-mode': o.mode },
    },
    webhooks: [
      {
        name: 'admission.nhi.dev',
        admissionReviewVersions: ['v1'],
        clientConfig: {
          url: webhookUrl(o.url, o.cluster),
          ...(o.caPem ? { caBundle: Buffer.from(o.caPem).toString('base64') } : {}),
        },
        rules: ADMISSION_RULES.map((r) => ({
          apiGroups: [...r.apiGroups],
          apiVersions: [...r.apiVersions],
          operations: ['CREATE', 'UPDATE'],
          resources: [...r.resources],
          scope: '*',
        })),
        failurePolicy: FAILURE_POLICY[o.mode],
        matchPolicy: 'Equivalent',
        sideEffects: 'NoneOnDryRun',
        timeoutSeconds: o.timeoutSeconds ?? WEBHOOK_TIMEOUT_SECONDS,
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: exclude }],
        },
        ...(o.objectSelector ? { objectSelector: { matchLabels: o.objectSelector } } : {}),
      },
    ],
  };
}

/** The configuration as YAML, with a header saying how the server must be set for the mode. */
export function webhookConfigurationYaml(o: WebhookConfigOptions): string {
  const header = [
    `# nhi admission webhook for cluster "${o.cluster}", ${o.mode} mode.`,
    `# The dashboard decides the mode: set NHI_ADMISSION_MODE=${o.mode} (or ${o.cluster}=${o.mode},…) on its server.`,
    "# The API server authenticates with the cluster's ingest token (npx nhi ingest-token create):",
    '# kube-apiserver --admission-control-config-file (README, "Admission webhook").',
    `# failurePolicy ${FAILURE_POLICY[o.mode]}: ${o.mode === 'enforce' ? 'nothing passes unjudged while the dashboard is down' : 'the dashboard being down never blocks a deploy'}.`,
  ];
  return `${header.join('\n')}\n${stringify(webhookConfiguration(o))}`;
}
