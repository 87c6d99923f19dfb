/**
 * The detectors (catalogue.ts says what each means): pure functions from one ServiceAccount's calls, its
 * baseline and its class profile to candidate anomalies. engine.ts reads the events and counts from the
 * store, runs these, and merges candidates of one fingerprint into one anomaly.
 *
 * Everything here runs on event time, and every decision depends only on the events and the counts given,
 * never on the order in which they arrived, so an imported history gives what live traffic gave.
 */
import type { BlockList } from 'node:net';
import type { WorkloadClass } from './workload-class';
import { DETECTORS, falcoSeverity, type DetectorId, type Severity } from './catalogue';
import { utcTime } from '@/lib/format';
import { durationText, type ClassProfile } from './profiles';

/** A ServiceAccount's API call at its final stage (ResponseComplete or Panic), as the store keeps it. */
export interface CallEvent {
  key: string;
  at: number;
  verb: string;
  /** `[group/]resource[/subresource]`, null for a non-resource URL. */
  resource: string | null;
  namespace: string | null;
  name: string | null;
  responseCode: number | null;
  podName: string | null;
  credentialId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  /** For non-resource URLs (the path is the action). */
  requestURI: string | null;
  /** The user it acted as, when it impersonated one. */
  impersonated: string | null;
  /** The authorizer's decision (`allow`, `forbid`), from the audit annotation; null when not logged. */
  decision: string | null;
}

/** A Falco alert in a pod running as the ServiceAccount. */
export interface AlertEvent {
  key: string;
  at: number;
  rule: string;
  priority: string;
  podName: string | null;
  namespace: string | null;
}

export interface Subject {
  namespace: string;
  name: string;
}

/** What the identity did in its learning window (baseline.ts learns it). */
export interface Baseline {
  actions: ReadonlySet<string>;
  namespaces: ReadonlySet<string>;
  sources: ReadonlySet<string>;
  /** User-agent products (`kubectl`, `manager`, …). */
  userAgents: ReadonlySet<string>;
  /** True when it made calls without pod-bound claims (a controller's own token, a legacy Secret token). */
  podless: boolean;
  maxPerHour: number;
}

export interface DetectContext {
  subject: Subject;
  cls: WorkloadClass;
  profile: ClassProfile;
  /** End of the learning window (event time, ms). */
  learnUntil: number;
  /** The learned baseline once the window has passed; null while learning. */
  baseline: Baseline | null;
  /** Fingerprints marked false positive (they feed the baseline: never raised again). */
  accepted: ReadonlySet<string>;
  /** When the profiles name the pods' networks. */
  podNetworks: BlockList | null;
  /** The address each token (credential id) was first used from, over all stored events. */
  tokenFirstSource: ReadonlyMap<string, string>;
  /** Denied calls of the identity per burst window (start, ms), over all stored events. */
  deniedCounts: ReadonlyMap<number, number>;
  /** Calls of the identity per hour (start, ms), over all stored events; only needed once learned. */
  hourCounts: ReadonlyMap<number, number>;
}

export interface Candidate {
  detector: DetectorId;
  /** Subject and detector facts: one anomaly per fingerprint (per cluster). */
  fingerprint: string;
  severity: Severity;
  /** One line: what happened. */
  summary: string;
  /** The facts shown as evidence (no values of Secrets, no tokens). */
  facts: Record<string, string | number>;
  key: string;
  at: number;
  podName: string | null;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const READ_SECRET_VERBS = new Set(['get', 'list', 'watch']);
const EXEC_RESOURCES = new Set(['pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy']);
const ACCESS_REVIEWS = new Set(['authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews']);

/** `own` (the identity's namespace), `other`, or `cluster` (no namespace). */
export function scopeOf(namespace: string | null, subject: Subject): 'own' | 'other' | 'cluster' {
  if (!namespace) return 'cluster';
  return namespace === subject.namespace ? 'own' : 'other';
}

/** The path of a non-resource URL without its query (`/apis/apps/v1?timeout=32s` → `/apis/apps/v1`). */
const pathOf = (uri: string | null) => (uri ?? '/').split('?')[0]!.slice(0, 200);

/** The action of a call, as baselines and expected patterns name it: `list secrets other`, `get /version cluster`. */
export function actionKey(e: Pick<CallEvent, 'verb' | 'resource' | 'namespace' | 'requestURI'>, subject: Subject): string {
  return e.resource ? `${e.verb} ${e.resource} ${scopeOf(e.namespace, subject)}` : `${e.verb} ${pathOf(e.requestURI)} cluster`;
}

/** `kubectl/v1.37.2 (linux/amd64) kubernetes/abc` → `kubectl`. */
export function userAgentProduct(agent: string | null): string {
  const product = (agent ?? '').split(/[/ ]/)[0]!.toLowerCase();
  return product || '(none)';
}

/** A glob where `*` matches any run of characters (everything else literal) as an anchored RegExp. */
export const globRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);

