import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '@/lib/yaml-config';
import { scoreIdentity, scoreWorkload, type IdentityFacts, type RiskScore } from './score';
import { defaultWeightsFile, loadWeights, riskWeightsSchema, weightsLabel } from './weights';

const weights = loadWeights(defaultWeightsFile);

const base: IdentityFacts = {
  name: 'shop/api',
  escalationDistance: null,
  escalationSteps: [],
  targets: [],
  capabilities: [],
  findings: [],
  anomalies: [],
  workloads: [],
  owned: true,
  href: '/identities/1',
};
const sum = (r: RiskScore) => r.factors.reduce((s, f) => s + f.points, 0);

describe('risk weights', () => {
  it('the bundled file is valid and versioned', () => {
    expect(weightsLabel(weights)).toBe('default v1');
    expect(weights.spec.identity.clusterAdmin).toBe(45);
  });
  it('refuses an invalid file naming the field', () => {
    const text = readFileSync(defaultWeightsFile, 'utf8').replace('unowned: 5', 'unowned: -5');
    expect(() => parseYamlConfig(riskWeightsSchema, text, 'w.yaml')).toThrow(/spec\.identity\.unowned/);
  });
});

describe('scoreIdentity', () => {
  it('an owned identity with nothing against it scores 0 with no factor', () => {
    expect(scoreIdentity(base, weights)).toEqual({ score: 0, factors: [] });
  });

  it('counts each fact with its weight, and the factors add up to the score', () => {
    const r = scoreIdentity(
      {
        ...base,
        escalationDistance: 2,
        escalationSteps: ['bind admin', 'read a token'],
        capabilities: [
          { id: 'secrets-read', title: 'Read Secrets', severity: 'critical', scope: 'namespace shop' },
          { id: 'pods-exec', title: 'Exec into pods', severity: 'high', scope: 'namespace shop' },
        ],
        findings: [
          { id: 'f1', ruleId: 'NHI-CRED-001', severity: 'high', title: 'Old token' },
          { id: 'f2', ruleId: 'NHI-POS-002', severity: 'critical', title: 'path' },
        ],
        workloads: [{ id: 'w1', label: 'shop/Deployment/api' }],
        owned: false,
      },
      weights,
    );
    expect(r.factors.map((f) => [f.name, f.points])).toEqual([
      ['Path to cluster-admin in 2 steps', 30],
      ['Sensitive capabilities (1 critical, 1 high)', 12],
      // NHI-POS-002 is the escalation path itself: not counted twice.
      ['Open findings (1 high)', 4],
      ['Token used by 1 workload', 2],
      ['No owner', 5],
    ]);
    expect(r.score).toBe(53);
    expect(sum(r)).toBe(r.score);
    expect(r.factors[0]!.evidence).toEqual([
      { label: '1. bind admin', href: '/identities/1#escalation' },
      { label: '2. read a token', href: '/identities/1#escalation' },
    ]);
    expect(r.factors[2]!.evidence).toEqual([{ label: 'NHI-CRED-001 Old token (high)', href: '/findings/f1' }]);
  });

  it('a path whose source shows anomalies weighs more', () => {
    const anomalies = [{ id: 'a1', detector: 'secret-access', severity: 'high' as const, summary: 'listed secrets' }];
    const calm = scoreIdentity({ ...base, escalationDistance: 1, escalationSteps: ['x'] }, weights);
    const noisy = scoreIdentity({ ...base, escalationDistance: 1, escalationSteps: ['x'], anomalies }, weights);
    const anomalousOnly = scoreIdentity({ ...base, anomalies }, weights);
    expect(calm.score).toBe(35);
    expect(noisy.factors.map((f) => f.name)).toContain('That power is in the hands of an identity behaving anomalously');
    // The path's bonus (35 × 0.5) comes on top of the anomalies' own points.
    expect(noisy.score).toBe(calm.score + 18 + anomalousOnly.score);
    expect(noisy.factors.find((f) => f.name.startsWith('That power'))!.evidence[0]!.href).toBe('/anomalies/a1');
  });

  it('caps at 100 with a factor that takes off the excess', () => {
    const r = scoreIdentity(
      {
        ...base,
        escalationDistance: 0,
        targets: [
          { target: 'node', scope: '*', distance: 1 },
          { target: 'token-mint', scope: 'kube-system/x', distance: 1 },
        ],
        capabilities: Array.from({ length: 5 }, (_, i) => ({
          id: `c${i}`,
          title: `C${i}`,
          severity: 'critical' as const,
          scope: 'cluster',
        })),
        anomalies: [{ id: 'a', detector: 'exec', severity: 'critical', summary: 'exec' }],
        owned: false,
      },
      weights,
    );
    expect(r.score).toBe(100);
    expect(sum(r)).toBe(100);
    const cap = r.factors.at(-1)!;
    expect(cap.name).toBe('Capped at 100');
    expect(cap.points).toBeLessThan(0);
    // Capabilities are capped at 24 (5 × 8 = 40).
    expect(r.factors.find((f) => f.name.startsWith('Sensitive'))!.points).toBe(24);
    expect(r.factors.find((f) => f.name.startsWith('Can escalate'))!.points).toBe(25);
  });

  it('is deterministic: the order of the facts does not change the result', () => {
    const findings = [
      { id: 'a', ruleId: 'NHI-CRED-001', severity: 'low' as const, title: 'A' },
      { id: 'b', ruleId: 'NHI-CRED-002', severity: 'critical' as const, title: 'B' },
      { id: 'c', ruleId: 'NHI-POS-006', severity: 'medium' as const, title: 'C' },
    ];
    const one = scoreIdentity({ ...base, findings }, weights);
    const two = scoreIdentity({ ...base, findings: [...findings].reverse() }, weights);
    expect(two).toEqual(one);
    expect(one.factors[0]!.evidence.map((e) => e.href)).toEqual(['/findings/b', '/findings/c', '/findings/a']);
  });
});

describe('scoreWorkload', () => {
  it("takes a share of its ServiceAccount's score and adds its own findings", () => {
    const r = scoreWorkload(
      {
        identity: { name: 'shop/api', score: 50, href: '/identities/1' },
        findings: [{ id: 'f', ruleId: 'NHI-POS-004', severity: 'critical', title: 'privileged' }],
        anomalies: [],
      },
      weights,
    );
    expect(r.factors.map((f) => [f.name, f.points])).toEqual([
      ['Runs as shop/api (score 50 × 0.6)', 30],
      ['Open findings (1 critical)', 10],
    ]);
    expect(r.score).toBe(40);
  });
  it('scores 0 without facts', () => {
    expect(scoreWorkload({ identity: null, findings: [], anomalies: [] }, weights)).toEqual({ score: 0, factors: [] });
  });
});

describe('evidence', () => {
  it('keeps the worst 20 items of a factor and says how many more it counted', () => {
    const findings = Array.from({ length: 25 }, (_, i) => ({
      id: `f${i}`,
      ruleId: 'NHI-CRED-001',
      severity: (i < 3 ? 'high' : 'low') as 'high' | 'low',
      title: `T${i}`,
    }));
    const r = scoreIdentity({ ...base, findings }, weights);
    const f = r.factors[0]!;
    expect(f.name).toBe('Open findings (3 high, 22 low; capped at 20)');
    expect(f.evidence).toHaveLength(21);
    expect(f.evidence.slice(0, 3).map((e) => e.href)).toEqual(['/findings/f0', '/findings/f1', '/findings/f2']);
    expect(f.evidence[20]).toEqual({ label: '… and 5 more (the counts above are of all)' });
  });
});
