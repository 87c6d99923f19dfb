import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { filterHref, parseFilter } from './query';

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

describe('parseFilter', () => {
  const schema = z.object({ page: z.coerce.number().int().min(1).default(1), kind: z.enum(['a', 'b']).optional() });
  it('takes the first of repeated keys, drops empty values, and names the field of a bad one', () => {
    expect(parseFilter(schema, { page: ['2', '9'], kind: '' })).toEqual({ filter: { page: 2 } });
    expect(parseFilter(schema, { page: '0', kind: 'a' })).toEqual({
      filter: { page: 1 },
      error: expect.stringMatching(/^Invalid filter "page": /),
    });
  });
});
