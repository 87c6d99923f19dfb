/**
 * Credential hygiene, judged (pure): age, expiry and last use of every credential, the findings of the
 * credential policy, and the short-lived coverage of workloads' API credentials. The same input and
 * `now` always give the same output; the caller stores it after each collection.
 */
import { identityKey } from '@/lib/keys';
import type { OwaspNhiId } from '@/lib/owasp';
import type { Severity } from '@/lib/rbac/capabilities';
import type { CertificateFacts } from './certificate';
import { CLASS_INFO, type CredentialClass, type Lifetime } from './classify';
import { maxAgeDays, type CredentialPolicy, type WorkloadClass } from './policy';

const DAY = 86_400_000;

export interface CredentialFacts {
  /** `<namespace>/<kind>/<name>`, unique in a cluster. */
  key: string;
  namespace: string;
  name: string;
  kind: string;
  class: CredentialClass;
  createdAt: Date | null;
  rotatedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  /** kubernetes.io/legacy-token-invalid-since: the API server no longer accepts the token. */
  invalidSince: Date | null;
  certificate: CertificateFacts | null;
  /** Keys of the identities it belongs to or is used by (ServiceAccount/ns/name). */
  identities: string[];
  /** Keys of the workloads that use it. */
  workloads: string[];
  /** cert-manager Certificate that issues it, when annotated. */
  certManagerCertificate?: string;
}

export interface WorkloadFacts {
  /** `<namespace>/<kind>/<name>`. */
  key: string;
  namespace: string;
  kind: string;
  name: string;
  serviceAccount: string;
  /** app.kubernetes.io/name (or app) label: workloads of one app may share an account. */
  app: string | null;
  team: string | null;
  /** What its API credential is: a projected token (short-lived), a legacy token Secret (long-lived), or none. */
  apiCredential: 'short-lived' | 'long-lived' | 'none';
}

export interface CredentialFinding {
  ruleId: string;
  title: string;
  severity: Severity;
  owasp: OwaspNhiId[];
  /** Why it matters, in plain words, with this subject's facts. */
  explanation: string;
  evidence: Record<string, unknown>;
  remediation: { text: string; yaml?: string; command?: string };
  /** Stable key of what the finding is about (one finding per rule and subject). */
  subjectKey: string;
  credential?: string;
  identity?: string;
  workload?: string;
}

export interface CoverageRow {
  scopeKind: 'cluster' | 'namespace' | 'team';
  scope: string;
  workloads: number;
  shortLived: number;
  longLived: number;
  none: number;
}

export const RULES = {
  'NHI-CRED-001': { title: 'Legacy ServiceAccount token Secret', severity: 'high', owasp: ['NHI7'] },
  'NHI-CRED-002': { title: 'Certificate expires soon', severity: 'medium', owasp: ['NHI7'] },
  'NHI-CRED-003': { title: 'Certificate has expired', severity: 'high', owasp: ['NHI7'] },
  'NHI-CRED-004': { title: 'Credential older than the policy allows', severity: 'medium', owasp: ['NHI7'] },
  'NHI-CRED-005': { title: 'Unused credential', severity: 'medium', owasp: ['NHI1'] },
  'NHI-CRED-006': { title: 'Dormant identity', severity: 'medium', owasp: ['NHI1'] },
  'NHI-CRED-007': { title: 'Secret shared by many workloads', severity: 'medium', owasp: ['NHI9'] },
  'NHI-CRED-008': { title: 'Certificate copied across namespaces', severity: 'medium', owasp: ['NHI9', 'NHI2'] },
  'NHI-CRED-009': { title: 'ServiceAccount shared by unrelated workloads', severity: 'medium', owasp: ['NHI9'] },
  'NHI-CRED-010': { title: 'Workload runs as the default ServiceAccount', severity: 'low', owasp: ['NHI9'] },
} as const satisfies Record<string, { title: string; severity: Severity; owasp: OwaspNhiId[] }>;
export type CredentialRuleId = keyof typeof RULES;

/** The workload class a credential policy distinguishes, from the controller kind. */
export function workloadClassOf(kind: string): WorkloadClass {
  if (kind === 'CronJob' || kind === 'Job') return 'batch';
  if (kind === 'DaemonSet') return 'node-agent';
  if (kind === 'Pod') return 'bare-pod';
  return 'service';
}

