/**
 * RuntimeEvents → rows of PostgreSQL's COPY text format for "RuntimeEvent" (pure: no database, so the
 * parse worker can encode a batch in its own thread and hand the main thread bytes to send).
 *
 * A row is the cluster id, the columns attribution reads (ServiceAccount, pod, node, credential id, …) and
 * `event`, the jsonb detail of what the columns do not hold. The values are exactly those store.ts wrote
 * with its former UNNEST statement; only the wire format differs.
 */
import type { RuntimeEvent } from './types';

/** The columns of a row, in order (receivedAt keeps its default). */
export const COPY_COLUMNS = [
  'clusterId',
  'at',
  'key',
  'source',
  'verb',
  'resource',
  'namespace',
  'name',
  'responseCode',
  'username',
  'saNamespace',
  'saName',
  'podName',
  'node',
  'credentialId',
  'issuedCredentialId',
  'sourceIp',
  'userAgent',
  'event',
] as const;

/** The quoted column list for SQL. */
export const COPY_COLUMN_LIST = COPY_COLUMNS.map((c) => `"${c}"`).join(', ');

/** A batch ready for the store: COPY text rows (UTF-8) and the UTC days they fall on. */
export interface EncodedRows {
  rows: Uint8Array;
  count: number;
  days: string[];
}

/** `[group/]resource[/subresource]`, e.g. `secrets`, `apps/deployments/scale`. */
export function resourceText(e: RuntimeEvent): string | null {
  return e.resource ? [e.resource.group, e.resource.resource, e.resource.subresource].filter(Boolean).join('/') || null : null;
}

/**
 * What the columns do not already hold, without nulls and empty values (a fraction of the event's size,
 * which is most of the cost of a write): groups, annotations, stage, request URI, decision, token facts,
 * Falco's alert.
 */
export function detailJson(e: RuntimeEvent): string {
  // One object literal (JSON.stringify leaves out the undefined values): the same text as adding the kept
  // fields one by one, in this order, at a fraction of the cost (no property added to an object per field).
  return JSON.stringify({
    stage: kept(e.stage),
    requestURI: kept(e.requestURI),
    decision: kept(e.decision),
    groups: kept(e.user?.groups),
    impersonatedUser: kept(e.impersonatedUser),
    podUid: kept(e.pod?.uid),
    sourceIPs: e.sourceIPs.length > 1 ? e.sourceIPs : undefined,
    legacyToken: kept(e.legacyToken),
    staleToken: kept(e.staleToken),
    tokenRequest: kept(e.tokenRequest),
    annotations: kept(e.annotations),
    falco: kept(e.falco),
  });
}

