/**
 * kube-apiserver audit events (audit.k8s.io/v1, and the v1beta1 of older logs) → RuntimeEvent.
 *
 * Sources: the webhook backend (an EventList POSTed), and log files (one event per JSON line). Bodies are
 * never copied: the schema below reads only the fields used, and zod drops the rest. The only body read is
 * the spec of a `serviceaccounts/token` create (audiences, expiration, bound object) and the expiration
 * time of its response; `responseObject.status.token` (a live bearer token at RequestResponse level) is
 * never read.
 */
import { z } from 'zod';
import { isoTimeFast, isWellFormedAuditEvent } from './fast-audit';
import {
  blankEvent,
  describeIssues,
  FIELD_MAX,
  isoTime,
  serviceAccountOf,
  truncate,
  type ParseResult,
  type RejectedItem,
  type RuntimeEvent,
  type RuntimeUser,
  type TokenRequestInfo,
} from './types';

const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;

const userSchema = z.object({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).nullish(),
  extra: z.record(z.string(), z.array(z.string()).nullish()).nullish(),
});

const auditEventSchema = z.object({
  kind: z.literal('Event'),
  apiVersion: z
    .string()
    .regex(/^audit\.k8s\.io\//, 'is not audit.k8s.io/…')
    .optional(),
  auditID: z.string().min(1),
  stage: z.enum(STAGES),
  requestURI: z.string().nullish(),
  verb: z.string().nullish(),
  user: userSchema.nullish(),
  impersonatedUser: userSchema.nullish(),
  sourceIPs: z.array(z.string()).nullish(),
  userAgent: z.string().nullish(),
  objectRef: z
    .object({
      resource: z.string().nullish(),
      namespace: z.string().nullish(),
      name: z.string().nullish(),
      apiGroup: z.string().nullish(),
      subresource: z.string().nullish(),
    })
    .nullish(),
  responseStatus: z.object({ code: z.number().int().nullish() }).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
  requestReceivedTimestamp: z.string().nullish(),
  stageTimestamp: z.string().nullish(),
  /** v1beta1 only. */
  timestamp: z.string().nullish(),
  /** Read only through tokenRequestSpecSchema / tokenResponseStatusSchema, never copied. */
  requestObject: z.unknown().optional(),
  responseObject: z.unknown().optional(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

const tokenRequestSpecSchema = z.object({
  spec: z
    .object({
      audiences: z.array(z.string()).nullish(),
      expirationSeconds: z.number().int().nullish(),
      boundObjectRef: z.object({ kind: z.string().nullish(), name: z.string().nullish(), uid: z.string().nullish() }).nullish(),
    })
    .nullish(),
});
/** Only the expiration: the `token` beside it is a live credential and is never read. */
const tokenResponseStatusSchema = z.object({
  status: z.object({ expirationTimestamp: z.string().nullish() }).nullish(),
});

/** Audit annotations kept (by prefix); values are truncated. */
const ANNOTATION_PREFIXES = [
  'authorization.k8s.io/',
  'authentication.k8s.io/',
  'authentication.kubernetes.io/',
  'pod-security.kubernetes.io/',
];
const MAX_ANNOTATIONS = 20;

export const EXTRA = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUid: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  credentialId: 'authentication.kubernetes.io/credential-id',
} as const;

export const ANNOTATION = {
  decision: 'authorization.k8s.io/decision',
  issuedCredentialId: 'authentication.kubernetes.io/issued-credential-id',
  legacyToken: 'authentication.k8s.io/legacy-token',
  staleToken: 'authentication.k8s.io/stale-token',
} as const;

/** True when a value claims to be an audit event (`kind: Event`); the parser then says what is wrong with it. */
export function looksLikeAuditEvent(value: unknown): boolean {
  return isRecord(value) && value.kind === 'Event';
}

/** True for an audit `EventList` (the webhook backend's POST body). */
export function isAuditEventList(value: unknown): value is { kind: 'EventList'; items: unknown } {
  return isRecord(value) && value.kind === 'EventList';
}

/**
 * One audit event object → a RuntimeEvent, or the reason it is not one. A well-formed event is checked by
 * hand (fast-audit.ts, several times faster than zod); anything else goes through the zod schema, which
 * says what is wrong. `fastPath: false` takes the zod path always (the tests compare both).
 */
export function parseAuditEvent(
  value: unknown,
  options: { fastPath?: boolean } = {},
): { event: RuntimeEvent } | { reason: string } {
  if (!isRecord(value)) return { reason: 'not a JSON object' };
  if (value.kind !== 'Event') return { reason: `kind is ${kindText(value.kind)}, not "Event"` };
  let e: AuditEvent;
  if (options.fastPath !== false && isWellFormedAuditEvent(value)) e = value;
  else {
    const parsed = auditEventSchema.safeParse(value);
    if (!parsed.success) return { reason: `not an audit event: ${describeIssues(parsed.error.issues)}` };
    e = parsed.data;
  }
  const when = e.stageTimestamp ?? e.requestReceivedTimestamp ?? e.timestamp;
  if (!when) return { reason: 'not an audit event: stageTimestamp and requestReceivedTimestamp are missing' };
  const at = isoTimeFast(when);
  if (!at) return { reason: 'not an audit event: its timestamp is not a time' };
  return { event: toRuntimeEvent(e, at) };
}

/** An EventList (webhook body): each of `items` parsed, rejects named `items[i]`. */
export function parseAuditEventList(value: unknown, prefix = ''): ParseResult {
  const out: ParseResult = { events: [], rejected: [] };
  const label = (i: number) => `${prefix}items[${i}]`;
  if (!isRecord(value) || value.kind !== 'EventList') {
    out.rejected.push({ item: prefix.trim() || 'document', reason: 'not an audit EventList' });
    return out;
  }
  if (!Array.isArray(value.items)) {
    out.rejected.push({ item: prefix.trim() || 'document', reason: 'EventList has no items array' });
    return out;
  }
  // The API server's webhook sets kind and apiVersion on the list only: its items inherit them.
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : undefined;
  value.items.forEach((item: unknown, i: number) => {
    const event =
      isRecord(item) && item.kind === undefined ? { ...item, kind: 'Event', apiVersion: item.apiVersion ?? apiVersion } : item;
    collect(parseAuditEvent(event), label(i), out);
  });
  return out;
}

/** Audit log text: JSON lines, one event per line (blank lines skipped; an EventList line is expanded). */
export function parseAuditLines(text: string): ParseResult {
  const out: ParseResult = { events: [], rejected: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const item = `line ${i + 1}`;
    const value = safeJson(line);
    if ('error' in value) {
      out.rejected.push({ item, reason: `not JSON: ${value.error}` });
    } else if (isAuditEventList(value.value)) {
      const list = parseAuditEventList(value.value, `${item} `);
      out.events.push(...list.events);
      out.rejected.push(...list.rejected);
    } else {
      collect(parseAuditEvent(value.value), item, out);
    }
  });
  return out;
}

function collect(result: { event: RuntimeEvent } | { reason: string }, item: string, out: ParseResult): void {
  if ('event' in result) out.events.push(result.event);
  else out.rejected.push({ item, reason: result.reason } satisfies RejectedItem);
}

function toRuntimeEvent(e: AuditEvent, at: string): RuntimeEvent {
  const event = blankEvent('audit', `audit:${e.auditID}:${e.stage}`, at);
  event.auditID = e.auditID;
  event.stage = e.stage;
  event.verb = e.verb ?? null;
  event.requestURI = e.requestURI ? truncate(e.requestURI, FIELD_MAX) : null;
  event.responseCode = e.responseStatus?.code ?? null;
  event.sourceIPs = (e.sourceIPs ?? []).slice(0, 10);
  event.userAgent = truncate(e.userAgent ?? '', FIELD_MAX);
  if (e.objectRef) {
    event.resource = {
      group: e.objectRef.apiGroup ?? '',
      resource: e.objectRef.resource ?? '',
      subresource: e.objectRef.subresource ?? '',
      namespace: e.objectRef.namespace ?? '',
      name: e.objectRef.name ?? '',
    };
  }
  const annotations = e.annotations ?? {};
  event.annotations = keptAnnotations(annotations);
  event.decision = decisionOf(annotations[ANNOTATION.decision], event.responseCode);
  event.issuedCredentialId = annotationOf(annotations, ANNOTATION.issuedCredentialId);
  event.legacyToken = annotationOf(annotations, ANNOTATION.legacyToken);
  event.staleToken = annotationOf(annotations, ANNOTATION.staleToken);

  if (e.user) {
    event.user = userOf(e.user);
    event.serviceAccount = serviceAccountOf(event.user.username);
    const extra = e.user.extra ?? {};
    const podName = firstOf(extra, EXTRA.podName);
    const podUid = firstOf(extra, EXTRA.podUid);
    if (podName || podUid) event.pod = { name: podName, uid: podUid };
    event.node = firstOf(extra, EXTRA.nodeName) || null;
    event.credentialId = firstOf(extra, EXTRA.credentialId) || null;
  }
  if (e.impersonatedUser) event.impersonatedUser = userOf(e.impersonatedUser);
  event.tokenRequest = tokenRequestOf(e);
  return event;
}

/** The first value of a user.extra key ('' when none). */
function firstOf(extra: Record<string, string[] | null | undefined>, key: string): string {
  return extra[key]?.[0] ?? '';
}

function annotationOf(all: Record<string, string>, key: string): string | null {
  const value = all[key];
  return value ? truncate(value, FIELD_MAX) : null;
}

function userOf(u: z.infer<typeof userSchema>): RuntimeUser {
  return { username: u.username ?? '', groups: (u.groups ?? []).slice(0, 50), uid: u.uid ?? '' };
}

function decisionOf(annotation: string | undefined, code: number | null): RuntimeEvent['decision'] {
  if (annotation === 'allow' || annotation === 'forbid') return annotation;
  if (code === 401 || code === 403) return 'forbid';
  return null;
}

function isKeptAnnotation(key: string): boolean {
  for (const p of ANNOTATION_PREFIXES) if (key.startsWith(p)) return true;
  return false;
}

function keptAnnotations(all: Record<string, string>): Record<string, string> {
  // The first MAX_ANNOTATIONS kept keys in sorted order (only the kept keys are sorted: usually one or two).
  const keys: string[] = [];
  for (const k of Object.keys(all)) if (isKeptAnnotation(k)) keys.push(k);
  if (keys.length > 1) keys.sort();
  const out: Record<string, string> = {};
  for (const k of keys.slice(0, MAX_ANNOTATIONS)) out[k] = truncate(all[k]!, FIELD_MAX);
  return out;
}

/** A `serviceaccounts/token` create: what was asked for, from the request (else response) spec. */
function tokenRequestOf(e: AuditEvent): TokenRequestInfo | null {
  const ref = e.objectRef;
  if (e.verb !== 'create' || ref?.resource !== 'serviceaccounts' || ref.subresource !== 'token') return null;
  const request = tokenRequestSpecSchema.safeParse(e.requestObject);
  const response = tokenRequestSpecSchema.safeParse(e.responseObject);
  const spec = (request.success ? request.data.spec : null) ?? (response.success ? response.data.spec : null);
  const status = tokenResponseStatusSchema.safeParse(e.responseObject);
  const expires = status.success ? status.data.status?.expirationTimestamp : null;
  const bound = spec?.boundObjectRef;
  return {
    serviceAccount: { namespace: ref.namespace ?? '', name: ref.name ?? '' },
    audiences: (spec?.audiences ?? []).slice(0, 20).map((a) => truncate(a, FIELD_MAX)),
    expirationSeconds: spec?.expirationSeconds ?? null,
    boundObject: bound ? { kind: bound.kind ?? '', name: bound.name ?? '', uid: bound.uid ?? '' } : null,
    expiresAt: expires ? isoTime(expires) : null,
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `\u0000` or a UTF-16 surrogate escape: text PostgreSQL refuses (in text and jsonb) unless cleaned. */
const UNSTORABLE_ESCAPE = /\\u(0000|d[89a-f][0-9a-f]{2})/i;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string PostgreSQL stores: without NUL characters, and with lone surrogates replaced by U+FFFD. */
export function storable(value: string): string {
  const noNul = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  return noNul.replace(LONE_SURROGATE, '\ufffd');
}

const cleanStrings = (_key: string, value: unknown) => (typeof value === 'string' ? storable(value) : value);

/**
 * JSON.parse that answers instead of throwing (the message is the parser's, not the input). A text that
 * escapes a NUL or a surrogate (rare) is parsed with its strings cleaned, so one such event cannot make
 * PostgreSQL refuse the batch it is written with.
 */
export function safeJson(text: string): { value: unknown } | { error: string } {
  try {
    // Both need a backslash: the byte search skips the regular expression for nearly every line.
    const unstorable = text.includes('\\') && UNSTORABLE_ESCAPE.test(text);
    return { value: (unstorable ? JSON.parse(text, cleanStrings) : JSON.parse(text)) as unknown };
  } catch (e) {
    // The parser's message may quote the input (which may hold a token): keep only where it failed.
    const at = e instanceof Error ? /position (\d+)/.exec(e.message) : null;
    return { error: at ? `invalid JSON at position ${at[1]}` : 'invalid JSON' };
  }
}

/** How a `kind` value is named in a reason: a short string, else its JSON type. */
export function kindText(kind: unknown): string {
  if (kind === undefined) return 'missing';
  // Only a kind-like word is quoted: a reason never carries free text from the input (it may be a token).
  if (typeof kind === 'string')
    return /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(kind) ? JSON.stringify(kind) : 'a string that is no kind';
  if (typeof kind === 'number' || typeof kind === 'boolean' || kind === null) return String(kind);
  return Array.isArray(kind) ? 'an array' : 'an object';
}
