/**
 * A cluster's runtime ingestion status (overview page, GET /api/ingest/status, `nhi ingest-status`): its
 * last event, its rate, what was rejected and why, the gaps of the last 24 hours, and a verdict in words.
 *
 * Where each number comes from:
 * - **Last event, rate and gaps** come from the stored events ("RuntimeEvent", by event time), per-minute
 *   counts of the last 24 h (date_trunc over the index (clusterId, at), two day partitions at most). Event
 *   time says what happened in the cluster: a month-old log loaded with `nhi ingest` does not look like a
 *   burst of traffic now, replays and retries are not counted twice (the store keeps each event once),
 *   events stored before batches were recorded count too, and the gaps are read from the same counts.
 * - **Batches, rejections and duplicates** come from "IngestBatch" (by time received): rejected items are
 *   not stored anywhere else, and duplicates exist only at arrival.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { chooseCluster } from '@/lib/data/clusters';
import { parseStored } from '@/lib/data/json';
import {
  DEFAULT_GAP_MINUTES,
  DEFAULT_REJECTING_PERCENT,
  findGaps,
  ingestionVerdict,
  silentNow,
  type Gap,
  type IngestionVerdict,
} from '@/lib/runtime/status';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Rejected items listed per cluster, newest first. */
const LATEST_REJECTIONS = 5;

export const ingestionQuerySchema = z.object({
  cluster: z.string().min(1).max(253).optional(),
  /** A stretch without events longer than this many minutes is a gap (and a last event older, silence). */
  gapMinutes: z.coerce.number().int().min(1).max(720).default(DEFAULT_GAP_MINUTES),
  /** More than this share (percent) of the last hour's items rejected makes a cluster `rejecting`. */
  rejectingPercent: z.coerce.number().min(0).max(100).default(DEFAULT_REJECTING_PERCENT),
});
export type IngestionQuery = z.input<typeof ingestionQuerySchema>;

export interface IngestBatchSummary {
  receivedAt: string;
  channel: string;
  source: string;
  events: number;
  inserted: number;
  duplicates: number;
  rejected: number;
}

export interface ClusterIngestion {
  clusterId: string;
  cluster: string;
  verdict: IngestionVerdict;
  reason: string;
  /** The newest stored event's time (event time), null when none was ever stored. */
  lastEventAt: string | null;
  lastBatch: IngestBatchSummary | null;
  /** Stored events per minute by event time (each event once, however often it was sent). */
  rate: { events15m: number; perMinute15m: number; events24h: number; perMinute24h: number };
  /** The batches received in the last 24 h: valid events sent (duplicates included), new ones, duplicates, rejected items. */
  last24h: { batches: number; events: number; inserted: number; duplicates: number; rejected: number };
  /** Items received in the last hour (for the `rejecting` verdict). */
  lastHour: { events: number; rejected: number };
  /** The latest rejected items of the last 24 h (place and reason, never the input), newest first. */
  latestRejections: { receivedAt: string; item: string; reason: string }[];
  /** Stretches of the last 24 h longer than gapMinutes without an event, between its first and last event. */
  gaps: Gap[];
  /** Set when the last event is older than gapMinutes while the cluster's webhook token has been used. */
  silentNow: { since: string; minutes: number } | null;
  /** The cluster's live (not revoked) ingest tokens and their last use. */
  webhook: { tokens: number; lastUsedAt: string | null };
}

export interface IngestionStatus {
  now: string;
  gapMinutes: number;
  rejectingPercent: number;
  clusters: ClusterIngestion[];
}

const rejectedSampleSchema = z.array(z.object({ item: z.string(), reason: z.string() }));

