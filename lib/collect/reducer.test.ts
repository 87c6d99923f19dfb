import { describe, expect, it } from 'vitest';
import { applyWatchEvent, replaceAll } from './reducer';
import type { KubeObject } from './types';

const sa = (name: string, rv: string, ns = 'apps'): KubeObject => ({
  kind: 'ServiceAccount',
  metadata: { name, namespace: ns, resourceVersion: rv },
});

describe('watch reducer', () => {
  it('adds, modifies and deletes by namespace/name', () => {
    const items = new Map();
    expect(applyWatchEvent(items, { type: 'ADDED', object: sa('a', '1') })).toBe(true);
    expect(applyWatchEvent(items, { type: 'ADDED', object: sa('a', '1', 'other') })).toBe(true);
    expect(applyWatchEvent(items, { type: 'MODIFIED', object: sa('a', '2') })).toBe(true);
    expect(items.get('apps/a').metadata.resourceVersion).toBe('2');
    expect(applyWatchEvent(items, { type: 'DELETED', object: sa('a', '3') })).toBe(true);
    expect([...items.keys()]).toEqual(['other/a']);
  });

  it('ignores a replayed event with the same resourceVersion, bookmarks and unknown deletions', () => {
    const items = new Map([['apps/a', sa('a', '5')]]);
    expect(applyWatchEvent(items, { type: 'MODIFIED', object: sa('a', '5') })).toBe(false);
    expect(applyWatchEvent(items, { type: 'BOOKMARK', object: sa('', '9') })).toBe(false);
    expect(applyWatchEvent(items, { type: 'DELETED', object: sa('zzz', '9') })).toBe(false);
    expect(items.size).toBe(1);
  });

  it('a relist replaces everything and reports whether it differed', () => {
    const items = new Map([
      ['apps/a', sa('a', '1')],
      ['apps/b', sa('b', '1')],
    ]);
    expect(replaceAll(items, [sa('a', '1'), sa('b', '1')])).toBe(false);
    expect(replaceAll(items, [sa('a', '2')])).toBe(true);
    expect([...items.keys()]).toEqual(['apps/a']);
  });
});
