import { describe, expect, it } from 'vitest';
import { labelEvidence, rankSuggestions } from './suggest';

const teams = new Map([
  ['payments', 'payments'],
  ['sre', 'SRE'],
]);

describe('labelEvidence', () => {
  it('reads values naming a team (without case), never the owner keys the collector reads', () => {
    const e = labelEvidence(
      {
        labels: { 'app.kubernetes.io/name': 'Payments', team: 'sre', 'app.kubernetes.io/part-of': 'payments', tier: 'web' },
        annotations: { 'example.com/oncall': 'sre' },
      },
      teams,
    );
    expect(e).toEqual([
      { kind: 'label', team: 'payments', why: 'label app.kubernetes.io/name=Payments', count: 1 },
      { kind: 'label', team: 'SRE', why: 'annotation example.com/oncall=sre', count: 1 },
    ]);
  });

  it('names whose labels they are', () => {
    expect(
      labelEvidence({ labels: { group: 'payments' }, annotations: {} }, teams, {
        label: 'namespace shop label',
        annotation: 'namespace shop annotation',
      })[0]?.why,
    ).toBe('namespace shop label group=payments');
  });
});

describe('rankSuggestions', () => {
  it('puts related owners before labels before namespace neighbours, one entry per team with every reason', () => {
    const ranked = rankSuggestions([
      { kind: 'namespace', team: 'sre', why: 'owns 40 others in namespace shop', count: 40 },
      { kind: 'label', team: 'data', why: 'label app=data', count: 1 },
      { kind: 'related', team: 'payments', why: 'owns 1 workload running as it', count: 1 },
      { kind: 'namespace', team: 'payments', why: 'owns 2 others in namespace shop', count: 2 },
      { kind: 'namespace', team: 'alpha', why: 'owns 2 others in namespace shop', count: 2 },
    ]);
    expect(ranked).toEqual([
      { team: 'payments', why: ['owns 1 workload running as it', 'owns 2 others in namespace shop'] },
      { team: 'data', why: ['label app=data'] },
      { team: 'sre', why: ['owns 40 others in namespace shop'] },
      { team: 'alpha', why: ['owns 2 others in namespace shop'] },
    ]);
  });

  it('keeps at most `limit`, ties by name', () => {
    const e = ['d', 'c', 'b', 'a'].map((team) => ({ kind: 'namespace' as const, team, why: 'x', count: 1 }));
    expect(rankSuggestions(e, 2).map((s) => s.team)).toEqual(['a', 'b']);
    expect(rankSuggestions([])).toEqual([]);
  });
});