const ts = (d: Date) => d.toISOString();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The ingestion status of every cluster (or of `cluster`, which must exist) at `now`. */
export async function ingestionStatus(db: PrismaClient, options: { now: Date } & IngestionQuery): Promise<IngestionStatus> {
  const { cluster, gapMinutes, rejectingPercent } = ingestionQuerySchema.parse(options);
  const now = options.now;
  const all = await db.cluster.findMany({
    orderBy: { name: 'asc' },
    select: { id: true, name: true, ingestTokens: { where: { revokedAt: null }, select: { lastUsedAt: true } } },
  });
  const clusters = cluster === undefined ? all : [chooseCluster(all, cluster)];
  const result: IngestionStatus = { now: now.toISOString(), gapMinutes, rejectingPercent, clusters: [] };
  if (!clusters.length) return result;

  const ids = clusters.map((c) => c.id);
  // `timestamp` columns hold UTC: times go in as ISO text cast to timestamp (the Z is ignored) and come
  // out as epoch milliseconds, whatever the session's time zone.
  const nowTs = ts(now);
  const dayAgo = ts(new Date(now.getTime() - DAY));
  const hourAgo = ts(new Date(now.getTime() - HOUR));
  const quarterAgo = ts(new Date(now.getTime() - 15 * MINUTE));

  const [lastEvents, buckets, totals, lastBatches, rejections] = await Promise.all([
    // The newest event per cluster: a backward scan of (clusterId, at), newest partition first, one entry read.
    db.$queryRaw<{ clusterId: string; lastMs: number | null }[]>`
      SELECT c.id::text AS "clusterId",
        (SELECT (extract(epoch FROM e.at) * 1000)::float8 FROM "RuntimeEvent" e WHERE e."clusterId" = c.id ORDER BY e.at DESC LIMIT 1) AS "lastMs"
      FROM unnest(${ids}::uuid[]) AS c(id)`,
    // Per-minute counts of the last 24 h (event time), with the part of each minute inside the last 15 minutes.
    db.$queryRaw<{ clusterId: string; minute: number; n: number; n15: number }[]>`
      SELECT "clusterId"::text AS "clusterId", (extract(epoch FROM date_trunc('minute', at)) / 60)::float8 AS minute,
        count(*)::float8 AS n, (count(*) FILTER (WHERE at >= ${quarterAgo}::timestamp))::float8 AS n15
      FROM "RuntimeEvent"
      WHERE "clusterId" = ANY(${ids}::uuid[]) AND at >= ${dayAgo}::timestamp AND at <= ${nowTs}::timestamp
      GROUP BY 1, 2`,
    db.$queryRaw<
      {
        clusterId: string;
        batches: number;
        events: number;
        inserted: number;
        duplicates: number;
        rejected: number;
        events1h: number;
        rejected1h: number;
      }[]
    >`
      SELECT "clusterId"::text AS "clusterId", count(*)::float8 AS batches, sum(events)::float8 AS events,
        sum(inserted)::float8 AS inserted, sum(duplicates)::float8 AS duplicates, sum(rejected)::float8 AS rejected,
        coalesce(sum(events) FILTER (WHERE "receivedAt" >= ${hourAgo}::timestamp), 0)::float8 AS events1h,
        coalesce(sum(rejected) FILTER (WHERE "receivedAt" >= ${hourAgo}::timestamp), 0)::float8 AS rejected1h
      FROM "IngestBatch"
      WHERE "clusterId" = ANY(${ids}::uuid[]) AND "receivedAt" >= ${dayAgo}::timestamp AND "receivedAt" <= ${nowTs}::timestamp
      GROUP BY 1`,
    db.$queryRaw<(Omit<IngestBatchSummary, 'receivedAt'> & { clusterId: string; receivedMs: number })[]>`
      SELECT c.id::text AS "clusterId", b."receivedMs", b.channel, b.source, b.events, b.inserted, b.duplicates, b.rejected
      FROM unnest(${ids}::uuid[]) AS c(id) CROSS JOIN LATERAL (
        SELECT (extract(epoch FROM "receivedAt") * 1000)::float8 AS "receivedMs", channel, source, events, inserted, duplicates, rejected
        FROM "IngestBatch" WHERE "clusterId" = c.id AND "receivedAt" <= ${nowTs}::timestamp
        ORDER BY "receivedAt" DESC LIMIT 1) b`,
    db.$queryRaw<{ clusterId: string; receivedMs: number; sample: unknown }[]>`
      SELECT c.id::text AS "clusterId", b."receivedMs", b.sample
      FROM unnest(${ids}::uuid[]) AS c(id) CROSS JOIN LATERAL (
        SELECT (extract(epoch FROM "receivedAt") * 1000)::float8 AS "receivedMs", "rejectedSample" AS sample
        FROM "IngestBatch"
        WHERE "clusterId" = c.id AND rejected > 0 AND "receivedAt" >= ${dayAgo}::timestamp AND "receivedAt" <= ${nowTs}::timestamp
        ORDER BY "receivedAt" DESC LIMIT ${LATEST_REJECTIONS}) b
      ORDER BY 1, 2 DESC`,
  ]);

  const lastEventOf = new Map(lastEvents.map((r) => [r.clusterId, r.lastMs === null ? null : Number(r.lastMs)]));
  const totalsOf = new Map(totals.map((r) => [r.clusterId, r]));
  const lastBatchOf = new Map(lastBatches.map((r) => [r.clusterId, r]));
  const bucketsOf = new Map<string, { minutes: number[]; n: number; n15: number }>();
  for (const b of buckets) {
    const acc = bucketsOf.get(b.clusterId) ?? { minutes: [], n: 0, n15: 0 };
    acc.minutes.push(Number(b.minute));
    acc.n += Number(b.n);
    acc.n15 += Number(b.n15);
    bucketsOf.set(b.clusterId, acc);
  }
  const rejectionsOf = new Map<string, ClusterIngestion['latestRejections']>();
  for (const r of rejections) {
    const list = rejectionsOf.get(r.clusterId) ?? [];
    const sample = parseStored(rejectedSampleSchema, r.sample, `IngestBatch.rejectedSample of cluster ${r.clusterId}`);
    for (const s of sample) if (list.length < LATEST_REJECTIONS) list.push({ receivedAt: iso(Number(r.receivedMs))!, ...s });
    rejectionsOf.set(r.clusterId, list);
  }

  for (const c of clusters) {
    const lastMs = lastEventOf.get(c.id) ?? null;
    const counts = bucketsOf.get(c.id) ?? { minutes: [], n: 0, n15: 0 };
    const t = totalsOf.get(c.id);
    const lb = lastBatchOf.get(c.id);
    const used = c.ingestTokens.map((k) => k.lastUsedAt?.getTime() ?? null).filter((x): x is number => x !== null);
    const webhook = { tokens: c.ingestTokens.length, lastUsedAt: used.length ? new Date(Math.max(...used)) : null };
    const latestRejections = rejectionsOf.get(c.id) ?? [];
    const lastHour = { events: Number(t?.events1h ?? 0), rejected: Number(t?.rejected1h ?? 0) };
    const perMinute15m = counts.n15 / 15;
    const lastEventAt = lastMs === null ? null : new Date(lastMs);
    const { verdict, reason } = ingestionVerdict({
      now,
      lastEventAt,
      lastHour,
      latestReason: latestRejections[0] ? `${latestRejections[0].item}: ${latestRejections[0].reason}` : null,
      webhook,
      perMinute15m,
      gapMinutes,
      rejectingPercent,
    });
    result.clusters.push({
      clusterId: c.id,
      cluster: c.name,
      verdict,
      reason,
      lastEventAt: lastEventAt?.toISOString() ?? null,
      lastBatch: lb
        ? {
            receivedAt: iso(Number(lb.receivedMs))!,
            channel: lb.channel,
            source: lb.source,
            events: Number(lb.events),
            inserted: Number(lb.inserted),
            duplicates: Number(lb.duplicates),
            rejected: Number(lb.rejected),
          }
        : null,
      rate: { events15m: counts.n15, perMinute15m, events24h: counts.n, perMinute24h: counts.n / (24 * 60) },
      last24h: {
        batches: Number(t?.batches ?? 0),
        events: Number(t?.events ?? 0),
        inserted: Number(t?.inserted ?? 0),
        duplicates: Number(t?.duplicates ?? 0),
        rejected: Number(t?.rejected ?? 0),
      },
      lastHour,
      latestRejections,
      gaps: findGaps(counts.minutes, gapMinutes),
      silentNow: silentNow({ now, lastEventAt, webhook, gapMinutes }),
      webhook: { tokens: webhook.tokens, lastUsedAt: webhook.lastUsedAt?.toISOString() ?? null },
    });
  }
  return result;
}
