import { AppError } from '@/lib/errors';
/** A seeded random generator for generated test and benchmark data (never for anything secret). */
export interface Rng {
  /** [0, 1) */
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** k distinct items (k ≤ items.length). */
  sample<T>(items: readonly T[], k: number): T[];
  /** n characters from [a-z0-9] (or another alphabet). */
  chars(n: number, alphabet?: string): string;
}

/**
 * sfc32 seeded through splitmix32: small, fast, good enough for test data. The first `discard` outputs
 * are thrown away (12 by default, as sfc32's authors advise); the bench cluster generator keeps 0, which
 * its loaded benchmark clusters were made with.
 */
export function createRng(seed: number, { discard = 12 }: { discard?: number } = {}): Rng {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < discard; i++) next();
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (items) => {
      if (items.length === 0) throw new AppError('internal', 'pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (p) => next() < p,
    sample: (items, k) => {
      const copy = [...items];
      const out: (typeof items)[number][] = [];
      for (let i = 0; i < k && copy.length; i++) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]!);
      return out;
    },
    chars: (n, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') => {
      let out = '';
      for (let i = 0; i < n; i++) out += alphabet[Math.floor(next() * alphabet.length)];
      return out;
    },
  };
}
