/**
 * `nhi check`'s judgement, pure: Kubernetes manifests (text) → a CheckReport, with no database and no network, so the
 * CLI (lib/cli/commands/check.ts), a CI runner without a database and, later, a web page and an admission webhook
 * share it.
 *
 * The manifests go through the same engine as a collected cluster: lib/findings/subjects.ts builds the posture
 * rules' subjects with the collector's reader, normaliser and RBAC engine (grants, capabilities, escalation paths),
 * and the rules that apply before deploy run on them:
 * - posture rules NHI-POS-001..005, 007..009, 011, 012 (lib/findings/rules.ts, scope-rules.ts); NHI-POS-006 needs
 *   runtime evidence and NHI-POS-010 a whole cluster, so they stay silent here;
 * - credential rules NHI-CRED-001 (legacy token Secrets), 004 (classes the credential policy forbids), 007 (a Secret
 *   shared by many workloads) and 010 (the default ServiceAccount), from lib/credentials/assess.ts; the rules about
 *   age, expiry and use need a live cluster, and NHI-CRED-009 is NHI-POS-012 here;
 * - the manifest rules NHI-MAN-001..004 (lib/check/manifest-rules.ts): secrets in the environment, token automount
 *   for an account granted nothing, workloads without an owner.
 *
 * With a cluster context (`context.objects`: the collected cluster's roles, bindings, ServiceAccounts and namespaces,
 * lib/check/context.ts) the manifests are judged together with what the cluster already holds — a new RoleBinding to
 * an existing ClusterRole gets that role's rules — but only subjects the manifests define or touch are reported.
 *
 * Each finding names the object of the manifests it is written in (file, line, Helm template) and is matched against
 * the policy's exceptions: a live exception makes it `excepted` (not counted for the exit code), an expired one no
 * longer applies and is listed under `policy.expiredExceptions`.
 */
import { podSpecOf } from '@/lib/collect/normalize';
import type { Inventory } from '@/lib/collect/inventory';
import type { KubeObject } from '@/lib/collect/types';
import { assessCredentials, RULES as CREDENTIAL_RULES, type CredentialFacts, type WorkloadFacts } from '@/lib/credentials/assess';
import { DEFAULT_POLICY as DEFAULT_CREDENTIAL_POLICY, type CredentialPolicy } from '@/lib/credentials/policy';
import { findingsPolicyLabel } from '@/lib/findings/policy';
import { evaluatePosture, POSTURE_RULE_BY_ID, type Evidence, type Remediation } from '@/lib/findings/rules';
import { subjectsFromObjects, type RbacFacts } from '@/lib/findings/subjects';
import { identityKey } from '@/lib/keys';
import type { OwaspNhiId } from '@/lib/owasp';
import { SEVERITIES, type Severity } from '@/lib/rbac/capabilities';
import { version as toolVersion } from '@/lib/version';
import { envFacts, MANIFEST_RULES, type ManifestWorkloadSubject } from './manifest-rules';
import { parseManifests, type CheckIssue, type LocatedObject, type ManifestText } from './parse';
import { DEFAULT_CHECK_POLICY, exceptionLive, exceptionMatches, type CheckException, type CheckPolicy } from './policy';

