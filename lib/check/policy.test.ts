/** The check policy: the findings policy with exceptions that expire, refused with the line of a bad field. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@/lib/paths';
import { DEFAULT_CHECK_POLICY, exceptionLive, exceptionMatches, parseCheckPolicy } from './policy';

const POLICY = `apiVersion: nhi.dev/v1
kind: FindingsPolicy
metadata:
  name: platform
  version: 3
spec:
  registries: [registry.example.com/*]
  exceptions:
    - rule: NHI-POS-002
      namespace: cert-manager
      name: cert-manager*
      reason: issues certificates into Secrets anywhere (documented)
      expires: 2027-06-30
    - rule: NHI-MAN-*
      namespace: team-*
      reason: legacy apps, migration tracked in JIRA-123
      expires: "2025-01-31"
`;

describe('parseCheckPolicy', () => {
  it('reads the findings policy format with exceptions', () => {
    const p = parseCheckPolicy(POLICY);
    expect(p.metadata).toEqual({ name: 'platform', version: 3 });
    expect(p.spec.registries).toEqual(['registry.example.com/*']);
    expect(p.spec.exceptions).toEqual([
      {
        rule: 'NHI-POS-002',
        namespace: 'cert-manager',
        name: 'cert-manager*',
        reason: 'issues certificates into Secrets anywhere (documented)',
        expires: '2027-06-30',
      },
      { rule: 'NHI-MAN-*', namespace: 'team-*', reason: 'legacy apps, migration tracked in JIRA-123', expires: '2025-01-31' },
    ]);
  });

  it('accepts the built-in findings policy file as it is (no exception)', () => {
    const file = readFileSync(path.join(repoRoot, 'public', 'findings-policy.yaml'), 'utf8');
    expect(parseCheckPolicy(file)).toEqual(DEFAULT_CHECK_POLICY);
  });

  it.each([
    ['expires: 2027-06-30', 'expires: 2027-02-30', 'p.yaml:13: spec.exceptions[0].expires: is not a calendar date'],
    ['expires: 2027-06-30', 'expires: next year', 'p.yaml:13: spec.exceptions[0].expires: must be a date such as 2027-06-30'],
    ['reason: issues certificates into Secrets anywhere (documented)', 'reason: ok', 'p.yaml:12: spec.exceptions[0].reason'],
    ['      name: cert-manager*\n', '      name: cert-manager*\n      user: bob\n', 'p.yaml:9: spec.exceptions[0]'],
    ['  version: 3', '  version: three', 'p.yaml:5: metadata.version'],
    [
      '    - rule: NHI-POS-002\n      namespace: cert-manager\n',
      '    - rule: NHI-POS-002\n',
      'p.yaml:9: spec.exceptions[0].namespace',
    ],
  ])('refuses %s → %s with the line', (from, to, message) => {
    expect(() => parseCheckPolicy(POLICY.replace(from, to), 'p.yaml')).toThrow(message);
  });

  it('refuses YAML that does not parse, with its line', () => {
    expect(() => parseCheckPolicy('apiVersion: nhi.dev/v1\nspec: [\n', 'p.yaml')).toThrow(/^p\.yaml:\d+: not valid YAML/);
  });
});

describe('exceptions', () => {
  const [cm, team] = parseCheckPolicy(POLICY).spec.exceptions as [never, never];
  it('apply through the end of their expiry day (UTC), then no longer', () => {
    expect(exceptionLive(cm, new Date('2027-06-30T23:59:59Z'))).toBe(true);
    expect(exceptionLive(cm, new Date('2027-07-01T00:00:00Z'))).toBe(false);
  });
  it('match rule, namespace and name as globs', () => {
    expect(exceptionMatches(cm, { rule: 'NHI-POS-002', namespace: 'cert-manager', name: 'cert-manager-cainjector' })).toBe(true);
    expect(exceptionMatches(cm, { rule: 'NHI-POS-001', namespace: 'cert-manager', name: 'cert-manager' })).toBe(false);
    expect(exceptionMatches(cm, { rule: 'NHI-POS-002', namespace: 'other', name: 'cert-manager' })).toBe(false);
    expect(exceptionMatches(cm, { rule: 'NHI-POS-002', namespace: 'cert-manager', name: 'webhook' })).toBe(false);
    expect(exceptionMatches(team, { rule: 'NHI-MAN-002', namespace: 'team-a', name: 'anything' })).toBe(true);
  });
});
