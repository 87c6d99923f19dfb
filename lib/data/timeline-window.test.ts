import { describe, expect, it } from 'vitest';
import {
  bucketize,
  bucketStart,
  bucketsOfWindow,
  bucketUnitOf,
  categoryOf,
  countByCategory,
  inWindow,
  latest,
  parseTimelineQuery,
  TIMELINE_CATEGORIES,
  timelineSearch,
  windowOfBuckets,
} from './timeline-window';

const H = 3_600_000;
const D = 24 * H;

describe('categoryOf', () => {
  it.each([
    ['workload.image_changed', 'deploy'],
    ['workload.first_seen', 'deploy'],
    ['workload.class_set', 'deploy'],
    ['workload.sa_changed', 'serviceaccount'],
    ['sa.created', 'serviceaccount'],
    ['binding.added', 'rbac'],
    ['binding.removed', 'rbac'],
    ['role.rules_changed', 'rbac'],
    ['credential.rotated', 'credentials'],
    ['credential.legacy_token_used', 'credentials'],
    ['anomaly.raised', 'runtime'],
    ['falco.alert', 'runtime'],
    ['ownership.claimed', 'claims'],
    ['claim.rejected', 'claims'],
    ['finding.excepted', 'exceptions'],
    ['finding.exception_revoked', 'exceptions'],
    ['finding.exception_expired', 'exceptions'],
    ['admission.denied', 'admission'],
    ['something.new', 'other'],
    ['finding.resolved', 'other'],
  ])('%s is %s', (kind, category) => expect(categoryOf(kind)).toBe(category));
});

