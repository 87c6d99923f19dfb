/**
 * The one parser for runtime events, whatever the source: a kube-apiserver audit webhook body (EventList),
 * an audit log file (JSON lines), Falco's JSON output (JSON lines), a falcosidekick webhook payload (one
 * object), or a JSON array of any of those. The format is detected per item; a malformed item is rejected
 * with where it was and why, and the valid items of the same batch are kept. It never throws.
 */
import { isAuditEventList, kindText, looksLikeAuditEvent, parseAuditEvent, parseAuditEventList, safeJson } from './audit';
import { looksLikeFalcoAlert, parseFalcoAlert } from './falco';
import type { ParseResult, RejectedItem, RuntimeEvent } from './types';

export interface ParseOptions {
  /** Parse every item as this source (its reasons are then that parser's); detected per item when absent. */
  hint?: 'audit' | 'falco';
}

/**
 * Where parsed items go: a ParseResult's arrays, or a consumer that uses each event at once (ingestion
 * encodes it as a row, so a batch's events are never all held).
 */
export interface ParseSink {
  events: { push(...events: RuntimeEvent[]): unknown };
  rejected: { push(...items: RejectedItem[]): unknown };
  /** In JSON lines, called with each line before its items are given. */
  line?: (text: string) => void;
}

/** Text (a JSON document or JSON lines) → events and rejected items. Never throws. */
export function parseRuntimeText(text: string, options: ParseOptions = {}): ParseResult {
  const out: ParseResult = { events: [], rejected: [] };
  parseRuntimeTextTo(text, out, options);
  return out;
}

/** parseRuntimeText, giving each event and rejected item to `out` in order. Never throws. */
export function parseRuntimeTextTo(text: string, out: ParseSink, options: ParseOptions = {}): void {
  try {
    if (typeof text !== 'string') {
      out.rejected.push({ item: 'document', reason: 'not text' });
      return;
    }
    const trimmed = text.trim();
    if (!trimmed) return;
    // A whole JSON document (pretty-printed or one line); else JSON lines.
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const whole = safeJson(trimmed);
      if ('value' in whole) {
        parseDocumentInto(whole.value, 'document', options, out);
        return;
      }
    }
    text.split('\n').forEach((raw, i) => parseLineInto(raw, i, out, options));
  } catch {
    // Defensive: the parsers answer rather than throw, but a caller must never see an exception.
    out.rejected.push({ item: 'document', reason: 'could not be read' });
  }
}

/**
 * Line `index + 1` of JSON lines (blank lines skipped): its items to `out`, as parseRuntimeTextTo gives
 * them (`parsed` when the caller already parsed the trimmed line). Never throws.
 */
export function parseLineInto(
  raw: string,
  index: number,
  out: ParseSink,
  options: ParseOptions = {},
  parsed?: ReturnType<typeof safeJson>,
): void {
  const line = raw.trim();
  if (!line) return;
  const item = `line ${index + 1}`;
  out.line?.(line);
  const json = parsed ?? safeJson(line);
  if ('error' in json) out.rejected.push({ item, reason: `not JSON: ${json.error}` });
  else parseDocumentInto(json.value, item, options, out);
}

/** A parsed JSON value (object, array or EventList) → events and rejected items. Never throws. */
export function parseRuntimeValue(value: unknown, options: ParseOptions = {}): ParseResult {
  const out: ParseResult = { events: [], rejected: [] };
  parseDocumentInto(value, 'document', options, out);
  return out;
}

/** The first event of each key, in order. */
export function dedupe(events: readonly RuntimeEvent[]): RuntimeEvent[] {
  const seen = new Set<string>();
  const out: RuntimeEvent[] = [];
  for (const e of events) {
    if (seen.has(e.key)) continue;
    seen.add(e.key);
    out.push(e);
  }
  return out;
}

function parseDocumentInto(value: unknown, item: string, options: ParseOptions, out: ParseSink): void {
  if (Array.isArray(value)) {
    const prefix = item === 'document' ? '' : `${item} `;
    value.forEach((v: unknown, i) => parseItemInto(v, `${prefix}[${i}]`, options, out));
    return;
  }
  parseItemInto(value, item, options, out);
}

function parseItemInto(value: unknown, item: string, options: ParseOptions, out: ParseSink): void {
  try {
    if (isAuditEventList(value) && options.hint !== 'falco') {
      const list = parseAuditEventList(value, item === 'document' ? '' : `${item} `);
      out.events.push(...list.events);
      out.rejected.push(...list.rejected);
      return;
    }
    const kind = options.hint ?? detect(value);
    if (!kind && isAdmissionReview(value)) {
      out.rejected.push({ item, reason: 'an AdmissionReview (admission webhook log), not an audit.k8s.io Event' });
      return;
    }
    if (!kind) {
      const what =
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? `an object of kind ${kindText((value as { kind?: unknown }).kind)}`
          : Array.isArray(value)
            ? 'a nested array'
            : `a ${value === null ? 'null' : typeof value}`;
      out.rejected.push({ item, reason: `neither an audit event nor a Falco alert: ${what}` });
      return;
    }
    const result = kind === 'audit' ? parseAuditEvent(value) : parseFalcoAlert(value);
    if ('event' in result) out.events.push(result.event);
    else out.rejected.push({ item, reason: result.reason });
  } catch {
    out.rejected.push({ item, reason: 'could not be read' });
  }
}

function detect(value: unknown): 'audit' | 'falco' | null {
  if (looksLikeAuditEvent(value)) return 'audit';
  if (looksLikeFalcoAlert(value)) return 'falco';
  return null;
}

function isAdmissionReview(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'AdmissionReview';
}
