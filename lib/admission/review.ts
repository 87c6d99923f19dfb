/**
 * The admission webhook's judgement, pure: an `admission.k8s.io/v1` AdmissionReview → the AdmissionReview to answer,
 * and the decision to record (lib/admission/store.ts). No database, no network, no clock but `options.now`.
 *
 * The object is judged by `nhi check`'s engine (lib/check/check.ts) under the same policy, in the context of the
 * cluster the webhook speaks for (its collected roles, bindings, ServiceAccounts and namespaces, lib/check/context.ts,
 * less the object's own previous version), so a new RoleBinding is judged with the roles that exist.
 *
 * - Kinds: ServiceAccount, Role, ClusterRole, RoleBinding, ClusterRoleBinding and the pod controllers (Pod,
 *   Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). Any other kind is allowed, unrecorded.
 * - Operations: CREATE and UPDATE. DELETE and CONNECT are allowed, unrecorded; so are subresources (status, scale).
 * - `enforce`: denied when an open finding (not under a live exception of the policy) is at or above `failOn`
 *   (default high); the message names each rule, its title, what is wrong and the fix. `audit`: always allowed, the
 *   findings that would deny are the response's `warnings` (kubectl prints them).
 * - A Role or ClusterRole is judged with the cluster's bindings to it (what it grants is what those accounts get).
 * - An UPDATE is denied only for findings its previous version did not have: what was already there is a warning
 *   (scaling or relabelling a workload admitted before the webhook is never blocked; the finding is in the Findings
 *   list already).
 * - Pods, ReplicaSets and Jobs that Kubernetes' own controllers make for a controller object (a controller
 *   ownerReference, asked by a kube-system controller) are allowed unjudged: their template was judged when its
 *   Deployment, CronJob… was admitted. Anyone else's Pod is judged, ownerReferences or not.
 * - A dry run (`request.dryRun`) is judged and answered but not recorded (the webhook is `sideEffects: NoneOnDryRun`).
 */
import { z } from 'zod';
import { atOrAbove, checkObjects, type CheckFinding, type FailOn } from '@/lib/check/check';
import type { CheckPolicy } from '@/lib/check/policy';
import type { CredentialPolicy } from '@/lib/credentials/policy';
import type { RbacFacts } from '@/lib/findings/subjects';
import { invalidInput } from '@/lib/errors';
import type { Severity } from '@/lib/rbac/capabilities';

export const ADMISSION_MODES = ['enforce', 'audit'] as const;
export type AdmissionMode = (typeof ADMISSION_MODES)[number];

/** The kinds the webhook judges (and the resources its configuration asks for, lib/admission/config.ts). */
export const ADMISSION_KINDS = [
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
] as const;
const KINDS = new Set<string>(ADMISSION_KINDS);
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding']);
const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
/** Kubernetes' controllers that make Pods, ReplicaSets and Jobs from objects already admitted. */
const CONTROLLER_USERS = new Set(
  [
    'replicaset-controller',
    'deployment-controller',
    'job-controller',
    'cronjob-controller',
    'daemon-set-controller',
    'statefulset-controller',
    'replication-controller',
  ].map((c) => `system:serviceaccount:kube-system:${c}`),
);

export interface ReviewOptions {
  mode: AdmissionMode;
  /** Deny (enforce) or warn (audit) at or above this severity; `none` never does (default `high`). */
  failOn?: FailOn;
  /** The findings policy with its exceptions (default: the built-in one). */
  policy?: CheckPolicy;
  credentialPolicy?: CredentialPolicy;
  /**
   * The cluster the webhook speaks for, as Kubernetes objects (lib/check/context.ts), and, optionally, the reach
   * and escalation rows of those objects (lib/findings/subjects.ts rbacFactsOf, computed once per context by the
   * caller): a workload is then judged without building the cluster's escalation graph again (see `rbacFor`).
   */
  context?: { name: string; objects: readonly unknown[]; rbac?: () => RbacFacts };
  now?: Date;
}

const requestSchema = z.object({
  uid: z.string().min(1).max(128),
  kind: z.object({ group: z.string().default(''), version: z.string().default(''), kind: z.string() }),
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.string(),
  userInfo: z.object({ username: z.string().optional() }).loose().optional(),
  object: z.record(z.string(), z.unknown()).nullish(),
  oldObject: z.record(z.string(), z.unknown()).nullish(),
  dryRun: z.boolean().optional(),
});
const reviewSchema = z.object({
  apiVersion: z.literal('admission.k8s.io/v1', { error: 'expected apiVersion admission.k8s.io/v1' }),
  kind: z.literal('AdmissionReview', { error: 'expected kind AdmissionReview' }),
  request: requestSchema,
});
export type AdmissionRequest = z.output<typeof requestSchema>;