export const REPORT_VERSION = 1;
export const FAIL_ON = ['critical', 'high', 'medium', 'low', 'none'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** The posture rules that can fire on manifests (the others need runtime evidence or a whole cluster). */
export const CHECK_POSTURE_RULES = [
  'NHI-POS-001',
  'NHI-POS-002',
  'NHI-POS-003',
  'NHI-POS-004',
  'NHI-POS-005',
  'NHI-POS-007',
  'NHI-POS-008',
  'NHI-POS-009',
  'NHI-POS-011',
  'NHI-POS-012',
] as const;
/** The credential rules that apply before deploy (see the module comment). */
export const CHECK_CREDENTIAL_RULES = ['NHI-CRED-001', 'NHI-CRED-004', 'NHI-CRED-007', 'NHI-CRED-010'] as const;

/** A rule of the check's catalogue (the SARIF driver's rules, `--format json`'s titles). */
export interface CheckRule {
  id: string;
  title: string;
  /** The rule's base severity (a finding may be graded up or down from it). */
  severity: Severity;
  owasp: OwaspNhiId[];
  cis?: string;
  aliases: string[];
}

/** Every rule `check` runs, in id order. */
export const CHECK_RULES: readonly CheckRule[] = [
  ...CHECK_POSTURE_RULES.map((id) => {
    const r = POSTURE_RULE_BY_ID.get(id)!;
    return {
      id,
      title: r.title,
      severity: r.severity,
      owasp: [...r.owasp],
      ...(r.cis ? { cis: r.cis } : {}),
      aliases: [...r.aliases],
    };
  }),
  ...CHECK_CREDENTIAL_RULES.map((id) => {
    const r = CREDENTIAL_RULES[id];
    return { id, title: r.title, severity: r.severity, owasp: [...r.owasp], aliases: [] as string[] };
  }),
  ...MANIFEST_RULES.map((r) => ({
    id: r.id,
    title: r.title,
    severity: r.severity,
    owasp: [...r.owasp],
    ...(r.cis ? { cis: r.cis } : {}),
    aliases: [...r.aliases],
  })),
];

export interface CheckOptions {
  /** The policy (default: the built-in one, no exception). */
  policy?: CheckPolicy;
  /** Where the policy came from, for the report (a file name, or `built-in`). */
  policySource?: string;
  /** The credential policy for NHI-CRED-… (default: the built-in one). */
  credentialPolicy?: CredentialPolicy;
  /** Exit threshold (default `high`). */
  failOn?: FailOn;
  /** Namespace of namespaced objects that name none, as `kubectl apply -n` (default `default`). */
  defaultNamespace?: string;
  /**
   * A collected cluster to judge the manifests in (lib/check/context.ts). `rbac`: the reach and escalation rows of
   * context + manifests computed before (lib/findings/subjects.ts rbacFactsOf), where the caller knows the
   * manifests change nothing of them that is reported (the admission webhook, for one workload).
   */
  context?: { name: string; objects: readonly unknown[]; rbac?: RbacFacts };
  /** For expiry of exceptions (default: now). */
  now?: Date;
}

export interface CheckObjectRef {
  kind: string;
  namespace: string;
  name: string;
  /** Where it is written: the file as given (relative to the working directory), `(stdin)`, or absent (not in the manifests). */
  file?: string;
  line?: number;
  helmSource?: string;
}

export interface CheckFinding {
  rule: string;
  severity: Severity;
  title: string;
  owasp: OwaspNhiId[];
  /** The object of the manifests the finding points at (a binding that grants, the workload, the Secret…). */
  object: CheckObjectRef;
  /** What the finding is about (a ServiceAccount, a workload, a namespace, a Secret). */
  subject: { kind: string; namespace: string; name: string };
  message: string;
  remediation: Remediation;
  evidence: Evidence;
  status: 'open' | 'excepted';
  exception?: { reason: string; expires: string };
  /** `<rule> <subject key>`: stable across runs (SARIF partialFingerprints). */
  fingerprint: string;
}

export interface ExpiredException extends CheckException {
  /** Findings of this run it would have covered. */
  matches: number;
}

export interface CheckReport {
  version: typeof REPORT_VERSION;
  tool: { name: 'nhi check'; version: string };
  policy: {
    name: string;
    version: number;
    label: string;
    source: string;
    exceptions: number;
    expiredExceptions: ExpiredException[];
  };
  context: { cluster: string } | null;
  failOn: FailOn;
  /** Whether an open finding is at or above `failOn`. */
  failed: boolean;
  summary: {
    objects: number;
    files: number;
    /** Open findings per severity. */
    bySeverity: Record<Severity, number>;
    open: number;
    excepted: number;
    /** Open findings at or above `failOn`. */
    failing: number;
  };
  findings: CheckFinding[];
  /** Input problems: any `error` makes the input unusable (the CLI exits 2). */
  issues: CheckIssue[];
  rules: readonly CheckRule[];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);
/** Whether a severity is at or above the threshold. */
export const atOrAbove = (s: Severity, failOn: FailOn) => failOn !== 'none' && rank(s) >= rank(failOn);

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'Node',
  'PersistentVolume',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'StorageClass',
  'PriorityClass',
  'APIService',
  'ClusterSPIFFEID',
]);
const WORKLOAD_KINDS = new Set([
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const meta = (o: Obj) => (isObj(o.metadata) ? o.metadata : {});
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

interface Placed extends LocatedObject {
  kind: string;
  namespace: string;
  name: string;
}

/** The manifests' objects by `Kind/namespace/name`, with the namespace kubectl would apply them to. */
function place(objects: readonly LocatedObject[], defaultNamespace: string): Placed[] {
  return objects.map((o) => {
    const kind = String(o.object.kind);
    const m = meta(o.object);
    const namespace = CLUSTER_SCOPED.has(kind) ? '' : str(m.namespace) || defaultNamespace;
    return { ...o, kind, namespace, name: str(m.name) ?? '' };
  });
}

/** Judges manifests (see the module comment). Never throws for bad input: problems are `issues`. */
export function checkManifests(texts: readonly (string | ManifestText)[], options: CheckOptions = {}): CheckReport {
  const inputs = texts.map((t, i) =>
    typeof t === 'string' ? { name: texts.length > 1 ? `manifest ${i + 1}` : 'manifest', text: t } : t,
  );
  const parsed = parseManifests(inputs);
  return checkObjects(parsed.objects, { ...options, issues: parsed.issues, files: inputs.length });
}

/** Judges objects already parsed (each with where it was written). */
export function checkObjects(
  located: readonly LocatedObject[],
  options: CheckOptions & { issues?: CheckIssue[]; files?: number } = {},
): CheckReport {
  const policy = options.policy ?? DEFAULT_CHECK_POLICY;
  const failOn = options.failOn ?? 'high';
  const now = options.now ?? new Date();
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const issues = [...(options.issues ?? [])];
  if (!located.length && !issues.some((i) => i.level === 'error'))
    issues.push({ level: 'error', message: 'no Kubernetes objects found in the input' });

  const placed = place(located, defaultNamespace);
  const objects = located.map((o) => o.object);
  const contextObjects = options.context?.objects ?? [];
  const s = subjectsFromObjects([...contextObjects, ...objects], {
    defaultNamespace,
    clusterName: options.context?.name ?? 'manifests',
    ...(options.context?.rbac ? { rbac: options.context.rbac } : {}),
  });
  // With a context, only what the manifests define or touch is reported.
  const inScope = options.context ? scopeOf(objects, defaultNamespace) : null;

  const posture = evaluatePosture(s.identities, s.workloads, { namespaces: s.namespaces, cluster: null, policy }).filter((f) =>
    (CHECK_POSTURE_RULES as readonly string[]).includes(f.ruleId),
  );
  const credentials = credentialFindings(s.inventory, options.credentialPolicy ?? DEFAULT_CREDENTIAL_POLICY, now);
  const grants = new Map(s.identities.map((i) => [i.key, i.grants.length]));
  const manifest = manifestFindings(placed, s.inventory, grants);

  const locate = locator(placed);
  const raw: Omit<CheckFinding, 'status' | 'exception'>[] = [];
  for (const f of posture) {
    const subject = subjectOf(f.subjectKey);
    if (!subject) continue;
    raw.push({
      rule: f.ruleId,
      severity: f.severity,
      title: f.title,
      owasp: f.owasp,
      object: locate(f.ruleId, subject, f.evidence),
      subject,
      message: f.explanation,
      remediation: f.remediation,
      evidence: f.evidence,
      fingerprint: `${f.ruleId} ${f.subjectKey}`,
    });
  }
  for (const f of credentials) {
    const subject =
      f.credential && !f.workload ? credentialSubject(f.credential) : f.workload ? subjectOf(`workload:${f.workload}`) : null;
    if (!subject) continue;
    const subjectKey = f.workload ? `workload:${f.workload}` : `secret:${subject.namespace}/${subject.name}`;
    raw.push({
      rule: f.ruleId,
      severity: f.severity,
      title: f.title,
      owasp: f.owasp,
      object: locate(f.ruleId, subject, f.evidence),
      subject,
      message: f.explanation,
      remediation: f.remediation,
      evidence: f.evidence,
      fingerprint: `${f.ruleId} ${subjectKey}`,
    });
  }
  for (const f of manifest) raw.push({ ...f, object: locate(f.rule, f.subject, f.evidence) });

  const findings: CheckFinding[] = [];
  const exceptions = policy.spec.exceptions;
  const expiredMatches = new Map<CheckException, number>();
  for (const f of raw) {
    if (inScope && !inScope(f)) continue;
    const target = { rule: f.rule, namespace: f.subject.namespace, name: f.subject.name };
    const live = exceptions.find((e) => exceptionLive(e, now) && exceptionMatches(e, target));
    for (const e of exceptions)
      if (!exceptionLive(e, now) && exceptionMatches(e, target)) expiredMatches.set(e, (expiredMatches.get(e) ?? 0) + 1);
    findings.push({
      ...f,
      status: live ? 'excepted' : 'open',
      ...(live ? { exception: { reason: live.reason, expires: live.expires } } : {}),
    });
  }
  findings.sort(
    (a, b) =>
      Number(a.status === 'excepted') - Number(b.status === 'excepted') ||
      rank(b.severity) - rank(a.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.fingerprint.localeCompare(b.fingerprint),
  );

  const open = findings.filter((f) => f.status === 'open');
  const bySeverity = Object.fromEntries([...SEVERITIES].reverse().map((sev) => [sev, 0])) as Record<Severity, number>;
  for (const f of open) bySeverity[f.severity]++;
  const failing = open.filter((f) => atOrAbove(f.severity, failOn)).length;
  return {
    version: REPORT_VERSION,
    tool: { name: 'nhi check', version: toolVersion },
    policy: {
      name: policy.metadata.name,
      version: policy.metadata.version,
      label: findingsPolicyLabel(policy),
      source: options.policySource ?? 'built-in',
      exceptions: exceptions.length,
      expiredExceptions: exceptions
        .filter((e) => !exceptionLive(e, now))
        .map((e) => ({ ...e, matches: expiredMatches.get(e) ?? 0 })),
    },
    context: options.context ? { cluster: options.context.name } : null,
    failOn,
    failed: failing > 0,
    summary: {
      objects: located.length,
      files: options.files ?? new Set(located.map((o) => o.file)).size,
      bySeverity,
      open: open.length,
      excepted: findings.length - open.length,
      failing,
    },
    findings,
    issues,
    rules: CHECK_RULES,
  };
}

/** `identity:ServiceAccount/ns/name`, `workload:ns/Kind/name`, `namespace:name` → what the finding is about. */
function subjectOf(subjectKey: string): CheckFinding['subject'] | null {
  const [type, rest = ''] = [subjectKey.slice(0, subjectKey.indexOf(':')), subjectKey.slice(subjectKey.indexOf(':') + 1)];
  const parts = rest.split('/');
  if (type === 'identity' && parts.length === 3) return { kind: parts[0]!, namespace: parts[1]!, name: parts[2]! };
  if (type === 'workload' && parts.length === 3) return { kind: parts[1]!, namespace: parts[0]!, name: parts[2]! };
  if (type === 'namespace') return { kind: 'Namespace', namespace: rest, name: rest };
  return null;
}

/** A credential key `<ns>/<CredentialKind>/<name>` → the Secret it is. */
function credentialSubject(key: string): CheckFinding['subject'] | null {
  const [namespace, , name] = key.split('/');
  return namespace !== undefined && name ? { kind: 'Secret', namespace, name } : null;
}

/** Which findings the manifests are about: the subjects they define or touch (a context adds only background). */
function scopeOf(objects: readonly unknown[], defaultNamespace: string): (f: Omit<CheckFinding, 'status'>) => boolean {
  const own = subjectsFromObjects(objects, { defaultNamespace });
  const identities = new Set(own.identities.map((i) => `${i.namespace}/${i.name}`));
  const workloads = new Set(own.workloads.map((w) => w.key));
  const namespaces = new Set(own.namespaces.map((n) => n.name));
  const secrets = new Set(own.inventory.credentials.map((c) => `${c.namespace}/${c.name}`));
  return (f) => {
    const { kind, namespace, name } = f.subject;
    if (kind === 'ServiceAccount') return identities.has(`${namespace}/${name}`);
    if (kind === 'Namespace') return namespaces.has(name);
    if (kind === 'Secret') return secrets.has(`${namespace}/${name}`);
    return workloads.has(`${namespace}/${kind}/${name}`);
  };
}

/** Where a finding is written in the manifests: the object that causes it, else the subject's own object. */
function locator(placed: readonly Placed[]) {
  const byKey = new Map<string, Placed>();
  for (const p of placed)
    if (!byKey.has(`${p.kind}/${p.namespace}/${p.name}`)) byKey.set(`${p.kind}/${p.namespace}/${p.name}`, p);
  const bindingsOf = new Map<string, Placed[]>();
  const workloadsOf = new Map<string, Placed[]>();
  for (const p of placed) {
    if (p.kind === 'RoleBinding' || p.kind === 'ClusterRoleBinding') {
      const subjects = Array.isArray(p.object.subjects) ? (p.object.subjects as unknown[]).filter(isObj) : [];
      for (const sub of subjects) {
        if (sub.kind !== 'ServiceAccount' || typeof sub.name !== 'string') continue;
        const ns = str(sub.namespace) || p.namespace;
        const key = `${ns}/${sub.name}`;
        bindingsOf.set(key, [...(bindingsOf.get(key) ?? []), p]);
      }
    }
    if (WORKLOAD_KINDS.has(p.kind)) {
      const spec = podSpecOf(p.object as unknown as KubeObject);
      const key = `${p.namespace}/${str(spec.serviceAccountName) || str(spec.serviceAccount) || 'default'}`;
      workloadsOf.set(key, [...(workloadsOf.get(key) ?? []), p]);
    }
  }
  const ref = (p: Placed): CheckObjectRef => ({
    kind: p.kind,
    namespace: p.namespace,
    name: p.name,
    file: p.file,
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(p.helmSource ? { helmSource: p.helmSource } : {}),
  });
  const GRANT_RULES = new Set(['NHI-POS-001', 'NHI-POS-002', 'NHI-POS-003']);
  return (rule: string, subject: CheckFinding['subject'], evidence: Evidence): CheckObjectRef => {
    if (subject.kind === 'ServiceAccount') {
      const sa = byKey.get(`ServiceAccount/${subject.namespace}/${subject.name}`);
      const granted = ((evidence.grants as { binding?: string }[] | undefined) ?? [])
        .map((g) => g.binding?.split(' ') ?? [])
        .map(([kind, ref]) => (kind && ref ? byKey.get(`${kind}/${ref.includes('/') ? ref : `/${ref}`}`) : undefined))
        .find(Boolean);
      const binding = granted ?? bindingsOf.get(`${subject.namespace}/${subject.name}`)?.[0];
      const workload = workloadsOf.get(`${subject.namespace}/${subject.name}`)?.[0];
      const p = GRANT_RULES.has(rule) ? (binding ?? sa ?? workload) : (sa ?? binding ?? workload);
      return p ? ref(p) : { ...subject };
    }
    const p = byKey.get(`${subject.kind}/${subject.kind === 'Namespace' ? '' : subject.namespace}/${subject.name}`);
    return p ? ref(p) : { ...subject };
  };
}

/** The credential rules that apply before deploy, on the manifests' credentials (no age, no use: none is known). */
function credentialFindings(inv: Inventory, policy: CredentialPolicy, now: Date) {
  const identitiesOfWorkload = new Map<string, string[]>();
  for (const wi of inv.workloadIdentities)
    identitiesOfWorkload.set(wi.workload, [...(identitiesOfWorkload.get(wi.workload) ?? []), wi.identity]);
  const usesOf = new Map<string, string[]>();
  for (const u of inv.credentialUses) usesOf.set(u.credential, [...new Set([...(usesOf.get(u.credential) ?? []), u.workload])]);
  const classOf = new Map(inv.credentials.map((c) => [c.key, c.class]));
  const credentials: CredentialFacts[] = inv.credentials.map((c) => {
    const workloads = (usesOf.get(c.key) ?? []).sort();
    const identities = [
      ...new Set([...(c.identity ? [c.identity] : []), ...workloads.flatMap((w) => identitiesOfWorkload.get(w) ?? [])]),
    ].sort();
    return {
      key: c.key,
      namespace: c.namespace,
      name: c.name,
      kind: c.kind,
      class: c.class,
      createdAt: null,
      rotatedAt: null,
      expiresAt: null,
      lastUsedAt: null,
      invalidSince: null,
      certificate: c.certificate,
      identities,
      workloads,
    };
  });
  const teams = new Map(inv.ownerHints.filter((h) => h.target.type === 'workload').map((h) => [h.target.key, h.team]));
  const apiCredentialOf = new Map<string, WorkloadFacts['apiCredential']>();
  for (const u of inv.credentialUses) {
    const cls = classOf.get(u.credential);
    if (cls === 'legacy-service-account-token') apiCredentialOf.set(u.workload, 'long-lived');
    else if (cls === 'projected-service-account-token' && apiCredentialOf.get(u.workload) !== 'long-lived')
      apiCredentialOf.set(u.workload, 'short-lived');
  }
  const workloads: WorkloadFacts[] = inv.workloads.map((w) => ({
    key: w.key,
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    serviceAccount: w.serviceAccountName,
    app: w.labels['app.kubernetes.io/name'] ?? w.labels.app ?? null,
    team: teams.get(w.key) ?? null,
    apiCredential: apiCredentialOf.get(w.key) ?? 'none',
  }));
  return assessCredentials(credentials, workloads, policy, now).findings.filter((f) =>
    (CHECK_CREDENTIAL_RULES as readonly string[]).includes(f.ruleId),
  );
}

/** NHI-MAN-… on the manifests' own workloads. */
function manifestFindings(
  placed: readonly Placed[],
  inv: Inventory,
  grants: ReadonlyMap<string, number>,
): Omit<CheckFinding, 'status' | 'exception' | 'object'>[] {
  const workloads = new Map(inv.workloads.map((w) => [w.key, w]));
  const accounts = new Map(inv.identities.filter((i) => i.kind === 'ServiceAccount').map((i) => [i.key, i]));
  const owned = new Set(inv.ownerHints.filter((h) => h.target.type === 'workload').map((h) => h.target.key));
  const teams = new Map<string, string[]>();
  for (const h of inv.ownerHints)
    if (h.target.type === 'workload') teams.set(h.target.key, [...(teams.get(h.target.key) ?? []), h.team]);
  const out: Omit<CheckFinding, 'status' | 'exception' | 'object'>[] = [];
  const seen = new Set<string>();
  for (const p of placed) {
    if (!WORKLOAD_KINDS.has(p.kind)) continue;
    const key = `${p.namespace}/${p.kind}/${p.name}`;
    const w = workloads.get(key);
    if (!w || seen.has(key)) continue; // a Pod owned by a controller of the manifests is judged as that controller
    seen.add(key);
    const accountKey = identityKey({ kind: 'ServiceAccount', namespace: w.namespace, name: w.serviceAccountName });
    const account = accounts.get(accountKey);
    const saAutomount = account?.automountToken ?? null;
    const subject: ManifestWorkloadSubject = {
      key,
      namespace: w.namespace,
      kind: w.kind,
      name: w.name,
      serviceAccount: w.serviceAccountName,
      tokenMounted: w.automountToken ?? saAutomount ?? true,
      automountSetOn: w.automountToken !== null ? 'pod template' : saAutomount !== null ? 'ServiceAccount' : 'default',
      accountGrants: grants.get(accountKey) ?? null,
      ...envFacts(podSpecOf(p.object as unknown as KubeObject)),
      owners: owned.has(key) ? (teams.get(key) ?? []) : [],
    };
    for (const rule of MANIFEST_RULES) {
      const evidence = rule.evaluate(subject);
      if (!evidence) continue;
      out.push({
        rule: rule.id,
        severity: rule.severity,
        title: rule.title,
        owasp: [...rule.owasp],
        subject: { kind: w.kind, namespace: w.namespace, name: w.name },
        message: rule.explain(subject, evidence),
        remediation: rule.remediation(subject, evidence),
        evidence,
        fingerprint: `${rule.id} workload:${key}`,
      });
    }
  }
  return out;
}