const patternCache = new Map<string, (verb: string, resource: string, scope: string) => boolean>();

/** Whether an expected-action pattern (profiles.ts) covers an action key. */
export function matchesExpected(pattern: string, action: string): boolean {
  let match = patternCache.get(pattern);
  if (!match) {
    const [verbs, resource, scope] = pattern.split(' ') as [string, string, string];
    const verbSet = verbs === '*' ? null : new Set(verbs.split(','));
    const wild = resource.includes('*');
    const re = globRegExp(resource);
    match = (v, r, s) =>
      (!verbSet || verbSet.has(v)) &&
      re.test(r) &&
      (scope === '*' || scope === s) &&
      // A wildcard never covers Secrets.
      !(wild && /^secrets(\/|$)/.test(r));
    patternCache.set(pattern, match);
  }
  const [verb, resource, scope] = action.split(' ') as [string, string, string];
  return match(verb, resource, scope);
}

const expectedFor = (profile: ClassProfile, action: string) => profile.expected.some((p) => matchesExpected(p, action));

/** Refused by the authorizer: a 403 whose audit decision is not `allow` (admission or quota refusals say allow). */
export const denied = (e: Pick<CallEvent, 'responseCode' | 'decision'>) => e.responseCode === 403 && e.decision !== 'allow';
const refused = (e: CallEvent) => e.responseCode !== null && e.responseCode >= 400;
const day = (at: number) => new Date(Math.floor(at / DAY) * DAY).toISOString().slice(0, 10);
const where = (e: CallEvent) => (e.namespace ? `in namespace ${e.namespace}` : 'cluster-wide');
const target = (e: CallEvent) => [e.namespace, e.name].filter(Boolean).join('/') || '(all)';

