/**
 * Batches bursts of changes into saves without starving them: the first change after a save starts a
 * timer of `delayMs`; later changes join that batch instead of restarting the timer (a plain trailing
 * debounce never fires while a busy cluster keeps changing). Saves never overlap: a change that arrives
 * during a save is saved by the next one, which starts `delayMs` after the save ends.
 *
 * So a change is stored at most `delayMs` + the duration of two saves after it happens.
 */
export interface Coalescer {
  /** Something changed: make sure a save happens soon. */
  schedule(): void;
  /** Saves what is pending now (if anything) and waits for every save to finish. */
  flush(): Promise<void>;
}

export function coalesce(save: () => Promise<void>, delayMs: number, onError: (e: unknown) => void = () => {}): Coalescer {
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const run = (): Promise<void> => {
    timer = undefined;
    dirty = false;
    running = save()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (dirty && !timer) timer = setTimeout(run, delayMs);
      });
    return running;
  };

  return {
    schedule() {
      dirty = true;
      if (!timer && !running) timer = setTimeout(run, delayMs);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      while (running) await running;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (dirty) await run();
    },
  };
}
