import { describe, expect, it } from 'vitest';
import { utcTime } from './format';

describe('utcTime', () => {
  it('shows a time in UTC to the minute, second or millisecond, from a Date or an ISO string', () => {
    const d = new Date('2026-11-29T10:05:07.123Z');
    expect(utcTime(d)).toBe('2026-11-29 10:05 UTC');
    expect(utcTime(d.toISOString(), 'second')).toBe('2026-11-29 10:05:07 UTC');
    expect(utcTime('2026-11-29T11:05:07.123+01:00', 'millisecond')).toBe('2026-11-29 10:05:07.123 UTC');
  });
});