/** The candidates one call raises, in a fixed order. */
export function detectCall(e: CallEvent, ctx: DetectContext): Candidate[] {
  const { subject, profile, baseline } = ctx;
  const learned = baseline !== null && e.at >= ctx.learnUntil;
  const action = actionKey(e, subject);
  const inBaseline = learned && baseline.actions.has(action);
  const out: Candidate[] = [];
  const id = `${subject.namespace}/${subject.name}`;
  const emit = (
    detector: DetectorId,
    detail: string,
    summary: string,
    facts: Record<string, string | number>,
    severity?: Severity,
  ) => {
    if (profile.off.includes(detector)) return;
    // A learnable signature is silent while learning and for actions the identity made while learning.
    // An action the class is expected to make counts as learned.
    if (profile.learnable.includes(detector) && (!learned || inBaseline || expectedFor(profile, action))) return;
    const fingerprint = `${detector}|${id}|${detail}`;
    if (ctx.accepted.has(fingerprint)) return;
    out.push({
      detector,
      fingerprint,
      severity: severity ?? DETECTORS[detector].severity,
      summary,
      facts: { action, ...facts },
      key: e.key,
      at: e.at,
      podName: e.podName,
    });
  };

  // Signatures: from the first event on.
  if (denied(e)) {
    const w = profile.deniedBurst.windowMs;
    const bucket = Math.floor(e.at / w) * w;
    const count = ctx.deniedCounts.get(bucket) ?? 0;
    if (count >= profile.deniedBurst.count)
      emit(
        'denied-burst',
        new Date(bucket).toISOString(),
        `${count} denied requests within ${durationText(w)} from ${utcTime(new Date(bucket))}`,
        { denied: count, threshold: profile.deniedBurst.count, windowStart: new Date(bucket).toISOString() },
        count >= 5 * profile.deniedBurst.count ? 'high' : undefined,
      );
  }
  if (e.resource && ACCESS_REVIEWS.has(e.resource) && e.verb === 'create')
    emit('access-review', day(e.at), 'asked the API server what it may do (as kubectl auth can-i does)', {
      day: day(e.at),
      review: e.resource.split('/')[1]!,
    });
  if (e.resource && EXEC_RESOURCES.has(e.resource))
    emit(
      'exec',
      `${e.resource} ${target(e)}`,
      `${e.resource.split('/')[1]} into ${e.resource.startsWith('nodes') ? 'node' : 'pod'} ${target(e)}${refused(e) ? ' (refused)' : ''}`,
      { target: target(e), responseCode: e.responseCode ?? 0 },
      refused(e) ? 'medium' : undefined,
    );
  if (e.impersonated || e.verb === 'impersonate') {
    const as = e.impersonated ?? `${e.resource ?? ''} ${e.name ?? ''}`.trim();
    emit(
      'impersonation',
      as,
      `acted as ${as}${refused(e) ? ' (refused)' : ''}`,
      { impersonated: as },
      refused(e) ? 'medium' : undefined,
    );
  }
  if (
    e.resource === 'serviceaccounts/token' &&
    e.verb === 'create' &&
    (e.namespace !== subject.namespace || e.name !== subject.name)
  ) {
    const other = target(e);
    emit(
      'token-for-other',
      other,
      `requested a token of ServiceAccount ${other}${refused(e) ? ' (refused)' : ''}`,
      { serviceAccount: other, responseCode: e.responseCode ?? 0 },
      refused(e) ? 'medium' : undefined,
    );
  }
  if (e.resource?.startsWith('rbac.authorization.k8s.io/') && WRITE_VERBS.has(e.verb)) {
    const what = `${e.resource.split('/')[1]} ${target(e)}`;
    emit(
      'rbac-change',
      `${e.verb} ${what}`,
      `${e.verb} ${what}${refused(e) ? ' (refused)' : ''}`,
      { object: what, responseCode: e.responseCode ?? 0 },
      refused(e) ? 'medium' : undefined,
    );
  }

  // Human use of a machine identity: kubectl, no pod-bound claims, or an address outside the pods' networks.
  const product = userAgentProduct(e.userAgent);
  const podless = !e.podName;
  if (product === 'kubectl' && podless)
    emit('human-use', 'kubectl-podless', `used with kubectl (${e.userAgent ?? ''}) and a token not bound to a pod`, {
      userAgent: e.userAgent ?? '',
      sourceIp: e.sourceIp ?? '',
    });
  else if (product === 'kubectl' && learned && !baseline.userAgents.has('kubectl'))
    emit('human-use', 'kubectl-pod-token', `the token of pod ${e.podName} used with kubectl (${e.userAgent ?? ''})`, {
      userAgent: e.userAgent ?? '',
      pod: e.podName ?? '',
      sourceIp: e.sourceIp ?? '',
    });
  else if (podless && learned && !baseline.podless)
    emit('human-use', 'podless', `used with a token not bound to a pod, which it never did while learning`, {
      userAgent: e.userAgent ?? '',
      sourceIp: e.sourceIp ?? '',
    });
  if (ctx.podNetworks && e.sourceIp && !ctx.podNetworks.check(e.sourceIp, e.sourceIp.includes(':') ? 'ipv6' : 'ipv4'))
    emit('human-use', `outside-pods ${e.sourceIp}`, `used from ${e.sourceIp}, an address outside the pods' networks`, {
      sourceIp: e.sourceIp,
    });

  // A pod-bound token used from a second address.
  if (e.credentialId && e.podName && e.sourceIp) {
    const first = ctx.tokenFirstSource.get(e.credentialId);
    if (first && first !== e.sourceIp)
      emit(
        'token-new-source',
        `${e.credentialId} ${e.sourceIp}`,
        `the token of pod ${e.podName} used from ${e.sourceIp}; it was first used from ${first}`,
        { credentialId: e.credentialId, pod: e.podName, sourceIp: e.sourceIp, firstSource: first },
      );
  }

  if (!learned) return out;

  // Baseline detectors: only after the learning window, for what it did not do then.
  const succeeded = !refused(e);
  // A call a signature already named (an exec, an access review, …) is not also a new action.
  const named =
    out.length > 0 &&
    out.some(
      (c) => DETECTORS[c.detector].kind === 'signature' && c.detector !== 'human-use' && c.detector !== 'token-new-source',
    );
  if (succeeded && !inBaseline && !named && !expectedFor(profile, action)) {
    if (e.resource === 'secrets' && READ_SECRET_VERBS.has(e.verb))
      emit('secret-access', `${e.verb} ${e.namespace ?? '(all namespaces)'}`, `${e.verb} secrets ${where(e)}`, {
        namespace: e.namespace ?? '(all namespaces)',
        name: e.name ?? '',
      });
    else
      emit(
        'new-action',
        action,
        `${e.verb} ${e.resource ?? pathOf(e.requestURI)} ${where(e)}`,
        {},
        WRITE_VERBS.has(e.verb) ? 'medium' : undefined,
      );
  }
  if (succeeded && e.namespace && e.namespace !== subject.namespace && !baseline.namespaces.has(e.namespace))
    emit('new-namespace', e.namespace, `reached into namespace ${e.namespace}`, { namespace: e.namespace });
  if (e.sourceIp && !baseline.sources.has(e.sourceIp))
    emit('new-source', `address ${e.sourceIp}`, `used from ${e.sourceIp}, an address not seen while learning`, {
      sourceIp: e.sourceIp,
    });
  if (product !== 'kubectl' && !baseline.userAgents.has(product))
    emit('new-source', `agent ${product}`, `used with the client ${product}, not seen while learning`, {
      userAgent: e.userAgent ?? '',
    });
  const hour = Math.floor(e.at / HOUR) * HOUR;
  const calls = ctx.hourCounts.get(hour) ?? 0;
  const limit = Math.max(baseline.maxPerHour * profile.callRate.factor, profile.callRate.minPerHour);
  if (calls > limit)
    emit('call-rate', new Date(hour).toISOString(), `${calls} calls in the hour from ${utcTime(new Date(hour))}`, {
      calls,
      learnedMaxPerHour: baseline.maxPerHour,
      limit: Math.round(limit),
    });
  return out;
}

/** A Falco alert in one of the identity's pods. */
export function detectAlert(a: AlertEvent, ctx: Pick<DetectContext, 'subject' | 'profile' | 'accepted'>): Candidate | null {
  if (ctx.profile.off.includes('falco-alert')) return null;
  const fingerprint = `falco-alert|${ctx.subject.namespace}/${ctx.subject.name}|${a.rule} ${day(a.at)}`;
  if (ctx.accepted.has(fingerprint)) return null;
  return {
    detector: 'falco-alert',
    fingerprint,
    severity: falcoSeverity(a.priority),
    summary: `Falco: ${a.rule}${a.podName ? ` in pod ${a.podName}` : ''}`,
    facts: { rule: a.rule, priority: a.priority, pod: a.podName ?? '' },
    key: a.key,
    at: a.at,
    podName: a.podName,
  };
}

/** The burst window (start, ms) a time falls in, as detectCall buckets denied calls. */
export const burstBucket = (at: number, windowMs: number) => Math.floor(at / windowMs) * windowMs;
