import fc from 'fast-check';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  describeEvents,
  durationText,
  findGaps,
  ingestionVerdict,
  recordIngestBatch,
  silentNow,
  type VerdictInput,
} from './status';

const minute = (iso: string) => Date.parse(iso) / 60_000;

describe('findGaps', () => {
  it('finds the stretches longer than the threshold between busy minutes, in whole empty minutes', () => {
    const busy = [
      '2026-11-29T08:00:00Z',
      '2026-11-29T08:01:00Z',
      // 10 empty minutes (08:02–08:11): not longer than 10
      '2026-11-29T08:12:00Z',
      // 11 empty minutes (08:13–08:23): a gap
      '2026-11-29T08:24:00Z',
      // 45 empty minutes
      '2026-11-29T09:10:00Z',
    ].map(minute);
    expect(findGaps(busy, 10)).toEqual([
      { from: '2026-11-29T08:13:00.000Z', to: '2026-11-29T08:24:00.000Z', minutes: 11 },
      { from: '2026-11-29T08:25:00.000Z', to: '2026-11-29T09:10:00.000Z', minutes: 45 },
    ]);
    expect(findGaps(busy, 45)).toEqual([]);
    expect(findGaps(busy, 44)).toHaveLength(1);
  });

  it('does not care about order or repeats, and has nothing to say about fewer than two busy minutes', () => {
    const busy = [minute('2026-11-29T10:30:00Z'), minute('2026-11-29T10:00:00Z'), minute('2026-11-29T10:00:00Z')];
    expect(findGaps(busy, 10)).toEqual([{ from: '2026-11-29T10:01:00.000Z', to: '2026-11-29T10:30:00.000Z', minutes: 29 }]);
    expect(findGaps([], 10)).toEqual([]);
    expect(findGaps([minute('2026-11-29T10:00:00Z')], 10)).toEqual([]);
  });

  it('never reports a busy minute inside a gap, and every long silence is a gap (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1440 }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 60 }),
        (busy, t) => {
          const gaps = findGaps(busy, t);
          const sorted = [...busy].sort((a, b) => a - b);
          const expected = sorted.slice(1).filter((m, i) => m - sorted[i]! - 1 > t).length;
          expect(gaps).toHaveLength(expected);
          for (const g of gaps) {
            const from = Date.parse(g.from) / 60_000;
            const to = Date.parse(g.to) / 60_000;
            expect(g.minutes).toBe(to - from);
            expect(g.minutes).toBeGreaterThan(t);
            expect(busy.some((m) => m >= from && m < to)).toBe(false);
            expect(busy).toContain(to);
            expect(busy).toContain(from - 1);
          }
        },
      ),
    );
  });
});

describe('ingestionVerdict', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const base: VerdictInput = {
    now,
    lastEventAt: new Date('2026-11-29T11:59:30Z'),
    lastHour: { events: 100, rejected: 0 },
    latestReason: null,
    webhook: { tokens: 1, lastUsedAt: new Date('2026-11-29T11:59:31Z') },
    perMinute15m: 6.66,
    gapMinutes: 10,
    rejectingPercent: 10,
  };

  it('is receiving while events are younger than the threshold', () => {
    expect(ingestionVerdict(base)).toEqual({
      verdict: 'receiving',
      reason: 'last event 30 s ago; 6.7 events/min over the last 15 minutes',
    });
    // A cluster clock a little ahead is not silence.
    expect(ingestionVerdict({ ...base, lastEventAt: new Date('2026-11-29T12:01:00Z') }).verdict).toBe('receiving');
  });

  it('is silent once the last event is older than the threshold, saying whether a webhook was expected', () => {
    const old = { ...base, lastEventAt: new Date('2026-11-29T11:49:59Z') };
    expect(ingestionVerdict({ ...base, lastEventAt: new Date('2026-11-29T11:50:00Z') }).verdict).toBe('receiving');
    expect(ingestionVerdict(old)).toEqual({
      verdict: 'silent',
      reason:
        'no event for 10 min (more than 10 min) although the webhook has been sending; it last posted at 2026-11-29 11:59:31 UTC',
    });
    expect(ingestionVerdict({ ...old, webhook: { tokens: 0, lastUsedAt: null } })).toEqual({
      verdict: 'silent',
      reason: 'the last event is 10 min old; no webhook has posted, events came only from files (nhi ingest)',
    });
    expect(ingestionVerdict({ ...old, lastEventAt: new Date('2026-11-26T08:00:00Z'), gapMinutes: 30 }).reason).toContain(
      'no event for 3 d 4 h (more than 30 min)',
    );
  });

  it('is never when no event was ever stored, and says what to do', () => {
    const none = { ...base, lastEventAt: null, lastHour: { events: 0, rejected: 0 } };
    expect(ingestionVerdict({ ...none, webhook: { tokens: 0, lastUsedAt: null } })).toEqual({
      verdict: 'never',
      reason: 'no event has been received: make an ingest token for the audit webhook, or load audit logs with nhi ingest',
    });
    expect(ingestionVerdict({ ...none, webhook: { tokens: 1, lastUsedAt: null } }).reason).toContain(
      'an ingest token exists but nothing has been posted with it yet',
    );
    expect(ingestionVerdict(none).reason).toBe(
      'the webhook has posted (last at 2026-11-29 11:59:31 UTC) but no event has been stored',
    );
  });

  it('is rejecting when more than the share of the last hour was rejected, whatever else holds', () => {
    const reason = 'items[3]: not an audit event or a Falco alert';
    // 10 of 100 items: exactly 10 %, not more.
    expect(ingestionVerdict({ ...base, lastHour: { events: 90, rejected: 10 }, latestReason: reason }).verdict).toBe('receiving');
    expect(ingestionVerdict({ ...base, lastHour: { events: 89, rejected: 11 }, latestReason: reason })).toEqual({
      verdict: 'rejecting',
      reason: `11 of 100 items received in the last hour were rejected (11%, more than 10%); the latest reason: ${reason}`,
    });
    // Everything rejected: no event was ever stored, but the rejections are what to fix.
    expect(ingestionVerdict({ ...base, lastEventAt: null, lastHour: { events: 0, rejected: 3 }, latestReason: null })).toEqual({
      verdict: 'rejecting',
      reason: '3 of 3 items received in the last hour were rejected (100%, more than 10%)',
    });
    expect(ingestionVerdict({ ...base, lastHour: { events: 1, rejected: 1 }, rejectingPercent: 50 }).verdict).toBe('receiving');
  });
});

