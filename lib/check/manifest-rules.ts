/**
 * Rules that only manifests can answer (`nhi check`, lib/check/check.ts), in the style of the posture rules
 * (lib/findings/rules.ts: id, title, severity, OWASP NHI item, explanation, remediation). They read what the
 * collector does not keep — environment variables of pod templates — or judge before deploy what the posture rules
 * judge with runtime evidence after it:
 *
 * - NHI-MAN-001 (high): a secret written literally in a container's environment: a variable whose name says it
 *   holds a secret (PASSWORD, TOKEN, API_KEY, …, not …_FILE, …_NAME, …_URL and the like) with a literal value, or any
 *   variable whose value is a URL with a password in it. The value is in the manifest, hence in Git, in CI logs and
 *   readable by everyone who can read the workload; it cannot be rotated without a deploy. Values are never shown.
 * - NHI-MAN-002 (low): a Secret handed to a container as environment variables (env secretKeyRef, envFrom
 *   secretRef) instead of a mounted file (CIS 5.4.1): the environment is inherited by every child process, dumped
 *   by crash reporters and debug endpoints, and does not follow a rotation until the pod restarts. Low: it is a
 *   hardening step, not an exposure by itself, so it does not fail the default gate.
 * - NHI-MAN-003 (low): the API token is automounted for a ServiceAccount that the manifests (and the cluster given
 *   with --cluster) grant nothing — the static counterpart of NHI-POS-006, which needs audit events. A token
 *   that opens nothing is only something to steal (and becomes a key the day someone binds the account).
 * - NHI-MAN-004 (low): a workload names no owning team: no owner label or annotation on it or on its Namespace
 *   (the keys the inventory reads, lib/collect/normalize.ts), the workload counterpart of NHI-POS-007.
 */
import type { OwaspNhiId } from '@/lib/owasp';
import type { Severity } from '@/lib/rbac/capabilities';
import type { Evidence, Remediation } from '@/lib/findings/rules';

/** A workload of the manifests as these rules see it. */
export interface ManifestWorkloadSubject {
  /** `<ns>/<kind>/<name>`, as the posture rules' workload key. */
  key: string;
  namespace: string;
  kind: string;
  name: string;
  serviceAccount: string;
  /** Whether the API token is automounted, and what decides it. */
  tokenMounted: boolean;
  automountSetOn: 'pod template' | 'ServiceAccount' | 'default';
  /** Roles granted to its ServiceAccount by the manifests (and the cluster context); null: not known. */
  accountGrants: number | null;
  /** Variables with a literal secret value (names only). */
  literalSecretEnv: { container: string; variable: string; why: 'name' | 'url-password' }[];
  /** Secrets read into the environment. */
  secretEnv: { container: string; variable: string | null; secret: string }[];
  /** Teams named by its labels or its namespace's (owner hints). */
  owners: string[];
}

export interface ManifestRule {
  id: string;
  title: string;
  severity: Severity;
  owasp: OwaspNhiId[];
  cis?: string;
  aliases: string[];
  evaluate(w: ManifestWorkloadSubject): Evidence | null;
  explain(w: ManifestWorkloadSubject, e: Evidence): string;
  remediation(w: ManifestWorkloadSubject, e: Evidence): Remediation;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const list = (xs: readonly string[], max = 5) =>
  xs.length > max ? `${xs.slice(0, max).join(', ')} and ${xs.length - max} more` : xs.join(', ');

const SECRET_WORDS =
  /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|MASTER_?KEY|CREDENTIALS?)/;
/** Names that hold where a secret is, or a setting about it, rather than the secret. */
const NOT_A_SECRET =
  /_(FILE|FILES|PATH|DIR|NAME|NAMES|REF|KEY_?NAME|URL|URI|ENDPOINT|HOST|PORT|AUDIENCE|TTL|EXPIRY|EXPIRATION|LIFETIME|DURATION|SECONDS|PERIOD|INTERVAL|TIMEOUT|ENABLED?|DISABLED?|MODE|TYPE|ID|HEADER|NAMESPACE|LENGTH|SIZE|FORMAT|ISSUER|VERSION|PREFIX|LOCATION|PROVIDER|BACKEND|SOURCE|REQUIRED|VALIDATION|VERIFY|STORE)$/;