describe('parseTimelineQuery', () => {
  it('defaults to the whole history and every type', () => {
    expect(parseTimelineQuery({})).toEqual({ query: { from: null, to: null, types: [...TIMELINE_CATEGORIES] } });
    expect(parseTimelineQuery({ from: '', to: '', types: '' }).query.types).toEqual([...TIMELINE_CATEGORIES]);
  });

  it('reads ISO instants, dates and datetime-local values (UTC), and types as a list or repeated keys', () => {
    const { query, error } = parseTimelineQuery({ from: '2026-11-01', to: '2026-11-30T10:15', types: 'rbac,deploy' });
    expect(error).toBeUndefined();
    expect(query.from!.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(query.to!.toISOString()).toBe('2026-11-30T10:15:00.000Z');
    expect(query.types).toEqual(['deploy', 'rbac']); // in the categories' order
    expect(parseTimelineQuery({ types: ['admission', 'claims'] }).query.types).toEqual(['claims', 'admission']);
    expect(parseTimelineQuery({ from: '2026-11-01T00:00:00+02:00' }).query.from!.toISOString()).toBe('2026-10-31T22:00:00.000Z');
  });

  it('refuses bad values with a message naming the field, and falls back to everything', () => {
    for (const [params, field] of [
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2026-13-45' }, 'to'],
      [{ from: '1970-01-01' }, 'from'],
      [{ types: 'rbac,secrets' }, 'types'],
      [{ from: '2026-11-02', to: '2026-11-01' }, 'to'],
    ] as const) {
      const { query, error } = parseTimelineQuery(params);
      expect(error, JSON.stringify(params)).toContain(`"${field}"`);
      expect(query).toEqual({ from: null, to: null, types: [...TIMELINE_CATEGORIES] });
    }
  });

  it('round-trips through timelineSearch, which leaves the defaults out', () => {
    expect(timelineSearch({ from: null, to: null, types: [...TIMELINE_CATEGORIES] }).toString()).toBe('');
    const q = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z'), types: ['rbac' as const] };
    const s = timelineSearch(q);
    expect(s.toString()).toBe('from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-02T00%3A00%3A00.000Z&types=rbac');
    expect(parseTimelineQuery(Object.fromEntries(s)).query).toEqual(q);
  });
});

describe('buckets and windows', () => {
  it('chooses hours, days or weeks by span', () => {
    expect(bucketUnitOf(2 * D)).toBe('hour');
    expect(bucketUnitOf(3 * D)).toBe('hour');
    expect(bucketUnitOf(30 * D)).toBe('day');
    expect(bucketUnitOf(365 * D)).toBe('week');
  });

  it('starts weeks on Monday, 00:00 UTC', () => {
    // 2026-11-30 is a Monday.
    expect(new Date(bucketStart(Date.parse('2026-12-03T15:00:00Z'), 'week')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(bucketStart(Date.parse('2026-11-30T00:00:00Z'), 'week')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(bucketStart(Date.parse('2026-11-29T23:59:59Z'), 'week')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
  });

  it('counts events per category per bucket, empty buckets included, and leaves out what is outside', () => {
    const extent = { from: new Date('2026-11-01T10:20:00Z'), to: new Date('2026-11-01T13:05:00Z') };
    const b = bucketize(
      [
        { at: '2026-11-01T10:20:00Z', category: 'deploy' },
        { at: '2026-11-01T10:59:59Z', category: 'rbac' },
        { at: new Date('2026-11-01T13:05:00Z'), category: 'rbac' },
        { at: '2026-11-01T13:06:00Z', category: 'rbac' }, // after the extent
        { at: '2026-10-01T00:00:00Z', category: 'deploy' }, // before it
      ],
      extent,
    );
    expect(b.map((x) => [x.start.slice(11, 16), x.total, x.deploy, x.rbac])).toEqual([
      ['10:00', 2, 1, 1],
      ['11:00', 0, 0, 0],
      ['12:00', 0, 0, 0],
      ['13:00', 1, 0, 1],
    ]);
    expect(b[0]!.end).toBe(b[1]!.start);
  });

  it('keeps at most maxBuckets buckets, the latest', () => {
    const b = bucketize(
      [{ at: '2026-01-01T00:00:00Z', category: 'deploy' }],
      {
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-01-11T00:00:00Z'),
      },
      'day',
      5,
    );
    expect(b).toHaveLength(5);
    expect(b[0]!.start).toBe('2026-01-07T00:00:00.000Z');
    expect(b.reduce((n, x) => n + x.total, 0)).toBe(0);
  });

  it('maps a brush selection to a window and back', () => {
    const b = bucketize([], { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-05T12:00:00Z') }, 'day');
    expect(b).toHaveLength(5);
    const w = windowOfBuckets(b, 3, 1)!;
    expect([w.from.toISOString(), w.to.toISOString()]).toEqual(['2026-11-02T00:00:00.000Z', '2026-11-05T00:00:00.000Z']);
    expect(bucketsOfWindow(b, w)).toEqual({ startIndex: 1, endIndex: 3 });
    expect(bucketsOfWindow(b, { from: null, to: null })).toEqual({ startIndex: 0, endIndex: 4 });
    expect(bucketsOfWindow(b, { from: new Date('2026-11-03T12:00:00Z'), to: null })).toEqual({ startIndex: 2, endIndex: 4 });
    expect(bucketsOfWindow(b, { from: new Date('2027-01-01T00:00:00Z'), to: null })).toEqual({ startIndex: 4, endIndex: 4 });
    expect(windowOfBuckets([], 0, 1)).toBeNull();
    expect(bucketsOfWindow([], { from: null, to: null })).toEqual({ startIndex: 0, endIndex: 0 });
  });

  it('tells what is in a window (from inclusive, to exclusive, open ends)', () => {
    const w = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-02T00:00:00Z') };
    expect(inWindow('2026-11-01T00:00:00Z', w)).toBe(true);
    expect(inWindow('2026-11-02T00:00:00Z', w)).toBe(false);
    expect(inWindow('2026-10-31T23:59:59Z', w)).toBe(false);
    expect(inWindow('1999-01-01T00:00:00Z', { from: null, to: w.to })).toBe(true);
    expect(inWindow(new Date('2100-01-01T00:00:00Z'), { from: w.from, to: null })).toBe(true);
  });

  it('keeps the latest events, newest first, and says when some were left out', () => {
    const events = [
      { id: 'b', at: '2026-11-01T00:00:00Z' },
      { id: 'a', at: '2026-11-03T00:00:00Z' },
      { id: 'c', at: '2026-11-01T00:00:00Z' },
      { id: 'd', at: '2026-11-02T00:00:00Z' },
    ];
    expect(latest(events, 3)).toEqual({ events: [events[1], events[3], events[0]], truncated: true });
    expect(latest(events, 4).truncated).toBe(false);
    expect(countByCategory([{ category: 'rbac' }, { category: 'rbac' }, { category: 'admission' }])).toMatchObject({
      rbac: 2,
      admission: 1,
      deploy: 0,
    });
  });
});