const days = (ms: number) => Math.floor(ms / DAY);
/** Groups without copying the group on every add (groups can hold thousands). */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export interface AssessedCredential extends CredentialFacts {
  lifetime: Lifetime;
  /** Whole days since created (or last rotated, if later). Null when the creation time is unknown. */
  ageDays: number | null;
  /** Days until expiry (negative: expired); null where the credential has no fixed end. */
  expiresInDays: number | null;
  /** Days since the last known use; null where no use is known. */
  unusedDays: number | null;
}

export function assessCredential(c: CredentialFacts, now: Date): AssessedCredential {
  const since = [c.createdAt, c.rotatedAt].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];
  const expiresAt = c.expiresAt ?? (c.certificate ? new Date(c.certificate.notAfter) : null);
  return {
    ...c,
    expiresAt,
    lifetime: CLASS_INFO[c.class].lifetime,
    ageDays: since ? Math.max(0, days(now.getTime() - since.getTime())) : null,
    expiresInDays: expiresAt ? Math.floor((expiresAt.getTime() - now.getTime()) / DAY) : null,
    unusedDays: c.lastUsedAt ? Math.max(0, days(now.getTime() - c.lastUsedAt.getTime())) : null,
  };
}

function finding(
  ruleId: CredentialRuleId,
  subjectKey: string,
  explanation: string,
  evidence: Record<string, unknown>,
  remediation: CredentialFinding['remediation'],
  about: Pick<CredentialFinding, 'credential' | 'identity' | 'workload'>,
): CredentialFinding {
  const rule = RULES[ruleId];
  return {
    ruleId,
    title: rule.title,
    severity: rule.severity,
    owasp: [...rule.owasp],
    explanation,
    evidence,
    remediation,
    subjectKey,
    ...about,
  };
}

/** The key (lib/keys.ts) of the ServiceAccount a workload runs as. */
const accountOf = (w: WorkloadFacts) => identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccount });

const saOf = (identityKey: string) => {
  const [, namespace, name] = identityKey.split('/');
  return { namespace: namespace ?? '', name: name ?? '' };
};

function projectedTokenYaml(serviceAccount: string): string {
  return [
    `# In the pod template of each workload running as ${serviceAccount}: a token the kubelet renews, bound to the pod.`,
    'spec:',
    `  serviceAccountName: ${serviceAccount}`,
    '  volumes:',
    '    - name: api-token',
    '      projected:',
    '        sources:',
    '          - serviceAccountToken:',
    '              path: token',
    '              expirationSeconds: 3600',
  ].join('\n');
}

