/**
 * The fast path of audit event parsing: a hand-written check that a value is an audit event exactly as
 * audit.ts's zod schema (auditEventSchema) would accept it, field by field, without building a copy.
 *
 * It only ever answers "yes, as is" or "not sure": anything unusual (a missing or mistyped field, a
 * non-plain object, a number outside the safe integers, …) answers false, and the caller then takes the
 * zod path, which accepts or rejects with its reasons. When it answers true, the event is mapped by the
 * same code as a zod-parsed one (audit.ts toRuntimeEvent), which reads only the schema's fields and copies
 * what it keeps, so both paths give identical RuntimeEvents (fast-audit.test.ts checks this on the
 * corpus-like fixtures and on fuzzed variants of them).
 */
import type { AuditEvent } from './audit';
import { isoTime } from './types';

const STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);

/** An object literal (what JSON.parse makes): zod's plain-object test, minus the null-prototype case. */
function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** z.string().nullish() */
const nullishString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** z.array(z.string()) */
function isStringArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

/** z.record(z.string(), z.string()) */
function isStringRecord(v: unknown): boolean {
  if (!isPlain(v)) return false;
  for (const k in v) if (typeof v[k] !== 'string') return false;
  return true;
}

/** userSchema: username and uid optional strings (not null), groups and extra nullish. */
function isUser(v: unknown): boolean {
  if (!isPlain(v)) return false;
  if (v.username !== undefined && typeof v.username !== 'string') return false;
  if (v.uid !== undefined && typeof v.uid !== 'string') return false;
  if (v.groups !== undefined && v.groups !== null && !isStringArray(v.groups)) return false;
  const extra = v.extra;
  if (extra === undefined || extra === null) return true;
  if (!isPlain(extra)) return false;
  for (const k in extra) {
    const values = extra[k];
    if (values !== undefined && values !== null && !isStringArray(values)) return false;
  }
  return true;
}

function isObjectRef(v: unknown): boolean {
  return (
    isPlain(v) &&
    nullishString(v.resource) &&
    nullishString(v.namespace) &&
    nullishString(v.name) &&
    nullishString(v.apiGroup) &&
    nullishString(v.subresource)
  );
}

function isResponseStatus(v: unknown): boolean {
  if (!isPlain(v)) return false;
  const code = v.code;
  return code === undefined || code === null || Number.isSafeInteger(code);
}

/**
 * True when auditEventSchema would accept `value` unchanged (apart from dropping fields it does not read).
 * `kind`, `auditID`, `stage`, `apiVersion` and every field toRuntimeEvent reads are checked.
 */
export function isWellFormedAuditEvent(value: unknown): value is AuditEvent {
  if (!isPlain(value)) return false;
  const e = value;
  if (e.kind !== 'Event') return false;
  const apiVersion = e.apiVersion;
  if (apiVersion !== undefined && !(typeof apiVersion === 'string' && apiVersion.startsWith('audit.k8s.io/'))) return false;
  if (typeof e.auditID !== 'string' || e.auditID.length === 0) return false;
  if (typeof e.stage !== 'string' || !STAGES.has(e.stage)) return false;
  if (
    !nullishString(e.requestURI) ||
    !nullishString(e.verb) ||
    !nullishString(e.userAgent) ||
    !nullishString(e.requestReceivedTimestamp) ||
    !nullishString(e.stageTimestamp) ||
    !nullishString(e.timestamp)
  )
    return false;
  if (e.user !== undefined && e.user !== null && !isUser(e.user)) return false;
  if (e.impersonatedUser !== undefined && e.impersonatedUser !== null && !isUser(e.impersonatedUser)) return false;
  if (e.sourceIPs !== undefined && e.sourceIPs !== null && !isStringArray(e.sourceIPs)) return false;
  if (e.objectRef !== undefined && e.objectRef !== null && !isObjectRef(e.objectRef)) return false;
  if (e.responseStatus !== undefined && e.responseStatus !== null && !isResponseStatus(e.responseStatus)) return false;
  if (e.annotations !== undefined && e.annotations !== null && !isStringRecord(e.annotations)) return false;
  // requestObject and responseObject are z.unknown(): anything. They are read (through zod, never copied)
  // only for a serviceaccounts/token create, by the same code on both paths.
  return true;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the form the API server writes (RFC 3339 in UTC, microseconds). At
 * most 9 fraction digits: V8's Date reads longer fractions differently (not truncated).
 */
const RFC3339_UTC = /^((\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,9}))?Z$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * types.ts isoTime, without a Date for the usual form: a UTC time on a day that exists is rewritten to
 * milliseconds as Date would (the fraction truncated, never rounded); anything else (offsets, other forms,
 * a 30 February that Date would roll over) goes through isoTime itself. fast-audit.test.ts fuzzes the two.
 */
export function isoTimeFast(value: string): string | null {
  const m = RFC3339_UTC.exec(value);
  if (!m || Number(m[4]) > daysIn(Number(m[2]), Number(m[3]))) return isoTime(value);
  const fraction = m[6] ?? '';
  const ms = fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0');
  return `${m[1]}.${ms}Z`;
}