export interface AdmissionResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason: string; message: string };
    warnings?: string[];
  };
}

/** A finding as recorded with the decision (names only: the engine never writes a Secret's value). */
export interface DecisionFinding {
  rule: string;
  severity: Severity;
  title: string;
  subject: string;
  status: 'open' | 'excepted';
  /** An UPDATE's previous version had it too (never a reason to deny). */
  preexisting: boolean;
  fix: string;
}

export interface AdmissionDecision {
  uid: string;
  operation: string;
  kind: string;
  namespace: string;
  name: string;
  /** The workload the object belongs to, in `namespace` (null for RBAC objects and ServiceAccounts). */
  workload: { kind: string; name: string } | null;
  /** `namespace/name` of the ServiceAccounts the object concerns. */
  serviceAccounts: string[];
  decision: 'allowed' | 'denied' | 'warned';
  mode: AdmissionMode;
  failOn: FailOn;
  /** Rules of the findings that denied, or would have (audit), or were let through as pre-existing. */
  rules: string[];
  findings: DecisionFinding[];
  message: string;
  user: string;
  /** Whether it is to be recorded (not a dry run). */
  record: boolean;
}

export interface ReviewResult {
  response: AdmissionResponse;
  /** Null when the request was allowed without judgement (a kind, operation or subresource the webhook does not judge). */
  decision: AdmissionDecision | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const metaOf = (o: Obj): Obj => (isObj(o.metadata) ? o.metadata : {});

/** Parses an AdmissionReview; anything else is invalid input (400: the API server then applies the failure policy). */
export function parseAdmissionReview(input: unknown): AdmissionRequest {
  const parsed = reviewSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidInput(`not an admission.k8s.io/v1 AdmissionReview: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      code: 'ADMISSION_REVIEW_INVALID',
    });
  }
  return parsed.data.request;
}

/** The AdmissionReview to answer (see the module comment). */
export function review(admissionReview: unknown, options: ReviewOptions): AdmissionResponse {
  return reviewAdmission(admissionReview, options).response;
}

/** The answer and the decision to record (see the module comment). Throws invalid_input for a malformed review. */
export function reviewAdmission(admissionReview: unknown, options: ReviewOptions): ReviewResult {
  const req = parseAdmissionReview(admissionReview);
  const allow = (): ReviewResult => ({ response: answer(req.uid, true), decision: null });
  const kind = req.kind.kind;
  if (!KINDS.has(kind) || req.subResource || (req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !req.object)
    return allow();
  const object = judgeable(req.object, kind, req);
  const meta: Obj = {
    ...metaOf(object),
    ...(isObj(req.object.metadata) ? { ownerReferences: req.object.metadata.ownerReferences } : {}),
  };
  const namespace = CLUSTER_SCOPED.has(kind) ? '' : (str(meta.namespace) ?? '');
  const name = str(meta.name) || req.name || '';
  const user = req.userInfo?.username ?? '';
  if (madeByController(kind, meta, user)) return allow();

  const failOn = options.failOn ?? 'high';
  const now = options.now ?? new Date();
  const serviceAccounts = serviceAccountsOf(kind, object, namespace, name);
  const rbac = options.context?.rbac && rbacFor(kind, serviceAccounts, options.context.rbac);
  // A role is judged with the cluster's bindings to it: what it grants is what those accounts get.
  const boundBy =
    options.context && (kind === 'Role' || kind === 'ClusterRole')
      ? bindingsTo(options.context.objects, kind, namespace, name)
      : [];
  const context = options.context
    ? {
        name: options.context.name,
        objects: options.context.objects.filter((o) => !sameObject(o, kind, namespace, name) && !boundBy.includes(o as Obj)),
        ...(rbac ? { rbac } : {}),
      }
    : undefined;
  const file = `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
  const judge = (o: Obj) =>
    checkObjects([{ object: o, file }, ...boundBy.map((b) => ({ object: b, file: 'the cluster' }))], {
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.credentialPolicy ? { credentialPolicy: options.credentialPolicy } : {}),
      ...(context ? { context } : {}),
      failOn,
      defaultNamespace: namespace || 'default',
      now,
    }).findings;
  const findings = judge(object);
  const before =
    req.operation === 'UPDATE' && req.oldObject && findings.length
      ? new Set(judge(judgeable(req.oldObject, kind, req)).map((f) => f.fingerprint))
      : new Set<string>();

  const recorded = findings.map((f) => recordOf(f, before.has(f.fingerprint)));
  const blocking = findings.filter((f) => f.status === 'open' && atOrAbove(f.severity, failOn));
  const fresh = blocking.filter((f) => !before.has(f.fingerprint));
  const old = blocking.filter((f) => before.has(f.fingerprint));
  const what = `${kind} ${namespace ? `${namespace}/` : ''}${name}`;

  let response: AdmissionResponse;
  let decision: AdmissionDecision['decision'];
  let message = '';
  if (options.mode === 'enforce' && fresh.length) {
    message = denialMessage(what, fresh, failOn);
    response = answer(req.uid, false, { message, warnings: warningsOf(old, 'already there before this change') });
    decision = 'denied';
  } else {
    const warned = options.mode === 'audit' ? fresh : [];
    const warnings = [
      ...warningsOf(warned, 'would be denied in enforce mode'),
      ...warningsOf(old, 'already there before this change'),
    ];
    message = warnings.join('\n');
    response = answer(req.uid, true, { warnings });
    decision = warnings.length ? 'warned' : 'allowed';
  }
  return {
    response,
    decision: {
      uid: req.uid,
      operation: req.operation,
      kind,
      namespace,
      name,
      workload: WORKLOAD_KINDS.has(kind) ? workloadOf(kind, name, meta) : null,
      serviceAccounts,
      decision,
      mode: options.mode,
      failOn,
      rules: [...new Set(blocking.map((f) => f.rule))].sort(),
      findings: recorded,
      message,
      user,
      record: req.dryRun !== true,
    },
  };
}

/**
 * The context's RBAC facts where they are what the engine would compute for context + object, for everything
 * reported: a workload (Pod or pod controller) or a ServiceAccount whose account the context already knows. A
 * workload adds pods to the escalation graph, whose only new edges lead to that same account (a pod's token is its
 * account's); a known ServiceAccount's own fields change no grant and no path of its own. So the account's reach and
 * paths — the identity findings reported with the object — are the context's (lib/admission/review.test.ts compares
 * both ways on the demo cluster). RBAC objects and new accounts change grants: they are judged from scratch.
 */
function rbacFor(kind: string, serviceAccounts: readonly string[], facts: () => RbacFacts): RbacFacts | undefined {
  if (!WORKLOAD_KINDS.has(kind) && kind !== 'ServiceAccount') return undefined;
  const f = facts();
  return serviceAccounts.every((sa) => f.reach.has(`ServiceAccount/${sa}`)) ? f : undefined;
}

function answer(uid: string, allowed: boolean, extra: { message?: string; warnings?: string[] } = {}): AdmissionResponse {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed,
      ...(allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: extra.message ?? 'denied' } }),
      ...(extra.warnings?.length ? { warnings: extra.warnings } : {}),
    },
  };
}