/** Findings of one credential against the policy. */
function credentialFindings(
  c: AssessedCredential,
  policy: CredentialPolicy,
  workloads: Map<string, WorkloadFacts>,
): CredentialFinding[] {
  const out: CredentialFinding[] = [];
  const about = { credential: c.key, identity: c.identities[0] };
  const where = `${c.namespace}/${c.name}`;
  const spec = policy.spec;
  const unusedAfter = spec.unusedAfterDays;

  if (spec.forbiddenClasses.includes(c.class) && c.class === 'legacy-service-account-token') {
    const sa = c.identities[0] ? saOf(c.identities[0]).name : '<service-account>';
    out.push(
      finding(
        'NHI-CRED-001',
        c.key,
        `Secret ${where} holds a ServiceAccount token that never expires and works from anywhere until the Secret is deleted. ` +
          `Kubernetes issues short-lived, pod-bound tokens instead.`,
        {
          secret: where,
          serviceAccount: sa,
          ageDays: c.ageDays,
          lastUsed: c.lastUsedAt && isoDay(c.lastUsedAt),
          workloads: c.workloads,
        },
        {
          text: `Mount a projected token in the workloads that need one (or mint one with TokenRequest for jobs outside the cluster), then delete the Secret.`,
          yaml: projectedTokenYaml(sa),
          command: `kubectl -n ${c.namespace} create token ${sa} --duration=1h   # for a client outside the cluster\nkubectl -n ${c.namespace} delete secret ${c.name}`,
        },
        about,
      ),
    );
  } else if (spec.forbiddenClasses.includes(c.class)) {
    out.push(
      finding(
        'NHI-CRED-004',
        `${c.key}#forbidden`,
        `Secret ${where} is a ${CLASS_INFO[c.class].title.toLowerCase()}, a class the policy "${policy.metadata.name}" does not allow.`,
        { secret: where, class: c.class, policy: `${policy.metadata.name} v${policy.metadata.version}` },
        {
          text: `Replace it with a short-lived credential, then delete it.`,
          command: `kubectl -n ${c.namespace} delete secret ${c.name}`,
        },
        about,
      ),
    );
  }

  if (c.expiresInDays !== null && c.class === 'tls-certificate' && c.expiresAt) {
    const renew = c.certManagerCertificate
      ? `cmctl renew -n ${c.namespace} ${c.certManagerCertificate}`
      : `kubectl -n ${c.namespace} create secret tls ${c.name} --cert=NEW.crt --key=NEW.key --dry-run=client -o yaml | kubectl apply -f -`;
    const evidence = {
      secret: where,
      notAfter: c.expiresAt.toISOString(),
      daysLeft: c.expiresInDays,
      ...(c.certificate ? { subject: c.certificate.subject, fingerprintSha256: c.certificate.fingerprintSha256 } : {}),
    };
    if (c.expiresInDays < 0) {
      out.push(
        finding(
          'NHI-CRED-003',
          c.key,
          `The certificate in ${where} expired on ${isoDay(c.expiresAt)}: clients that check it refuse the connection.`,
          evidence,
          {
            text: 'Issue a new certificate and replace the Secret; automate renewal (cert-manager) so it cannot lapse again.',
            command: renew,
          },
          about,
        ),
      );
    } else if (c.expiresInDays <= spec.certificateExpiryWarningDays) {
      out.push(
        finding(
          'NHI-CRED-002',
          c.key,
          `The certificate in ${where} expires on ${isoDay(c.expiresAt)}, in ${c.expiresInDays} day(s) (the policy warns ${spec.certificateExpiryWarningDays} days ahead).`,
          evidence,
          { text: 'Renew it before it expires; automate renewal (cert-manager) where it is issued by hand.', command: renew },
          about,
        ),
      );
    }
  }

  // The strictest maximum age among the workload classes that use it (or the class's own).
  const classes = [
    ...new Set(
      c.workloads
        .map((w) => workloads.get(w))
        .filter(Boolean)
        .map((w) => workloadClassOf(w!.kind)),
    ),
  ];
  const limits = (classes.length ? classes : [undefined])
    .map((wc) => maxAgeDays(policy, c.class, wc))
    .filter((n): n is number => n !== undefined);
  const limit = limits.length ? Math.min(...limits) : undefined;
  if (limit !== undefined && c.ageDays !== null && c.ageDays > limit && c.lifetime === 'long-lived') {
    out.push(
      finding(
        'NHI-CRED-004',
        c.key,
        `${CLASS_INFO[c.class].title} ${where} was last created or rotated ${c.ageDays} days ago; the policy allows ${limit} days for it.`,
        {
          secret: where,
          class: c.class,
          ageDays: c.ageDays,
          maxAgeDays: limit,
          policy: `${policy.metadata.name} v${policy.metadata.version}`,
        },
        {
          text: 'Rotate it at its source (the database, the cloud account, the API provider), update the Secret, and restart the workloads that read it at start-up.',
          command:
            `kubectl -n ${c.namespace} create secret generic ${c.name} --from-literal=KEY=NEW_VALUE --dry-run=client -o yaml | kubectl apply -f -` +
            (c.workloads[0]
              ? `\nkubectl -n ${c.namespace} rollout restart ${c.workloads[0].split('/')[1]?.toLowerCase()}/${c.workloads[0].split('/')[2]}`
              : ''),
        },
        about,
      ),
    );
  }

  if (c.class === 'legacy-service-account-token') {
    const unused =
      c.invalidSince !== null ||
      (c.unusedDays !== null && c.unusedDays > unusedAfter) ||
      (c.lastUsedAt === null && c.ageDays !== null && c.ageDays > unusedAfter);
    if (unused) {
      const why = c.invalidSince
        ? `the API server has stopped accepting it (invalid since ${isoDay(c.invalidSince)})`
        : c.lastUsedAt
          ? `it was last used on ${isoDay(c.lastUsedAt)}, ${c.unusedDays} days ago`
          : `it has no recorded use in its ${c.ageDays} days`;
      out.push(
        finding(
          'NHI-CRED-005',
          c.key,
          `Token Secret ${where} is unused: ${why}. An unused credential is pure exposure.`,
          {
            secret: where,
            lastUsed: c.lastUsedAt && isoDay(c.lastUsedAt),
            invalidSince: c.invalidSince && isoDay(c.invalidSince),
            ageDays: c.ageDays,
          },
          { text: 'Delete it.', command: `kubectl -n ${c.namespace} delete secret ${c.name}` },
          about,
        ),
      );
    }
  }
  return out;
}

