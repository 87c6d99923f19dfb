/**
 * Ingestion status, the write side and the pure rules: every webhook POST and every `nhi ingest` run is
 * recorded as one "IngestBatch" row (what it brought, what was rejected and why), and the rules that turn
 * a cluster's numbers into gaps and a verdict (`receiving` / `silent` / `never` / `rejecting`) live here,
 * free of the database, so that they are tested alone. The reader is lib/data/ingestion.ts.
 *
 * Rejection reasons never quote a body (lib/runtime/parse.ts: at most an item's `kind`, 60 characters), so the
 * sample kept is safe to show; each is clipped to 500 characters all the same.
 */
import type pg from 'pg';
import { z } from 'zod';
import type { RuntimeEvent } from './types';
import { utcTime } from '@/lib/format';

/** IngestBatch rows older than this are deleted when the cluster records a new one. */
export const BATCH_RETENTION_DAYS = 30;
/** Rejected items kept per batch. */
export const REJECTED_SAMPLE = 10;
/** A stretch without events longer than this (minutes) is a gap; a last event older than it is silence. */
export const DEFAULT_GAP_MINUTES = 10;
/** More than this share (percent) of the last hour's items rejected makes a cluster `rejecting`. */
export const DEFAULT_REJECTING_PERCENT = 10;

const MINUTE = 60_000;
const TEXT_MAX = 500;

const clip = (s: string) => (s.length > TEXT_MAX ? `${s.slice(0, TEXT_MAX)}…` : s);
const count = z.number().int().min(0);
const isoTime = z.iso.datetime({ offset: true }).nullable();

export const ingestBatchSchema = z.object({
  channel: z.enum(['webhook', 'file']),
  source: z.enum(['audit', 'falco', 'mixed']),
  /** Valid events read (duplicates included, rejected items not). */
  events: count,
  inserted: count,
  duplicates: count,
  /** Every rejected item, not only those of the sample. */
  rejected: count,
  rejectedSample: z
    .array(z.object({ item: z.string().transform(clip), reason: z.string().transform(clip) }))
    .max(REJECTED_SAMPLE),
  /** Event time of the first and last event (null when not known, e.g. for file runs). */
  firstEventAt: isoTime,
  lastEventAt: isoTime,
  receivedAt: z.date(),
});
export type IngestBatchRecord = z.input<typeof ingestBatchSchema>;

/**
 * Records one batch of a cluster, in one statement that also deletes the cluster's batches older than
 * BATCH_RETENTION_DAYS (by the index (clusterId, receivedAt): a few rows at most, usually none).
 */
export async function recordIngestBatch(pool: pg.Pool, clusterId: string, batch: IngestBatchRecord): Promise<void> {
  const b = ingestBatchSchema.parse({ ...batch, rejectedSample: batch.rejectedSample.slice(0, REJECTED_SAMPLE) });
  const cutoff = new Date(b.receivedAt.getTime() - BATCH_RETENTION_DAYS * 86_400_000);
  await pool.query(
    `WITH expired AS (DELETE FROM "IngestBatch" WHERE "clusterId" = $1 AND "receivedAt" < $2::timestamp)
     INSERT INTO "IngestBatch" (id, "clusterId", "receivedAt", channel, source, events, inserted, duplicates, rejected,
        "rejectedSample", "firstEventAt", "lastEventAt")
     VALUES (gen_random_uuid(), $1, $3::timestamp, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::timestamp, $12::timestamp)`,
    [
      clusterId,
      // `timestamp` (no time zone) ignores the Z: the columns hold UTC, whatever the session's time zone.
      cutoff.toISOString(),
      b.receivedAt.toISOString(),
      b.channel,
      b.source,
      b.events,
      b.inserted,
      b.duplicates,
      b.rejected,
      JSON.stringify(b.rejectedSample),
      b.firstEventAt,
      b.lastEventAt,
    ],
  );
}

/** What a webhook POST brought, for recordIngestBatch: its source (or `mixed`) and its events' time span. */
export function describeEvents(
  events: readonly Pick<RuntimeEvent, 'source' | 'at'>[],
  hint: 'audit' | 'falco',
): { source: 'audit' | 'falco' | 'mixed'; firstEventAt: string | null; lastEventAt: string | null } {
  const sources = new Set(events.map((e) => e.source));
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    const t = Date.parse(e.at);
    if (Number.isNaN(t)) continue;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return {
    source: sources.size > 1 ? 'mixed' : ([...sources][0] ?? hint),
    firstEventAt: Number.isFinite(first) ? new Date(first).toISOString() : null,
    lastEventAt: Number.isFinite(last) ? new Date(last).toISOString() : null,
  };
}

