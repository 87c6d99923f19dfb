import { describe, expect, it } from 'vitest';
import { IngestLimiter } from './limiter';

describe('IngestLimiter', () => {
  it('refuses work beyond its limit while it is busy, and takes it again once free', async () => {
    const limiter = new IngestLimiter(2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = limiter.run(() => gate);
    const b = limiter.run(() => gate);
    expect(limiter.inFlight).toBe(2);
    await expect(limiter.run(async () => 1)).rejects.toMatchObject({ code: 'INGEST_BUSY', status: 503 });
    release();
    await Promise.all([a, b]);
    expect(limiter.inFlight).toBe(0);
    expect(await limiter.run(async () => 7)).toBe(7);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.inFlight).toBe(0);
    expect(() => new IngestLimiter(0)).toThrow(/≥ 1/);
  });
});
