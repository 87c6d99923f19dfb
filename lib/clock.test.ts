import { describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from './clock';

describe('clock', () => {
  it('the system clock tells the real time', () => {
    const before = Date.now();
    const now = systemClock().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('a fixed clock always tells the same time, as a new Date each call', () => {
    const clock = fixedClock('2030-01-02T03:04:05.678Z');
    const a = clock();
    a.setFullYear(1999);
    expect(clock().toISOString()).toBe('2030-01-02T03:04:05.678Z');
    expect(() => fixedClock('not a date')).toThrow(RangeError);
  });
});
