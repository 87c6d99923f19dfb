import { describe, expect, it } from 'vitest';
import { filterHref } from './query';

describe('filterHref', () => {
  it('keeps set values, drops empty ones and defaults', () => {
    expect(filterHref('/identities', { q: 'api', page: 1, builtIn: 'hide', kind: undefined }, { page: 1, builtIn: 'hide' })).toBe(
      '/identities?q=api',
    );
    expect(filterHref('/credentials', { page: 3, olderThan: 90, class: 'api-token' }, { page: 1 })).toBe(
      '/credentials?page=3&olderThan=90&class=api-token',
    );
    expect(filterHref('/x', {})).toBe('/x');
    expect(filterHref('/x', { q: 'a b&c' })).toBe('/x?q=a+b%26c');
  });
});
