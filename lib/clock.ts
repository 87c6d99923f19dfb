/**
 * What time it is, passed in rather than read from the system where a time is stored or measured, so that
 * tests can fix it (the way `checkHealth(url, now)` takes it). Timers (setTimeout) stay real.
 */
export type Clock = () => Date;

/** The real time: the default at the outer edge (the CLI, collection and import entry points). */
export const systemClock: Clock = () => new Date();

/** A clock that always says `at`; each call returns a new Date. For tests. */
export function fixedClock(at: Date | string): Clock {
  const ms = new Date(at).getTime();
  if (Number.isNaN(ms)) throw new RangeError(`fixedClock: not a time: ${String(at)}`);
  return () => new Date(ms);
}