export interface Assessment {
  credentials: AssessedCredential[];
  findings: CredentialFinding[];
  coverage: CoverageRow[];
}

export function assessCredentials(
  credentials: readonly CredentialFacts[],
  workloads: readonly WorkloadFacts[],
  policy: CredentialPolicy,
  now: Date,
): Assessment {
  const byWorkload = new Map(workloads.map((w) => [w.key, w]));
  const assessed = credentials.map((c) => assessCredential(c, now));
  const findings = assessed.flatMap((c) => credentialFindings(c, policy, byWorkload));
  findings.push(...sharingFindings(assessed, workloads, policy), ...dormantFindings(assessed, workloads, policy, now));
  findings.sort((a, b) => (a.ruleId + a.subjectKey < b.ruleId + b.subjectKey ? -1 : 1));
  return { credentials: assessed, findings, coverage: coverageOf(workloads) };
}

function sharingFindings(
  credentials: AssessedCredential[],
  workloads: readonly WorkloadFacts[],
  policy: CredentialPolicy,
): CredentialFinding[] {
  const out: CredentialFinding[] = [];
  const max = policy.spec.maxWorkloadsPerSecret;
  for (const c of credentials) {
    if (c.lifetime === 'short-lived' || c.workloads.length <= max) continue;
    out.push(
      finding(
        'NHI-CRED-007',
        c.key,
        `Secret ${c.namespace}/${c.name} is used by ${c.workloads.length} workloads (the policy allows ${max}): one leak exposes all of them, and it cannot be rotated or revoked for one alone.`,
        { secret: `${c.namespace}/${c.name}`, workloads: c.workloads },
        { text: 'Give each workload a credential of its own, issued for it and scoped to what it needs.' },
        { credential: c.key },
      ),
    );
  }
  // The same certificate (by fingerprint) in several namespaces: copied rather than issued per use.
  const byFingerprint = new Map<string, AssessedCredential[]>();
  for (const c of credentials) if (c.certificate) push(byFingerprint, c.certificate.fingerprintSha256, c);
  for (const [fingerprint, copies] of byFingerprint) {
    const namespaces = [...new Set(copies.map((c) => c.namespace))].sort();
    if (namespaces.length < 2) continue;
    out.push(
      finding(
        'NHI-CRED-008',
        `certificate/${fingerprint}`,
        `One certificate (and so one private key) is stored in ${namespaces.length} namespaces: ${copies.map((c) => `${c.namespace}/${c.name}`).join(', ')}. Whoever can read any copy can impersonate all of them.`,
        { fingerprintSha256: fingerprint, secrets: copies.map((c) => `${c.namespace}/${c.name}`) },
        { text: 'Issue a certificate per namespace (or per service) instead of copying one.' },
        { credential: copies[0]!.key },
      ),
    );
  }
  // One ServiceAccount run by workloads of different apps.
  const bySa = new Map<string, WorkloadFacts[]>();
  for (const w of workloads) {
    const key = accountOf(w);
    push(bySa, key, w);
  }
  for (const [identity, list] of bySa) {
    const { namespace, name } = saOf(identity);
    if (name === 'default') continue; // the default account has its own rule
    const apps = [...new Set(list.map((w) => w.app ?? `${w.kind}/${w.name}`))].sort();
    if (apps.length < 2) continue;
    out.push(
      finding(
        'NHI-CRED-009',
        identity,
        `ServiceAccount ${namespace}/${name} is used by ${list.length} workloads of ${apps.length} different apps (${apps.join(', ')}): each gets the permissions all of them need, and their activity cannot be told apart.`,
        { serviceAccount: `${namespace}/${name}`, workloads: list.map((w) => w.key).sort(), apps },
        {
          text: 'Create one ServiceAccount per app and grant each only what it uses.',
          yaml: dedicatedAccountYaml(namespace, apps[0]!),
        },
        { identity },
      ),
    );
  }
  for (const w of workloads) {
    if (w.serviceAccount !== 'default') continue;
    out.push(
      finding(
        'NHI-CRED-010',
        w.key,
        `${w.kind} ${w.namespace}/${w.name} runs as the namespace's default ServiceAccount, which every workload without an account of its own shares: whatever is granted to one is granted to all.`,
        { workload: w.key, apiCredential: w.apiCredential },
        {
          text: 'Give it a ServiceAccount of its own; if it never calls the Kubernetes API, also turn off token automount.',
          yaml: dedicatedAccountYaml(w.namespace, w.name),
        },
        { workload: w.key, identity: accountOf(w) },
      ),
    );
  }
  return out;
}