/** v, or undefined when it is null, undefined, '', [] or {}. */
function kept<T>(v: T | null | undefined): T | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v !== 'object') return v;
  return (Array.isArray(v) ? v.length : Object.keys(v).length) ? v : undefined;
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in COPY text format: `\N` for null, else the text with backslash, tab and line breaks escaped. */
export function copyValue(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/**
 * The row of one event (without its line break), columns as COPY_COLUMNS.
 *
 * `plain`: the event comes from a JSON text without a backslash. JSON strings cannot hold a raw tab, line
 * break or backslash (they must be escaped, with a backslash), so none of its values needs escaping and
 * the per-value checks are skipped; the detail is still checked (JSON.stringify may escape a surrogate that
 * truncation split).
 */
export function copyRow(clusterId: string, e: RuntimeEvent, plain = false): string {
  const detail = detailJson(e);
  const detailText = detail.includes('\\') ? copyValue(detail) : detail;
  if (plain)
    return (
      `${clusterId}\t${e.at}\t${e.key}\t${e.source}\t${e.verb ?? '\\N'}\t${resourceText(e) ?? '\\N'}` +
      `\t${e.resource?.namespace ?? e.workload?.namespace ?? '\\N'}\t${e.resource?.name ?? e.workload?.pod ?? '\\N'}` +
      `\t${e.responseCode ?? '\\N'}\t${e.user?.username ?? '\\N'}\t${e.serviceAccount?.namespace ?? '\\N'}` +
      `\t${e.serviceAccount?.name ?? '\\N'}\t${e.pod?.name ?? e.workload?.pod ?? '\\N'}\t${e.node ?? '\\N'}` +
      `\t${e.credentialId ?? '\\N'}\t${e.issuedCredentialId ?? '\\N'}\t${e.sourceIPs[0] ?? '\\N'}` +
      `\t${e.userAgent || '\\N'}\t${detailText}`
    );
  return (
    `${copyValue(clusterId)}\t${copyValue(e.at)}\t${copyValue(e.key)}\t${copyValue(e.source)}\t${copyValue(e.verb)}` +
    `\t${copyValue(resourceText(e))}\t${copyValue(e.resource?.namespace ?? e.workload?.namespace ?? null)}` +
    `\t${copyValue(e.resource?.name ?? e.workload?.pod ?? null)}\t${copyValue(e.responseCode)}` +
    `\t${copyValue(e.user?.username ?? null)}\t${copyValue(e.serviceAccount?.namespace ?? null)}` +
    `\t${copyValue(e.serviceAccount?.name ?? null)}\t${copyValue(e.pod?.name ?? e.workload?.pod ?? null)}` +
    `\t${copyValue(e.node)}\t${copyValue(e.credentialId)}\t${copyValue(e.issuedCredentialId)}` +
    `\t${copyValue(e.sourceIPs[0] ?? null)}\t${copyValue(e.userAgent || null)}\t${detailText}`
  );
}

/** The UTC day (`2026-11-29`) of an ISO time (a RangeError when it is not a time). */
export function dayOf(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

/** Date#toISOString() output in UTC, whose first ten characters are its day. */
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The buffer of the last finished encoder, for the next one: a thread encoding batch after batch (the parse
 * worker) reuses one buffer instead of allocating (and growing) megabytes per batch.
 */
let spare: Buffer | null = null;
const SPARE_MAX_BYTES = 64 * 1024 * 1024;

/** Encodes events one at a time into COPY text rows (UTF-8) of one cluster. */
export class RowEncoder {
  private buffer: Buffer;
  private used = 0;
  private count = 0;
  private finished = false;
  private readonly days = new Set<string>();

  /** `expectedBytes`: the rows' buffer is sized for that much at first, and grows when they need more. */
  constructor(
    private readonly clusterId: string,
    expectedBytes = 64 * 1024,
  ) {
    const wanted = Math.max(1024, expectedBytes);
    this.buffer = spare && spare.length >= wanted ? spare : Buffer.allocUnsafeSlow(wanted);
    if (this.buffer === spare) spare = null;
  }

  /** `plain`: see copyRow. */
  add(e: RuntimeEvent, plain = false): void {
    if (this.finished) throw new Error('RowEncoder.add after finish');
    // Each row is written into the buffer as it is made (cheaper than one long string encoded at the end).
    const row = `${copyRow(this.clusterId, e, plain)}\n`;
    if (this.buffer.length - this.used < row.length * 3) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.used + row.length * 3));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    this.used += this.buffer.write(row, this.used);
    this.count++;
    // The parsers' times are toISOString() output (types.ts isoTime): the day is their prefix.
    this.days.add(UTC_ISO.test(e.at) ? e.at.slice(0, 10) : dayOf(e.at));
  }

  /**
   * The rows: a copy of exactly their bytes, in an ArrayBuffer of its own (movable to another thread). The
   * encoder is done then (its buffer goes to the next one).
   */
  finish(): EncodedRows {
    if (this.finished) throw new Error('RowEncoder.finish twice');
    this.finished = true;
    const rows = new Uint8Array(this.buffer.subarray(0, this.used));
    if (this.buffer.length <= SPARE_MAX_BYTES && (!spare || spare.length < this.buffer.length)) spare = this.buffer;
    return { rows, count: this.count, days: [...this.days] };
  }
}

/** Events of one cluster → COPY text rows and their days. */
export function encodeRows(clusterId: string, events: readonly RuntimeEvent[]): EncodedRows {
  const encoder = new RowEncoder(clusterId, events.length * 768);
  for (const e of events) encoder.add(e);
  return encoder.finish();
}
