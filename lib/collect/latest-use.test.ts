import { describe, expect, it } from 'vitest';
import { latestUse } from './store';

const label = 'label kubernetes.io/legacy-token-last-used';

describe('latestUse', () => {
  it('keeps a newer use from the audit log over an older label date, and takes a newer label', () => {
    const stored = { lastUsedAt: new Date('2026-11-20T10:00:00Z'), lastUsedSource: 'audit' };
    expect(latestUse({ lastUsedAt: '2026-11-19T00:00:00Z', lastUsedSource: label }, stored)).toEqual({
      lastUsedAt: '2026-11-20T10:00:00.000Z',
      lastUsedSource: 'audit',
    });
    expect(latestUse({ lastUsedAt: null, lastUsedSource: null }, stored)).toEqual({
      lastUsedAt: '2026-11-20T10:00:00.000Z',
      lastUsedSource: 'audit',
    });
    expect(latestUse({ lastUsedAt: '2026-11-21T00:00:00Z', lastUsedSource: label }, stored)).toEqual({
      lastUsedAt: '2026-11-21T00:00:00.000Z',
      lastUsedSource: label,
    });
  });

  it('starts from what was collected when nothing is stored', () => {
    expect(latestUse({ lastUsedAt: null, lastUsedSource: label }, undefined)).toEqual({ lastUsedAt: null, lastUsedSource: null });
    expect(latestUse({ lastUsedAt: 'not a date', lastUsedSource: label }, { lastUsedAt: null, lastUsedSource: null })).toEqual({
      lastUsedAt: null,
      lastUsedSource: null,
    });
  });
});
