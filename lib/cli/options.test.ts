import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clusterNameOption, parseOptions } from './options';

describe('CLI option checks', () => {
  it('accepts cluster names of letters, digits and . _ : @ -, and refuses others as input errors', () => {
    expect(clusterNameOption('prod-eu.1@acme:x')).toBe('prod-eu.1@acme:x');
    expect(clusterNameOption(undefined)).toBeUndefined();
    expect(() => clusterNameOption('has spaces')).toThrow(
      '--cluster must be a name of letters, digits and . _ : @ - (got "has spaces")',
    );
    expect(() => clusterNameOption('-lead')).toThrow(expect.objectContaining({ kind: 'invalid_input' }));
  });

  it('names the option of the first problem as it is typed', () => {
    const schema = z.object({ olderThan: z.coerce.number().int().min(0).optional(), cluster: z.string().optional() });
    expect(parseOptions(schema, { olderThan: '7' })).toEqual({ olderThan: 7 });
    expect(() => parseOptions(schema, { olderThan: '-1' })).toThrow(/^--older-than: /);
  });
});
