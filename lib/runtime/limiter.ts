import { AppError } from '@/lib/errors';

/**
 * Back-pressure for ingestion: at most `max` requests are stored at once; one more is refused with 429
 * and Retry-After, which the API server's webhook and falcosidekick retry, instead of being dropped.
 */
export class IngestLimiter {
  private active = 0;
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new AppError('invalid_input', `the ingest limit must be a whole number ≥ 1, got ${max}`);
  }

  get inFlight(): number {
    return this.active;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      throw new AppError('unavailable', `busy: ${this.active} batches are being stored; retry shortly`, {
        code: 'INGEST_BUSY',
        details: { retryAfterSeconds: 1 },
      });
    }
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
    }
  }
}