/** Values that are settings or references, not secrets. */
const NOT_A_SECRET_VALUE = /^(true|false|yes|no|on|off|none|null|enabled|disabled|\d+(\.\d+)?[a-z]{0,2})$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

/** Whether a variable with a literal value holds a secret, and why (null: it does not look like one). */
export function literalSecretReason(variable: string, value: string): 'name' | 'url-password' | null {
  const v = value.trim();
  if (!v) return null;
  if (URL_WITH_PASSWORD.test(v) && !/:\/\/[^/\s:@]+:\$\(/.test(v)) return 'url-password';
  const name = variable.toUpperCase().replace(/[-.]/g, '_');
  if (!SECRET_WORDS.test(name) || NOT_A_SECRET.test(name)) return null;
  if (NOT_A_SECRET_VALUE.test(v) || v.startsWith('/') || v.includes('$(') || /^[a-z]+:\/\//i.test(v)) return null;
  return 'name';
}

const containersOf = (spec: Obj) => [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)];

/** The environment facts of a pod spec: literal secrets (names only) and Secrets read into the environment. */
export function envFacts(spec: Obj): Pick<ManifestWorkloadSubject, 'literalSecretEnv' | 'secretEnv'> {
  const literalSecretEnv: ManifestWorkloadSubject['literalSecretEnv'] = [];
  const secretEnv: ManifestWorkloadSubject['secretEnv'] = [];
  for (const c of containersOf(spec)) {
    const container = str(c.name) ?? '';
    for (const e of arr(c.env)) {
      const variable = str(e.name) ?? '';
      const value = e.value;
      if (typeof value === 'string' || typeof value === 'number') {
        const why = literalSecretReason(variable, String(value));
        if (why) literalSecretEnv.push({ container, variable, why });
      }
      const ref = isObj(e.valueFrom) && isObj(e.valueFrom.secretKeyRef) ? str(e.valueFrom.secretKeyRef.name) : undefined;
      if (ref) secretEnv.push({ container, variable, secret: ref });
    }
    for (const e of arr(c.envFrom)) {
      const ref = isObj(e.secretRef) ? str(e.secretRef.name) : undefined;
      if (ref) secretEnv.push({ container, variable: null, secret: ref });
    }
  }
  return { literalSecretEnv, secretEnv };
}

const mountYaml = (secret: string) => `# in the pod template
spec:
  volumes:
    - name: ${secret}
      secret:
        secretName: ${secret}
        defaultMode: 0400
  containers:
    - name: app
      volumeMounts:
        - name: ${secret}
          mountPath: /var/run/secrets/app
          readOnly: true`;

export const MANIFEST_RULES: readonly ManifestRule[] = [
  {
    id: 'NHI-MAN-001',
    title: 'Secret value written literally in a container environment',
    severity: 'high',
    owasp: ['NHI2'],
    aliases: ['Kubescape C-0012', 'KICS "Secrets As Environment Variables"'],
    evaluate(w) {
      if (!w.literalSecretEnv.length) return null;
      return { variables: w.literalSecretEnv.map((v) => ({ container: v.container, variable: v.variable, why: v.why })) };
    },
    explain(w, e) {
      const vars = e.variables as { container: string; variable: string; why: string }[];
      const urls = vars.some((v) => v.why === 'url-password');
      return `${w.kind} ${w.namespace}/${w.name} sets ${list(vars.map((v) => `${v.variable} (container ${v.container})`))} to a literal value${urls ? ' (a URL with a password in it counts too)' : ''}. The secret is in the manifest: in Git history, in CI logs and rendered charts, and readable by anyone allowed to read the ${w.kind}. It can be neither rotated nor revoked without a new deploy. The value is not shown here.`;
    },
    remediation(w, e) {
      const first = (e.variables as { variable: string }[])[0]!.variable;
      const secret = `${w.name}-credentials`.slice(0, 63);
      return {
        text: `Rotate the value (it is in the history), store it in a Secret made outside the manifests (External Secrets, Sealed Secrets or kubectl), mount that Secret as a file and read it from there; remove the literal from ${w.name}'s pod template.`,
        yaml: mountYaml(secret),
        command: `kubectl -n ${w.namespace} create secret generic ${secret} --from-literal=${first}=<new value>`,
      };
    },
  },
  {
    id: 'NHI-MAN-002',
    title: 'Secret passed to a container through environment variables',
    severity: 'low',
    owasp: ['NHI2'],
    cis: '5.4.1',
    aliases: ['Kubescape C-0207'],
    evaluate(w) {
      if (!w.secretEnv.length) return null;
      return {
        secrets: [...new Set(w.secretEnv.map((s) => s.secret))].sort(),
        variables: w.secretEnv.map((s) => ({
          container: s.container,
          ...(s.variable ? { variable: s.variable } : { envFrom: true }),
          secret: s.secret,
        })),
      };
    },
    explain(w, e) {
      const secrets = e.secrets as string[];
      return `${w.kind} ${w.namespace}/${w.name} reads Secret${secrets.length > 1 ? 's' : ''} ${list(secrets)} into environment variables. The environment is inherited by every process the container starts, printed by crash reporters, debug endpoints and "env" in a shell, and keeps the old value after a rotation until the pod restarts. A Secret mounted as a read-only file has none of these problems.`;
    },
    remediation(w, e) {
      const secret = (e.secrets as string[])[0]!;
      return {
        text: `Mount ${list(e.secrets as string[])} as read-only files and have ${w.name} read them from disk (many images accept a *_FILE variable for this).`,
        yaml: mountYaml(secret),
      };
    },
  },
  {
    id: 'NHI-MAN-003',
    title: 'API token automounted for a ServiceAccount granted nothing',
    severity: 'low',
    owasp: ['NHI5', 'NHI2'],
    cis: '5.1.6',
    aliases: ['Kubescape C-0034', 'NHI-POS-006 (with runtime evidence)'],
    evaluate(w) {
      if (!w.tokenMounted || w.accountGrants === null || w.accountGrants > 0) return null;
      return { serviceAccount: `${w.namespace}/${w.serviceAccount}`, automountSetOn: w.automountSetOn, grants: 0 };
    },
    explain(w, e) {
      return `${w.kind} ${w.namespace}/${w.name} gets ServiceAccount ${w.namespace}/${w.serviceAccount}'s API token mounted (automount ${String(e.automountSetOn)}), but no RoleBinding or ClusterRoleBinding in the manifests (or in the cluster checked against, with --cluster) grants that account anything. The token opens nothing the workload needs: it is only something to steal, and becomes a key the day someone binds the account.`;
    },
    remediation(w) {
      return {
        text: `Set automountServiceAccountToken: false on ${w.name}'s pod template (or on the ServiceAccount if none of its workloads calls the API).`,
        yaml: 'spec:\n  template:\n    spec:\n      automountServiceAccountToken: false',
      };
    },
  },
  {
    id: 'NHI-MAN-004',
    title: 'Workload names no owning team',
    severity: 'low',
    owasp: ['NHI1'],
    aliases: ['NHI-POS-007 (for ServiceAccounts)'],
    evaluate(w) {
      return w.owners.length ? null : { owners: [] };
    },
    explain(w) {
      return `${w.kind} ${w.namespace}/${w.name} names no owning team: no team/owner label or annotation (team, owner, app.kubernetes.io/team, app.kubernetes.io/owner, nhi.dev/team, app.kubernetes.io/part-of) on it or on its Namespace. Credentials and ServiceAccounts of unowned workloads are the ones nobody rotates or removes.`;
    },
    remediation(w) {
      return {
        text: `Label ${w.name} (or its namespace) with the team that owns it.`,
        yaml: 'metadata:\n  labels:\n    app.kubernetes.io/team: <team>',
        command: `kubectl -n ${w.namespace} label ${w.kind.toLowerCase()} ${w.name} app.kubernetes.io/team=<team>`,
      };
    },
  },
];

export const MANIFEST_RULE_BY_ID: ReadonlyMap<string, ManifestRule> = new Map(MANIFEST_RULES.map((r) => [r.id, r]));
