/**
 * A workload's timeline, the pure part: which category an event kind belongs to, the query string of a
 * timeline view (from, to, types: kept in the URL so that a view can be shared), the buckets of its chart
 * (events per category per hour, day or week) and the mapping between a chart's selected buckets and a
 * time window. No database, no React: the read (lib/data/workload-timeline.ts), the route, the page and
 * the chart (components/workload-timeline.tsx) share it.
 */
import { z } from 'zod';

/** The categories a timeline event falls in, in the order the chart stacks and the toggles list them. */
export const TIMELINE_CATEGORIES = [
  'deploy',
  'serviceaccount',
  'rbac',
  'credentials',
  'runtime',
  'claims',
  'exceptions',
  'admission',
  'other',
] as const;
export type TimelineCategory = (typeof TIMELINE_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<TimelineCategory, string> = {
  deploy: 'Deployments and images',
  serviceaccount: 'ServiceAccount changes',
  rbac: 'RBAC changes',
  credentials: 'Credentials',
  runtime: 'Anomalies and Falco alerts',
  claims: 'Ownership claims',
  exceptions: 'Exceptions',
  admission: 'Admission decisions',
  other: 'Other changes',
};

/**
 * Event kinds by category, first match wins: exact kinds, then prefixes (`binding.` covers binding.added and
 * binding.removed). The SQL of the read is built from the same table (categorySql), so both agree.
 */
export const CATEGORY_RULES: readonly { category: TimelineCategory; kinds?: string[]; prefixes?: string[] }[] = [
  { category: 'serviceaccount', kinds: ['workload.sa_changed'], prefixes: ['sa.'] },
  { category: 'deploy', prefixes: ['workload.'] },
  { category: 'rbac', prefixes: ['binding.', 'role.'] },
  { category: 'credentials', prefixes: ['credential.', 'secret.'] },
  { category: 'runtime', prefixes: ['anomaly.', 'falco.'] },
  { category: 'claims', prefixes: ['ownership.', 'claim.'] },
  { category: 'exceptions', prefixes: ['finding.excepted', 'finding.exception_'] },
  { category: 'admission', prefixes: ['admission.'] },
];

/** The category of an event kind (`other` for a kind no rule names). */
export function categoryOf(kind: string): TimelineCategory {
  for (const r of CATEGORY_RULES) if (r.kinds?.includes(kind) || r.prefixes?.some((p) => kind.startsWith(p))) return r.category;
  return 'other';
}

// ---- the query string -----------------------------------------------------------------------------

const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

/** An instant: ISO 8601 (`2026-11-30T10:00:00Z`), a date (`2026-11-30`, midnight UTC) or a datetime-local value (UTC). */
const instant = z
  .string()
  .trim()
  .max(40)
  .transform((s, ctx) => {
    const text = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s}Z` : s;
    const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
    if (!Number.isFinite(t) || t < MIN_TIME || t > MAX_TIME) {
      ctx.addIssue({ code: 'custom', message: 'expected a date and time such as 2026-11-30T10:00Z' });
      return z.NEVER;
    }
    return new Date(t);
  });

/** `types`: categories separated by commas (or the key repeated, as a form's checkboxes send it). */
const types = z.union([z.string().max(400), z.array(z.string().max(40)).max(20)]).transform((v, ctx) => {
  const list = (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.find((s) => !(TIMELINE_CATEGORIES as readonly string[]).includes(s));
  if (bad) {
    ctx.addIssue({ code: 'custom', message: `unknown type "${bad.slice(0, 40)}" (one of ${TIMELINE_CATEGORIES.join(', ')})` });
    return z.NEVER;
  }
  return TIMELINE_CATEGORIES.filter((c) => list.includes(c));
});

/** The timeline's query string: `from`, `to` (either may be absent: open-ended) and `types` (absent: all). */
export const timelineQuerySchema = z
  .object({ from: instant.optional(), to: instant.optional(), types: types.optional() })
  .refine((q) => !q.from || !q.to || q.from.getTime() < q.to.getTime(), { message: '"from" must be before "to"', path: ['to'] });

export interface TimelineQuery {
  from: Date | null;
  to: Date | null;
  /** The categories shown (every one when the URL names none). */
  types: TimelineCategory[];
}

/**
 * A page's or route's `from`, `to` and `types`, validated. A bad value gives the whole timeline and a message
 * naming the field (as lib/http/query.ts parseFilter does for list pages). Empty values are absent.
 */
export function parseTimelineQuery(params: Record<string, string | string[] | undefined>): {
  query: TimelineQuery;
  error?: string;
} {
  const pick = (k: string) => {
    const v = params[k];
    if (Array.isArray(v)) return v.filter((s) => s !== '').length ? v.filter((s) => s !== '') : undefined;
    return v === '' ? undefined : v;
  };
  const flat = (k: string) => {
    const v = pick(k);
    return Array.isArray(v) ? v[0] : v;
  };
  const parsed = timelineQuerySchema.safeParse({ from: flat('from'), to: flat('to'), types: pick('types') });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      query: { from: null, to: null, types: [...TIMELINE_CATEGORIES] },
      error: `Invalid timeline "${issue.path.join('.')}": ${issue.message}`,
    };
  }
  const q = parsed.data;
  return {
    query: {
      from: q.from ?? null,
      to: q.to ?? null,
      types: q.types?.length ? q.types : [...TIMELINE_CATEGORIES],
    },
  };
}

/** The query string of a view, leaving out what is the default (no window, every type): short shared links. */
export function timelineSearch(q: TimelineQuery): URLSearchParams {
  const s = new URLSearchParams();
  if (q.from) s.set('from', q.from.toISOString());
  if (q.to) s.set('to', q.to.toISOString());
  if (q.types.length && q.types.length < TIMELINE_CATEGORIES.length) s.set('types', q.types.join(','));
  return s;
}

// ---- windows and buckets -------------------------------------------------------------------------

export type BucketUnit = 'hour' | 'day' | 'week';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const UNIT_MS: Record<BucketUnit, number> = { hour: HOUR, day: DAY, week: WEEK };

/** Hours for up to 3 days, days for up to 120, weeks beyond: at most ~120 bars whatever the span. */
export function bucketUnitOf(spanMs: number): BucketUnit {
  if (spanMs <= 3 * DAY) return 'hour';
  if (spanMs <= 120 * DAY) return 'day';
  return 'week';
}

/** The start of the bucket holding `t` (UTC hours and days; weeks start on Monday, 00:00 UTC). */
export function bucketStart(t: number, unit: BucketUnit): number {
  if (unit === 'week') {
    const day = Math.floor(t / DAY) * DAY;
    const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0
    return day - weekday * DAY;
  }
  return Math.floor(t / UNIT_MS[unit]) * UNIT_MS[unit];
}

export type BucketCounts = Record<TimelineCategory, number>;
export interface TimelineBucket extends BucketCounts {
  /** ISO start and end (exclusive) of the bucket. */
  start: string;
  end: string;
  total: number;
}

const zeroCounts = (): BucketCounts => Object.fromEntries(TIMELINE_CATEGORIES.map((c) => [c, 0])) as unknown as BucketCounts;

/**
 * Events per category per bucket, over `extent` (every bucket in it, empty ones too, so that the chart's
 * x axis is time). Points outside the extent are left out. At most `maxBuckets` buckets: a longer extent is
 * cut to its latest ones.
 */
export function bucketize(
  points: readonly { at: Date | string; category: TimelineCategory }[],
  extent: { from: Date; to: Date },
  unit: BucketUnit = bucketUnitOf(extent.to.getTime() - extent.from.getTime()),
  maxBuckets = 400,
): TimelineBucket[] {
  const ms = UNIT_MS[unit];
  const last = bucketStart(extent.to.getTime(), unit);
  const first = Math.max(bucketStart(extent.from.getTime(), unit), last - (maxBuckets - 1) * ms);
  const buckets: TimelineBucket[] = [];
  for (let t = first; t <= last; t += ms)
    buckets.push({ start: new Date(t).toISOString(), end: new Date(t + ms).toISOString(), total: 0, ...zeroCounts() });
  for (const p of points) {
    const t = typeof p.at === 'string' ? Date.parse(p.at) : p.at.getTime();
    if (t < extent.from.getTime() || t > extent.to.getTime()) continue;
    const i = Math.floor((bucketStart(t, unit) - first) / ms);
    const b = buckets[i];
    if (!b) continue;
    b[p.category] += 1;
    b.total += 1;
  }
  return buckets;
}

/** Whether `at` is in the window (from inclusive, to exclusive; a missing end is open). */
export function inWindow(at: Date | string, w: { from: Date | null; to: Date | null }): boolean {
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  return (!w.from || t >= w.from.getTime()) && (!w.to || t < w.to.getTime());
}

/** The window of the buckets from index `start` to `end` (both included, in either order). */
export function windowOfBuckets(buckets: readonly Pick<TimelineBucket, 'start' | 'end'>[], start: number, end: number) {
  if (!buckets.length) return null;
  const lo = Math.max(0, Math.min(start, end, buckets.length - 1));
  const hi = Math.min(buckets.length - 1, Math.max(start, end, 0));
  return { from: new Date(buckets[lo]!.start), to: new Date(buckets[hi]!.end) };
}

/** The indexes of the first and last buckets a window overlaps (the whole chart for an open window). */
export function bucketsOfWindow(
  buckets: readonly Pick<TimelineBucket, 'start' | 'end'>[],
  w: { from: Date | null; to: Date | null },
): { startIndex: number; endIndex: number } {
  const n = buckets.length;
  if (!n) return { startIndex: 0, endIndex: 0 };
  let startIndex = 0;
  let endIndex = n - 1;
  if (w.from) {
    const i = buckets.findIndex((b) => Date.parse(b.end) > w.from!.getTime());
    startIndex = i === -1 ? n - 1 : i;
  }
  if (w.to) {
    let i = n - 1;
    while (i > 0 && Date.parse(buckets[i]!.start) >= w.to.getTime()) i--;
    endIndex = i;
  }
  return { startIndex: Math.min(startIndex, endIndex), endIndex: Math.max(startIndex, endIndex) };
}

/** Events counted per category (the toggles show how many each has in the window). */
export function countByCategory(events: readonly { category: TimelineCategory }[]): BucketCounts {
  const c = zeroCounts();
  for (const e of events) c[e.category] += 1;
  return c;
}

/** The latest `limit` events, newest first (ties: by id), and whether some were left out. */
export function latest<T extends { at: Date | string; id: string }>(events: readonly T[], limit: number) {
  const time = (e: T) => (typeof e.at === 'string' ? Date.parse(e.at) : e.at.getTime());
  const sorted = [...events].sort((a, b) => time(b) - time(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { events: sorted.slice(0, limit), truncated: sorted.length > limit };
}