function dedicatedAccountYaml(namespace: string, app: string): string {
  const name = app.replace(/[^a-z0-9-]/g, '-').slice(0, 63);
  return [
    'apiVersion: v1',
    'kind: ServiceAccount',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    'automountServiceAccountToken: false   # true only if the app calls the Kubernetes API',
    '---',
    `# and in the app's pod template: spec.serviceAccountName: ${name}`,
  ].join('\n');
}

/** Identities with credentials but no workload, none of whose credentials has been used lately. */
function dormantFindings(
  credentials: AssessedCredential[],
  workloads: readonly WorkloadFacts[],
  policy: CredentialPolicy,
  now: Date,
): CredentialFinding[] {
  const running = new Set(workloads.map(accountOf));
  const byIdentity = new Map<string, AssessedCredential[]>();
  for (const c of credentials) for (const i of c.identities) push(byIdentity, i, c);
  const after = policy.spec.unusedAfterDays;
  const out: CredentialFinding[] = [];
  for (const [identity, creds] of byIdentity) {
    if (running.has(identity)) continue;
    const staticOnes = creds.filter((c) => c.lifetime !== 'short-lived');
    if (!staticOnes.length || staticOnes.length !== creds.length) continue;
    const lastUse = staticOnes.map((c) => c.lastUsedAt?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0);
    const oldest = staticOnes.map((c) => c.ageDays ?? 0).reduce((a, b) => Math.max(a, b), 0);
    const dormant = lastUse ? days(now.getTime() - lastUse) > after : oldest > after;
    if (!dormant) continue;
    const { namespace, name } = saOf(identity);
    out.push(
      finding(
        'NHI-CRED-006',
        identity,
        `ServiceAccount ${namespace}/${name} runs no workload and ${lastUse ? `was last used on ${isoDay(new Date(lastUse))}` : `has no recorded use in ${oldest} days`}, yet it still holds ${staticOnes.length} long-lived credential(s).`,
        {
          serviceAccount: `${namespace}/${name}`,
          credentials: staticOnes.map((c) => `${c.namespace}/${c.name}`),
          lastUsed: lastUse ? isoDay(new Date(lastUse)) : null,
        },
        {
          text: 'Offboard it: delete its token Secrets, then the ServiceAccount and its bindings once nothing depends on it.',
          command: `kubectl -n ${namespace} delete serviceaccount ${name}`,
        },
        { identity },
      ),
    );
  }
  return out;
}

/** The share of workloads whose API credential is short-lived, per cluster, namespace and team. */
export function coverageOf(workloads: readonly WorkloadFacts[]): CoverageRow[] {
  const rows = new Map<string, CoverageRow>();
  const add = (scopeKind: CoverageRow['scopeKind'], scope: string, w: WorkloadFacts) => {
    const key = `${scopeKind}\u0000${scope}`;
    const row = rows.get(key) ?? { scopeKind, scope, workloads: 0, shortLived: 0, longLived: 0, none: 0 };
    row.workloads++;
    if (w.apiCredential === 'short-lived') row.shortLived++;
    else if (w.apiCredential === 'long-lived') row.longLived++;
    else row.none++;
    rows.set(key, row);
  };
  for (const w of workloads) {
    add('cluster', '', w);
    add('namespace', w.namespace, w);
    add('team', w.team ?? '(no owner)', w);
  }
  return [...rows.values()].sort((a, b) => (a.scopeKind + a.scope < b.scopeKind + b.scope ? -1 : 1));
}

/** Short-lived share of the workloads that have an API credential at all (null when none has one). */
export function shortLivedShare(row: Pick<CoverageRow, 'shortLived' | 'longLived'>): number | null {
  const total = row.shortLived + row.longLived;
  return total ? row.shortLived / total : null;
}
