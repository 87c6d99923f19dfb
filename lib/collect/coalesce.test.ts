import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from './coalesce';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A save that takes `ms` of (fake) time and records when it started. */
function slowSave(ms: number) {
  const starts: number[] = [];
  const save = vi.fn(async () => {
    starts.push(Date.now());
    await new Promise((r) => setTimeout(r, ms));
  });
  return { save, starts };
}

describe('coalesce', () => {
  it('saves a burst of changes once, delayMs after the first change', async () => {
    const { save, starts } = slowSave(10);
    const t0 = Date.now();
    const c = coalesce(save, 200);
    c.schedule();
    await vi.advanceTimersByTimeAsync(100);
    c.schedule();
    c.schedule();
    await vi.advanceTimersByTimeAsync(150);
    expect(save).toHaveBeenCalledTimes(1);
    expect(starts[0]! - t0).toBe(200);
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('is not starved by a stream of changes closer together than the delay', async () => {
    const { save } = slowSave(10);
    const c = coalesce(save, 200);
    for (let i = 0; i < 50; i++) {
      c.schedule();
      await vi.advanceTimersByTimeAsync(50);
    }
    // 2.5 s of changes every 50 ms: a trailing debounce would not have saved at all.
    expect(save.mock.calls.length).toBeGreaterThanOrEqual(10);
  });

  it('never runs two saves at once; a change during a save is saved by the next one', async () => {
    let active = 0;
    let maxActive = 0;
    const save = vi.fn(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 1000));
      active--;
    });
    const c = coalesce(save, 100);
    c.schedule();
    await vi.advanceTimersByTimeAsync(150); // save 1 running
    c.schedule();
    await vi.advanceTimersByTimeAsync(500);
    expect(save).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(600); // save 1 ended at 1100, save 2 starts at 1200
    expect(save).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(save).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
  });

  it('flush saves what is pending at once and waits for it; with nothing pending it does nothing', async () => {
    const { save } = slowSave(10);
    const c = coalesce(save, 10_000);
    const idle = c.flush();
    await vi.advanceTimersByTimeAsync(20);
    await idle;
    expect(save).not.toHaveBeenCalled();
    c.schedule();
    const flushed = c.flush();
    await vi.advanceTimersByTimeAsync(20);
    await flushed;
    expect(save).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('reports a failed save and retries it without waiting for another change, backing off', async () => {
    const errors: unknown[] = [];
    const at: number[] = [];
    const t0 = Date.now();
    const c = coalesce(
      async () => {
        at.push(Date.now() - t0);
        if (at.length <= 3) throw new Error('database away');
      },
      50,
      (e) => errors.push(e),
      150,
    );
    c.schedule();
    await vi.advanceTimersByTimeAsync(5_000);
    // First save at 50 ms, retries 100, 150 (capped), 150 ms after each failure; then it stops.
    expect(at).toEqual([50, 150, 300, 450]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['database away', 'database away', 'database away']);
    // A success resets the back-off.
    c.schedule();
    await vi.advanceTimersByTimeAsync(60);
    expect(at).toEqual([50, 150, 300, 450, 5050]);
  });

  it('flush also waits for a pending retry to be attempted', async () => {
    let calls = 0;
    const c = coalesce(async () => {
      calls++;
      if (calls === 1) throw new Error('once');
    }, 10_000);
    c.schedule();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
    const flushed = c.flush();
    await vi.advanceTimersByTimeAsync(1);
    await flushed;
    expect(calls).toBe(2);
  });
});
