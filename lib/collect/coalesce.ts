/**
 * Batches bursts of changes into saves without starving them: the first change after a save starts a
 * timer of `delayMs`; later changes join that batch instead of restarting the timer (a plain trailing
 * debounce never fires while a busy cluster keeps changing). Saves never overlap: a change that arrives
 * during a save is saved by the next one, which starts `delayMs` after the save ends.
 *
 * So a change is stored at most `delayMs` + the duration of two saves after it happens. A failed save
 * is reported and retried (after `delayMs`, doubling up to `maxRetryMs`), so nothing waits for the next
 * change to be stored.
 */
export interface Coalescer {
  /** Something changed: make sure a save happens soon. */
  schedule(): void;
  /** For shutting down: saves what is pending now (if anything), once, and waits for every save to finish. */
  flush(): Promise<void>;
}

export function coalesce(
  save: () => Promise<void>,
  delayMs: number,
  onError: (e: unknown) => void = () => {},
  maxRetryMs = 30_000,
): Coalescer {
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wait = delayMs;

  const run = (): Promise<void> => {
    timer = undefined;
    dirty = false;
    running = save()
      .then(
        () => {
          wait = delayMs;
        },
        (e: unknown) => {
          onError(e);
          dirty = true;
          wait = Math.min(Math.max(wait * 2, 1), maxRetryMs);
        },
      )
      .finally(() => {
        running = undefined;
        if (dirty && !timer) timer = setTimeout(run, wait);
      });
    return running;
  };

  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  return {
    schedule() {
      dirty = true;
      if (!timer && !running) timer = setTimeout(run, delayMs);
    },
    async flush() {
      cancel();
      while (running) await running;
      cancel();
      if (dirty) await run();
      cancel(); // a last save that failed is not retried: flush is for shutting down
    },
  };
}
