/**
 * Reading the activity trail: pages of entries for the Trail page, /api/trail and `nhi trail list`, and the
 * walk over the whole chain (`nhi trail verify`, the page's status line), in constant memory.
 */
import type pg from 'pg';
import { z } from 'zod';
import { parseDuration } from '@/lib/behaviour/profiles';
import { invalidInput } from '@/lib/errors';
import { parseFilter } from '@/lib/http/query';
import { cursorRows, withSnapshot } from '@/lib/reports/stream';
import { TRAIL_ACTIONS } from './actions';
import { reportLine, verifyChain, type ChainReport, type StoredEntry, type TrailHead } from './chain';
import type { JsonValue } from './hash';

/** An ISO date/time, or a duration back from now such as `7d` or `12h`. */
const whenSchema = z
  .string()
  .trim()
  .max(40)
  .refine((s) => /^\d+(ms|s|m|h|d)$/.test(s) || !Number.isNaN(Date.parse(s)), 'an ISO date/time or a duration such as 7d');

export const trailFilterSchema = z.object({
  since: whenSchema.optional(),
  until: whenSchema.optional(),
  action: z.enum(TRAIL_ACTIONS).optional(),
  actor: z.string().trim().min(1).max(200).optional(),
  /** Entries whose target starts with this, e.g. `exception:` or `workload:prod/`. */
  target: z.string().trim().min(1).max(1000).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});
export type TrailFilter = z.infer<typeof trailFilterSchema>;
export const parseTrailFilter = (params: Record<string, string | string[] | undefined>) => parseFilter(trailFilterSchema, params);

/** A `since`/`until` value as a time. */
export function timeOf(when: string, now: Date): Date {
  const at = /^\d+(ms|s|m|h|d)$/.test(when) ? new Date(now.getTime() - parseDuration(when)) : new Date(when);
  if (Number.isNaN(at.getTime())) throw invalidInput(`not a time: ${when}`);
  return at;
}

export interface TrailEntryView extends StoredEntry {
  before: JsonValue | null;
  after: JsonValue | null;
}

/** The columns of an entry, as text, in the form its hash was taken over. */
export const ENTRY_COLUMNS = `seq::text AS seq, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, "userId"::text AS "userId",
  action, target, before::text AS before, after::text AS after, ip, "userAgent", "prevHash", hash`;

interface EntryRow {
  seq: string;
  at: string;
  actor: string;
  userId: string | null;
  action: string;
  target: string | null;
  before: string | null;
  after: string | null;
  ip: string | null;
  userAgent: string | null;
  prevHash: string;
  hash: string;
}

export const toEntry = (r: EntryRow): TrailEntryView => ({
  ...r,
  seq: Number(r.seq),
  before: r.before === null ? null : (JSON.parse(r.before) as JsonValue),
  after: r.after === null ? null : (JSON.parse(r.after) as JsonValue),
});

/** The filter as SQL conditions (`$n` from `offset` + 1) and their values. */
export function trailWhere(f: Omit<TrailFilter, 'page' | 'pageSize'>, now: Date, offset = 0): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${offset + params.length}`));
  };
  if (f.since) add(`at >= (?::timestamptz AT TIME ZONE 'UTC')`, timeOf(f.since, now).toISOString());
  if (f.until) add(`at < (?::timestamptz AT TIME ZONE 'UTC')`, timeOf(f.until, now).toISOString());
  if (f.action) add('action = ?', f.action);
  if (f.actor) add('lower(actor) = lower(?)', f.actor);
  if (f.target) add(`starts_with(target, ?)`, f.target);
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

export interface TrailPage {
  total: number;
  page: number;
  pageSize: number;
  items: TrailEntryView[];
}

/** Newest first, one page. */
export async function listTrail(pool: pg.Pool, f: TrailFilter, now = new Date()): Promise<TrailPage> {
  const { sql, params } = trailWhere(f, now);
  const [count, rows] = await Promise.all([
    pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "ActivityLog" ${sql}`, params),
    pool.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM "ActivityLog" ${sql} ORDER BY "ActivityLog".seq DESC LIMIT ${f.pageSize} OFFSET ${(f.page - 1) * f.pageSize}`,
      params,
    ),
  ]);
  return { total: Number(count.rows[0]!.n), page: f.page, pageSize: f.pageSize, items: rows.rows.map(toEntry) };
}

export interface TrailVerification extends ChainReport {
  /** The head checkpoint (null: missing). */
  head: TrailHead | null;
  checkedAt: string;
  line: string;
}

/** `SEQ:HASH` (an earlier head kept outside the database) as an anchor. */
export function parseAnchor(text: string): TrailHead {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!m) throw invalidInput(`an anchor is SEQ:HASH, e.g. 42:${'ab'.repeat(32)} (got "${text.slice(0, 80)}")`);
  return { seq: Number(m[1]), hash: m[2]! };
}

/** Walks the whole chain in one snapshot (a cursor: constant memory) and reports the first break. */
export async function verifyTrail(pool: pg.Pool, anchors: TrailHead[] = []): Promise<TrailVerification> {
  return withSnapshot(pool, async (client, checkedAt) => {
    const h = await client.query<{ seq: string; hash: string }>(
      `SELECT seq::text AS seq, hash FROM "ActivityTrailHead" WHERE id = 1`,
    );
    const head = h.rows[0] ? { seq: Number(h.rows[0].seq), hash: h.rows[0].hash } : null;
    async function* entries() {
      for await (const r of cursorRows<EntryRow>(
        client,
        `SELECT ${ENTRY_COLUMNS} FROM "ActivityLog" ORDER BY "ActivityLog".seq`,
        [],
        2000,
      ))
        yield toEntry(r);
    }
    const report = await verifyChain(entries(), head, anchors);
    return { ...report, head, checkedAt: checkedAt.toISOString(), line: reportLine(report) };
  });
}

/** The head checkpoint (what an export records, to verify later with `--anchor SEQ:HASH`). */
export async function trailHead(db: pg.Pool | pg.ClientBase): Promise<TrailHead | null> {
  const h = await db.query<{ seq: string; hash: string }>(`SELECT seq::text AS seq, hash FROM "ActivityTrailHead" WHERE id = 1`);
  return h.rows[0] ? { seq: Number(h.rows[0].seq), hash: h.rows[0].hash } : null;
}