/**
 * The object as the engine judges it: with the request's namespace where it names none (a CREATE through
 * `kubectl -n`), and without ownerReferences — the engine, as the collector, would file an owned Pod or ReplicaSet
 * under an owner the review does not carry; here the object itself is what is admitted.
 */
function judgeable(o: Obj, kind: string, req: AdmissionRequest): Obj {
  const { ownerReferences: _owners, ...meta } = metaOf(o);
  const namespace = CLUSTER_SCOPED.has(kind) || str(meta.namespace) || !req.namespace ? {} : { namespace: req.namespace };
  return { ...o, kind: str(o.kind) ?? kind, metadata: { ...meta, ...namespace } };
}

/** The context's bindings to a role (at most 100: a role bound more widely is judged with the first 100). */
function bindingsTo(objects: readonly unknown[], kind: string, namespace: string, name: string): Obj[] {
  return objects
    .filter(isObj)
    .filter((b) => {
      if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') return false;
      const ref = isObj(b.roleRef) ? b.roleRef : {};
      if (ref.kind !== kind || ref.name !== name) return false;
      return kind === 'ClusterRole' || (b.kind === 'RoleBinding' && (str(metaOf(b).namespace) ?? '') === namespace);
    })
    .slice(0, 100);
}

function sameObject(o: unknown, kind: string, namespace: string, name: string): boolean {
  if (!isObj(o) || o.kind !== kind) return false;
  const m = metaOf(o);
  return m.name === name && (str(m.namespace) ?? '') === namespace;
}

const controllerRef = (meta: Obj) =>
  (Array.isArray(meta.ownerReferences) ? meta.ownerReferences.filter(isObj) : []).find((r) => r.controller === true);

function madeByController(kind: string, meta: Obj, user: string): boolean {
  if (kind !== 'Pod' && kind !== 'ReplicaSet' && kind !== 'Job') return false;
  return controllerRef(meta) !== undefined && (CONTROLLER_USERS.has(user) || user === 'system:kube-controller-manager');
}