export interface Gap {
  /** The first minute without events (ISO). */
  from: string;
  /** The next minute with events (ISO). */
  to: string;
  /** Whole minutes without a single event. */
  minutes: number;
}

/**
 * The stretches without events longer than `thresholdMinutes`, from the minutes (epoch minutes, any
 * order) that had at least one event: only between the first and the last of them (before the first
 * and after the last is the window's edge or silence, said elsewhere). Counted in whole empty minutes,
 * so a gap is never overstated (the real silence is at most 2 minutes longer).
 */
export function findGaps(busyMinutes: Iterable<number>, thresholdMinutes: number): Gap[] {
  const minutes = [...new Set(busyMinutes)].sort((a, b) => a - b);
  const gaps: Gap[] = [];
  for (let i = 1; i < minutes.length; i++) {
    const empty = minutes[i]! - minutes[i - 1]! - 1;
    if (empty > thresholdMinutes)
      gaps.push({
        from: new Date((minutes[i - 1]! + 1) * MINUTE).toISOString(),
        to: new Date(minutes[i]! * MINUTE).toISOString(),
        minutes: empty,
      });
  }
  return gaps;
}

/** `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export type IngestionVerdict = 'receiving' | 'silent' | 'never' | 'rejecting';

export interface VerdictInput {
  now: Date;
  /** The newest stored event's time (event time), null when the cluster has none. */
  lastEventAt: Date | null;
  /** Items the cluster's batches of the last hour brought: valid events and rejected items. */
  lastHour: { events: number; rejected: number };
  /** The newest rejection reason, for the `rejecting` verdict's words. */
  latestReason: string | null;
  /** Live (not revoked) ingest tokens, and when one was last used. */
  webhook: { tokens: number; lastUsedAt: Date | null };
  /** Events per minute over the last 15 minutes (event time). */
  perMinute15m: number;
  gapMinutes: number;
  rejectingPercent: number;
}

/**
 * "Silent now": the last event is older than the threshold while a live webhook token of the cluster
 * has been used (so events are expected to flow). A cluster fed only by files is not silent in this sense.
 */
export function silentNow(
  input: Pick<VerdictInput, 'now' | 'lastEventAt' | 'webhook' | 'gapMinutes'>,
): { since: string; minutes: number } | null {
  if (!input.lastEventAt || !input.webhook.lastUsedAt) return null;
  const age = input.now.getTime() - input.lastEventAt.getTime();
  return age > input.gapMinutes * MINUTE ? { since: input.lastEventAt.toISOString(), minutes: Math.floor(age / MINUTE) } : null;
}

const utc = (d: Date) => utcTime(d, 'second');
const round = (n: number) => (n >= 10 ? Math.round(n) : Math.round(n * 10) / 10);

/**
 * The verdict, with its reason in words, in this order: `rejecting` (more than `rejectingPercent` of the
 * last hour's items rejected), `never` (no event stored, ever), `silent` (last event older than
 * `gapMinutes`), else `receiving`.
 */
export function ingestionVerdict(i: VerdictInput): { verdict: IngestionVerdict; reason: string } {
  const items = i.lastHour.events + i.lastHour.rejected;
  const share = items ? (100 * i.lastHour.rejected) / items : 0;
  if (i.lastHour.rejected > 0 && share > i.rejectingPercent) {
    return {
      verdict: 'rejecting',
      reason:
        `${i.lastHour.rejected} of ${items} items received in the last hour were rejected (${round(share)}%, more than ${i.rejectingPercent}%)` +
        (i.latestReason ? `; the latest reason: ${i.latestReason}` : ''),
    };
  }
  if (!i.lastEventAt) {
    const reason = i.webhook.lastUsedAt
      ? `the webhook has posted (last at ${utc(i.webhook.lastUsedAt)}) but no event has been stored`
      : i.webhook.tokens
        ? 'an ingest token exists but nothing has been posted with it yet: point the audit webhook (or falcosidekick) at the dashboard'
        : 'no event has been received: make an ingest token for the audit webhook, or load audit logs with nhi ingest';
    return { verdict: 'never', reason };
  }
  const age = i.now.getTime() - i.lastEventAt.getTime();
  if (age > i.gapMinutes * MINUTE) {
    const reason = i.webhook.lastUsedAt
      ? `no event for ${durationText(age)} (more than ${i.gapMinutes} min) although the webhook has been sending; it last posted at ${utc(i.webhook.lastUsedAt)}`
      : `the last event is ${durationText(age)} old; no webhook has posted, events came only from files (nhi ingest)`;
    return { verdict: 'silent', reason };
  }
  return {
    verdict: 'receiving',
    reason: `last event ${durationText(Math.max(0, age))} ago; ${round(i.perMinute15m)} events/min over the last 15 minutes`,
  };
}
