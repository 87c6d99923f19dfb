import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

describe('createRng', () => {
  it('is reproducible and roughly uniform', () => {
    const a = createRng(1);
    const b = createRng(1);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('discards the first 12 outputs by default; the bench cluster generator keeps them (discard: 0)', () => {
    const raw = createRng(2024, { discard: 0 });
    const first = Array.from({ length: 20 }, () => raw.next());
    const warmed = createRng(2024);
    expect(Array.from({ length: 8 }, () => warmed.next())).toEqual(first.slice(12));
  });

  it('samples distinct items and spells characters from the alphabet', () => {
    const rng = createRng(5);
    const items = ['a', 'b', 'c', 'd', 'e'];
    const picked = rng.sample(items, 3);
    expect(new Set(picked).size).toBe(3);
    expect(picked.every((x) => items.includes(x))).toBe(true);
    expect(rng.chars(40, 'xy')).toMatch(/^[xy]{40}$/);
    expect(() => rng.pick([])).toThrow('empty');
  });
});