describe('silentNow', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const webhook = { tokens: 1, lastUsedAt: new Date('2026-11-29T11:00:00Z') };
  it('is set when the last event is older than the threshold and the webhook token was used', () => {
    expect(silentNow({ now, lastEventAt: new Date('2026-11-29T11:00:00Z'), webhook, gapMinutes: 10 })).toEqual({
      since: '2026-11-29T11:00:00.000Z',
      minutes: 60,
    });
    expect(silentNow({ now, lastEventAt: new Date('2026-11-29T11:55:00Z'), webhook, gapMinutes: 10 })).toBeNull();
    expect(
      silentNow({ now, lastEventAt: new Date('2026-11-29T11:00:00Z'), webhook: { tokens: 1, lastUsedAt: null }, gapMinutes: 10 }),
    ).toBeNull();
    expect(silentNow({ now, lastEventAt: null, webhook, gapMinutes: 10 })).toBeNull();
  });
});

describe('describeEvents', () => {
  it('names the source (mixed when both) and the time span of the events', () => {
    expect(
      describeEvents(
        [
          { source: 'audit', at: '2026-11-29T10:00:05.5Z' },
          { source: 'audit', at: '2026-11-29T09:59:00Z' },
          { source: 'audit', at: '2026-11-29T10:01:00+01:00' },
        ],
        'falco',
      ),
    ).toEqual({ source: 'audit', firstEventAt: '2026-11-29T09:01:00.000Z', lastEventAt: '2026-11-29T10:00:05.500Z' });
    expect(
      describeEvents(
        [
          { source: 'audit', at: 'x' },
          { source: 'falco', at: '2026-11-29T10:00:00Z' },
        ],
        'audit',
      ),
    ).toEqual({
      source: 'mixed',
      firstEventAt: '2026-11-29T10:00:00.000Z',
      lastEventAt: '2026-11-29T10:00:00.000Z',
    });
    expect(describeEvents([], 'falco')).toEqual({ source: 'falco', firstEventAt: null, lastEventAt: null });
  });
});

describe('durationText', () => {
  it('says a duration in the largest sensible units', () => {
    expect(
      [0, 44_600, 60_000, 125 * 60_000, 120 * 60_000, 47 * 3_600_000, 76 * 3_600_000, 72 * 3_600_000].map(durationText),
    ).toEqual(['0 s', '45 s', '1 min', '2 h 5 min', '2 h', '47 h', '3 d 4 h', '3 d']);
  });
});

describe('recordIngestBatch', () => {
  it('writes one statement that also deletes the batches past retention, keeping 10 rejected items, clipped', async () => {
    const calls: { sql: string; params: unknown[] }[] = [];
    const pool = { query: async (sql: string, params: unknown[]) => void calls.push({ sql, params }) } as unknown as pg.Pool;
    const rejected = Array.from({ length: 25 }, (_, i) => ({
      item: `line ${i}`,
      reason: i === 0 ? 'x'.repeat(900) : 'not JSON',
    }));
    await recordIngestBatch(pool, 'c-1', {
      channel: 'webhook',
      source: 'audit',
      events: 3,
      inserted: 2,
      duplicates: 1,
      rejected: 25,
      rejectedSample: rejected,
      firstEventAt: '2026-11-29T10:00:00.000Z',
      lastEventAt: '2026-11-29T10:00:01.000Z',
      receivedAt: new Date('2026-11-29T10:00:02Z'),
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.sql).toMatch(/WITH expired AS \(DELETE FROM "IngestBatch" WHERE "clusterId" = \$1 AND "receivedAt" < \$2/);
    const [clusterId, cutoff, receivedAt, , , events, inserted, duplicates, count, sample] = calls[0]!.params;
    expect([clusterId, cutoff, receivedAt, events, inserted, duplicates, count]).toEqual([
      'c-1',
      '2026-10-30T10:00:02.000Z',
      '2026-11-29T10:00:02.000Z',
      3,
      2,
      1,
      25,
    ]);
    const kept = JSON.parse(sample as string) as { item: string; reason: string }[];
    expect(kept.map((r) => r.item)).toEqual(rejected.slice(0, 10).map((r) => r.item));
    expect(kept[0]!.reason).toHaveLength(501);
  });

  it('refuses a malformed batch before writing anything', async () => {
    const pool = { query: async () => expect.unreachable() } as unknown as pg.Pool;
    const batch = {
      channel: 'webhook' as const,
      source: 'audit' as const,
      events: -1,
      inserted: 0,
      duplicates: 0,
      rejected: 0,
      rejectedSample: [],
      firstEventAt: null,
      lastEventAt: null,
      receivedAt: new Date(),
    };
    await expect(recordIngestBatch(pool, 'c-1', batch)).rejects.toThrow();
    await expect(recordIngestBatch(pool, 'c-1', { ...batch, events: 0, lastEventAt: 'yesterday' })).rejects.toThrow();
  });
});