/**
 * The workload the collector will list the object under (lib/collect/normalize.ts topOwner): a ReplicaSet's
 * Deployment, a Job's CronJob, a Pod's controller (a ReplicaSet's Pod: its Deployment, by the pod-template-hash
 * suffix), else the object itself.
 */
export function workloadOf(kind: string, name: string, meta: Obj): { kind: string; name: string } {
  const ref = controllerRef(meta);
  const refKind = str(ref?.kind);
  const refName = str(ref?.name);
  if (!refKind || !refName) return { kind, name };
  if (kind === 'ReplicaSet' && refKind === 'Deployment') return { kind: refKind, name: refName };
  if (kind === 'Job' && refKind === 'CronJob') return { kind: refKind, name: refName };
  if (kind !== 'Pod') return { kind, name };
  const labels = isObj(meta.labels) ? meta.labels : {};
  const hash = str(labels['pod-template-hash']);
  if (refKind === 'ReplicaSet' && hash && refName.endsWith(`-${hash}`))
    return { kind: 'Deployment', name: refName.slice(0, -hash.length - 1) };
  if (['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'].includes(refKind))
    return { kind: refKind, name: refName };
  return { kind, name };
}

/** `namespace/name` of the ServiceAccounts the object concerns: itself, a binding's subjects, a workload's account. */
export function serviceAccountsOf(kind: string, object: Obj, namespace: string, name: string): string[] {
  if (kind === 'ServiceAccount') return [`${namespace}/${name}`];
  if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
    const subjects = Array.isArray(object.subjects) ? object.subjects.filter(isObj) : [];
    return [
      ...new Set(
        subjects
          .filter((s) => s.kind === 'ServiceAccount' && typeof s.name === 'string')
          .map((s) => `${str(s.namespace) || namespace}/${String(s.name)}`),
      ),
    ].sort();
  }
  if (!WORKLOAD_KINDS.has(kind)) return [];
  const spec = podSpec(kind, object);
  return [`${namespace}/${str(spec.serviceAccountName) || str(spec.serviceAccount) || 'default'}`];
}

function podSpec(kind: string, o: Obj): Obj {
  const spec = isObj(o.spec) ? o.spec : {};
  if (kind === 'Pod') return spec;
  if (kind === 'CronJob') {
    const job = isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
    return isObj(job.template) && isObj(job.template.spec) ? job.template.spec : {};
  }
  return isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : {};
}

const subjectText = (f: CheckFinding) =>
  `${f.subject.kind} ${f.subject.kind === 'Namespace' || !f.subject.namespace ? '' : `${f.subject.namespace}/`}${f.subject.name}`;
const fixText = (f: CheckFinding) => `${f.remediation.text}${f.remediation.command ? ` (${f.remediation.command})` : ''}`;

function recordOf(f: CheckFinding, preexisting: boolean): DecisionFinding {
  return {
    rule: f.rule,
    severity: f.severity,
    title: f.title,
    subject: subjectText(f),
    status: f.status,
    preexisting,
    fix: fixText(f),
  };
}

/** Kubernetes shows at most about 4 KB of a denial comfortably: the first findings in full, then how many more. */
const SHOWN = 3;

/** `nhi denied Deployment shop/web: NHI-POS-004 Privileged container (critical): … Fix: …; …` */
export function denialMessage(what: string, findings: readonly CheckFinding[], failOn: FailOn): string {
  const parts = findings.slice(0, SHOWN).map((f) => `${f.rule} ${f.title} (${f.severity}): ${f.message} Fix: ${fixText(f)}`);
  const more =
    findings.length > SHOWN
      ? ` (and ${findings.length - SHOWN} more: ${findings
          .slice(SHOWN)
          .map((f) => f.rule)
          .join(', ')})`
      : '';
  return plain(
    `nhi denied ${what} (findings at or above ${failOn}): ${parts.join(' | ')}${more}. ` +
      'A justified exception goes in the findings policy (spec.exceptions, with an expiry).',
  );
}

/** One warning per finding, each at most 256 characters (the API server truncates longer ones). */
function warningsOf(findings: readonly CheckFinding[], why: string): string[] {
  return findings.map((f) => {
    const text = plain(`${f.rule} ${f.title} (${f.severity}, ${subjectText(f)}): ${why}. Fix: ${f.remediation.text}`);
    return text.length > 256 ? `${text.slice(0, 253)}...` : text;
  });
}

/** Printable ASCII punctuation, one line (warnings travel in an HTTP header). */
const plain = (s: string) =>
  s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/\s*\n\s*/g, ' ');
