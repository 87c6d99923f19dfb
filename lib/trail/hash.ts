/**
 * The activity trail's hashing (pure): each entry's hash is the SHA-256 of a canonical serialisation of the
 * entry together with the previous entry's hash, so changing, removing or moving any entry breaks the chain
 * from there on.
 *
 * The serialisation is a JSON array of the fields in a fixed order, behind a version tag:
 *
 *   ["nhi-trail-v1", seq, at, actor, userId, action, target, before, after, ip, userAgent, prevHash]
 *
 * `seq` as a decimal string, `at` as an ISO time in UTC to the millisecond, absent values as null, and
 * `before`/`after` in canonical JSON (object keys sorted at every depth, no white space), which is what
 * PostgreSQL's jsonb gives back whatever order the keys were written in.
 */
import { createHash } from 'node:crypto';

export const TRAIL_VERSION = 'nhi-trail-v1';
/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The fields an entry's hash covers. */
export interface HashedEntry {
  seq: number;
  /** ISO time in UTC with milliseconds, e.g. 2026-11-30T04:35:25.123Z. */
  at: string;
  actor: string;
  userId: string | null;
  action: string;
  target: string | null;
  before: JsonValue | null;
  after: JsonValue | null;
  ip: string | null;
  userAgent: string | null;
  prevHash: string;
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no white space; `undefined` members
 * are left out as JSON.stringify does. Throws on values JSON cannot hold (a cycle, a bigint, NaN).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('the trail holds finite numbers only');
      return JSON.stringify(value);
    case 'object': {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`the trail cannot hold a ${typeof value}`);
  }
}

/** The canonical serialisation an entry's hash is taken over. */
export function serialiseEntry(e: HashedEntry): string {
  return canonicalJson([
    TRAIL_VERSION,
    String(e.seq),
    e.at,
    e.actor,
    e.userId,
    e.action,
    e.target,
    e.before,
    e.after,
    e.ip,
    e.userAgent,
    e.prevHash,
  ]);
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** SHA-256 (hex) of the entry's canonical serialisation, its previous hash included. */
export const entryHash = (e: HashedEntry) => sha256Hex(serialiseEntry(e));

/** A value made plain JSON (Dates as ISO strings, undefined members dropped), as it will be stored. */
export function toJsonValue(value: unknown): JsonValue | null {
  return value === undefined ? null : (JSON.parse(canonicalJson(value)) as JsonValue);
}
