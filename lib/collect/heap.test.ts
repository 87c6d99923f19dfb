import { describe, expect, it } from 'vitest';
import { collectorHeapFlag, DEFAULT_COLLECTOR_HEAP_MB, ingestHeapFlags, wantsBoundedHeap } from './heap';

describe('the collector heap', () => {
  it('bounds collect and import, once, unless the operator chose a heap size', () => {
    expect(wantsBoundedHeap(['collect', '--once'], [])).toBe(true);
    expect(wantsBoundedHeap(['import', 'dump.json'], [])).toBe(true);
    expect(wantsBoundedHeap(['identities', '--json'], [])).toBe(false);
    expect(wantsBoundedHeap(['--help'], [])).toBe(false);
    expect(wantsBoundedHeap(['collect'], ['--max-old-space-size=2048'])).toBe(false);
    expect(wantsBoundedHeap(['collect'], [], '--max-old-space-size=4096')).toBe(false);
  });

  it('reads NHI_COLLECTOR_HEAP_MB, and refuses a value that is not a sane size', () => {
    expect(collectorHeapFlag({})).toBe(`--max-old-space-size=${DEFAULT_COLLECTOR_HEAP_MB}`);
    expect(collectorHeapFlag({ NHI_COLLECTOR_HEAP_MB: '2048' })).toBe('--max-old-space-size=2048');
    expect(() => collectorHeapFlag({ NHI_COLLECTOR_HEAP_MB: '12' })).toThrow(/256 to 65536/);
    expect(() => collectorHeapFlag({ NHI_COLLECTOR_HEAP_MB: 'lots' })).toThrow(/got "lots"/);
  });

  it('starts the old generation of `nhi ingest` larger (fewer full collections), and only of ingest', () => {
    expect(ingestHeapFlags(['ingest', 'audit.log', '--cluster', 'prod'])).toEqual(['--initial-old-space-size=64']);
    expect(ingestHeapFlags(['--json', 'ingest', '-'])).toEqual(['--initial-old-space-size=64']);
    expect(ingestHeapFlags(['collect', '--once'])).toEqual([]);
    expect(ingestHeapFlags(['ingest-status'])).toEqual([]);
  });
});
