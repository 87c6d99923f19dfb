/**
 * The normalised record that both runtime sources (kube-apiserver audit events and Falco alerts) map to.
 *
 * It keeps only what attribution and detectors need: never a request or response body, never a bearer
 * token (a TokenRequest's `responseObject.status.token` is never read), never a Secret's data.
 */

export type RuntimeSource = 'audit' | 'falco';

/** `system:serviceaccount:<namespace>:<name>`, or the `k8s.ns.name`/`k8s.pod.name` of a Falco alert. */
export interface NamespacedName {
  namespace: string;
  name: string;
}

export interface RuntimeResource {
  /** API group, '' for the core group. */
  group: string;
  resource: string;
  subresource: string;
  /** '' when cluster-scoped or not given. */
  namespace: string;
  name: string;
}

export interface RuntimeUser {
  username: string;
  groups: string[];
  uid: string;
}

/** What a `serviceaccounts/token` create asked for (from its request spec); never the token itself. */
export interface TokenRequestInfo {
  /** The ServiceAccount the token is for (the request's objectRef). */
  serviceAccount: NamespacedName;
  audiences: string[];
  expirationSeconds: number | null;
  boundObject: { kind: string; name: string; uid: string } | null;
  /** `responseObject.status.expirationTimestamp` (ISO) when the response was logged. */
  expiresAt: string | null;
}

/** The Falco output fields kept (values as strings, long ones truncated). */
export const FALCO_FIELDS = [
  'k8s.ns.name',
  'k8s.pod.name',
  'container.id',
  'container.image.repository',
  'user.name',
  'proc.cmdline',
  'ka.user.name',
] as const;
export type FalcoField = (typeof FALCO_FIELDS)[number];

export interface FalcoAlert {
  rule: string;
  /** Lower case: emergency, alert, critical, error, warning, notice, informational, debug. */
  priority: string;
  /** Truncated to OUTPUT_MAX characters. */
  output: string;
  tags: string[];
  hostname: string;
  /** Falco's event source: syscall, k8s_audit, … ('' when not given). */
  source: string;
  fields: Partial<Record<FalcoField, string>>;
}

export interface RuntimeEvent {
  source: RuntimeSource;
  /**
   * Dedup key within one cluster: `audit:<auditID>:<stage>`, or `falco:<sha256 of rule, time and output
   * fields>`. The store makes (cluster, key) unique, so a replayed event is stored once.
   */
  key: string;
  /** ISO time: stageTimestamp, else requestReceivedTimestamp (audit); time (Falco). */
  at: string;
  /** Audit only. */
  auditID: string | null;
  stage: string | null;
  verb: string | null;
  resource: RuntimeResource | null;
  requestURI: string | null;
  responseCode: number | null;
  decision: 'allow' | 'forbid' | null;
  /** The authenticated user (audit), or `ka.user.name` of a k8saudit Falco alert; null otherwise. */
  user: RuntimeUser | null;
  impersonatedUser: RuntimeUser | null;
  /** From the username `system:serviceaccount:<ns>:<name>`. */
  serviceAccount: NamespacedName | null;
  /** From user.extra authentication.kubernetes.io/pod-name and pod-uid (pod-bound tokens). */
  pod: { name: string; uid: string } | null;
  /** From user.extra authentication.kubernetes.io/node-name. */
  node: string | null;
  /** From user.extra authentication.kubernetes.io/credential-id, e.g. `JTI=…`. */
  credentialId: string | null;
  /** Annotation authentication.kubernetes.io/issued-credential-id (a TokenRequest's response). */
  issuedCredentialId: string | null;
  /** Annotation authentication.k8s.io/legacy-token. */
  legacyToken: string | null;
  /** Annotation authentication.k8s.io/stale-token. */
  staleToken: string | null;
  tokenRequest: TokenRequestInfo | null;
  sourceIPs: string[];
  userAgent: string;
  /** An allow-list of audit annotations only (authorization, authentication, pod security). */
  annotations: Record<string, string>;
  falco: FalcoAlert | null;
  /** Falco: the pod the alert is about (k8s.ns.name / k8s.pod.name), to resolve to a workload and identity. */
  workload: { namespace: string; pod: string } | null;
}

export interface RejectedItem {
  /** Where the item was: `line 7`, `[3]`, `items[3]`, `line 2 items[0]`, `document`. */
  item: string;
  reason: string;
}

export interface ParseResult {
  events: RuntimeEvent[];
  rejected: RejectedItem[];
}

/** Limits on what is kept from free text. */
export const OUTPUT_MAX = 1000;
export const FIELD_MAX = 500;

export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  // Never cut between the two halves of a surrogate pair (an emoji): a lone half cannot be stored.
  const cut = /[\ud800-\udbff]/.test(value[max - 1] ?? '') ? max - 1 : max;
  return `${value.slice(0, cut)}…`;
}

/** An empty record, filled by each source's mapper. */
export function blankEvent(source: RuntimeSource, key: string, at: string): RuntimeEvent {
  return {
    source,
    key,
    at,
    auditID: null,
    stage: null,
    verb: null,
    resource: null,
    requestURI: null,
    responseCode: null,
    decision: null,
    user: null,
    impersonatedUser: null,
    serviceAccount: null,
    pod: null,
    node: null,
    credentialId: null,
    issuedCredentialId: null,
    legacyToken: null,
    staleToken: null,
    tokenRequest: null,
    sourceIPs: [],
    userAgent: '',
    annotations: {},
    falco: null,
    workload: null,
  };
}

const SA_PREFIX = 'system:serviceaccount:';

/** `system:serviceaccount:<ns>:<name>` → { namespace, name }; anything else → null. */
export function serviceAccountOf(username: string): NamespacedName | null {
  // username.split(':') of exactly four parts, without making the array (once per audit event).
  if (!username.startsWith(SA_PREFIX)) return null;
  const colon = username.indexOf(':', SA_PREFIX.length);
  if (colon < 0 || username.includes(':', colon + 1)) return null;
  const namespace = username.slice(SA_PREFIX.length, colon);
  const name = username.slice(colon + 1);
  return namespace && name ? { namespace, name } : null;
}

/** An ISO string for a timestamp, or null when it is not one. */
export function isoTime(value: string): string | null {
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** A short, safe description of a zod error for a rejected item (paths and messages, no values). */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
