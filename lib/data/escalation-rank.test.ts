import { describe, expect, it } from 'vitest';
import { rankEscalationPaths, type EscalationPathRow } from './identities';

const row = (
  name: string,
  anomalies: number,
  distance: number,
  maxSeverity: string | null,
  over: Partial<EscalationPathRow> = {},
) => ({
  cluster: 'prod',
  namespace: 'shop',
  name,
  anomalies,
  distance,
  maxSeverity,
  ...over,
});

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe('rankEscalationPaths', () => {
  it('puts identities with active anomalies first, however long their path', () => {
    const ranked = rankEscalationPaths([row('admin', 0, 0, 'critical'), row('noisy', 1, 3, 'low')]);
    expect(names(ranked)).toEqual(['noisy', 'admin']);
  });

  it('ranks more anomalies before fewer', () => {
    expect(
      names(rankEscalationPaths([row('one', 1, 0, 'critical'), row('three', 3, 2, 'medium'), row('two', 2, 1, 'high')])),
    ).toEqual(['three', 'two', 'one']);
  });

  it('then fewer steps to cluster-admin, then the worse severity', () => {
    const ranked = rankEscalationPaths([
      row('far', 0, 2, 'critical'),
      row('near-medium', 0, 1, 'medium'),
      row('near-critical', 0, 1, 'critical'),
      row('near-none', 0, 1, null),
      row('is-admin', 0, 0, 'low'),
    ]);
    expect(names(ranked)).toEqual(['is-admin', 'near-critical', 'near-medium', 'near-none', 'far']);
  });

  it('orders ties by cluster, namespace and name, and leaves its input alone', () => {
    const input = [
      row('b', 0, 1, 'high', { cluster: 'prod' }),
      row('a', 0, 1, 'high', { cluster: 'prod', namespace: 'web' }),
      row('c', 0, 1, 'high', { cluster: 'dev' }),
      row('a', 0, 1, 'high', { cluster: 'prod' }),
    ];
    const ranked = rankEscalationPaths(input);
    expect(ranked.map((r) => `${r.cluster}/${r.namespace}/${r.name}`)).toEqual([
      'dev/shop/c',
      'prod/shop/a',
      'prod/shop/b',
      'prod/web/a',
    ]);
    expect(names(input)).toEqual(['b', 'a', 'c', 'a']);
  });
});
