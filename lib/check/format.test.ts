/** The outputs of `nhi check`: the table, the stable JSON shape and SARIF 2.1.0, validated against the OASIS schema. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { checkManifests } from './check';
import { LEGACY, SHOP } from './fixtures';
import { formatReport, formatTable, reportJson, sarifLog } from './format';
import { parseCheckPolicy } from './policy';

const NOW = new Date('2026-12-01T12:00:00Z');
const policy = parseCheckPolicy(`apiVersion: nhi.dev/v1
kind: FindingsPolicy
metadata: { name: shop, version: 2 }
spec:
  exceptions:
    - { rule: NHI-POS-001, namespace: shop, reason: the installer needs it until the operator lands, expires: 2026-12-31 }
    - { rule: NHI-MAN-002, namespace: shop, reason: an exception that has run out, expires: 2026-01-31 }
`);
const report = checkManifests(
  [
    { name: 'deploy/shop chart.yaml', text: SHOP },
    { name: 'deploy/tools.yaml', text: LEGACY },
  ],
  { policy, policySource: 'nhi-policy.yaml', now: NOW },
);

/** The official schema (lib/check/sarif/README.md) with its formats (uri, date-time). */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(path.join(__dirname, 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('table', () => {
  it('has the columns, where each finding is written, a fix hint, the excepted and expired apart, and the verdict', () => {
    const text = formatTable(report);
    expect(text).toMatch(/^nhi check: 7 object\(s\) from 2 input\(s\), policy shop v2 \(nhi-policy\.yaml\), failing on high/);
    expect(text).toMatch(/\nSEVERITY +RULE +OBJECT +TITLE\n/);
    expect(text).toMatch(/\nhigh +NHI-MAN-001 +Deployment shop\/api +Secret value written literally/);
    expect(text).toContain('at deploy/shop chart.yaml:35 (shop/templates/deployment.yaml)');
    expect(text).toContain('at deploy/tools.yaml:1\n');
    expect(text).toMatch(/fix: Rotate the value/);
    expect(text).toContain(
      'Excepted by the policy (1, not counted):\n  high NHI-POS-001 ServiceAccount shop/api until 2026-12-31',
    );
    expect(text).toContain(
      'Expired exceptions (no longer applied; renew or remove them in nhi-policy.yaml):\n  NHI-MAN-002 namespace shop, expired 2026-01-31',
    );
    expect(text.split('\n').at(-1)).toBe(
      '7 open finding(s) (0 critical, 2 high, 0 medium, 5 low), 1 excepted. FAILED: 2 at or above high.',
    );
    expect(text).not.toContain('hunter2');
  });
});

describe('json', () => {
  it('has the stable machine shape', () => {
    const json = JSON.parse(formatReport(report, 'json')) as ReturnType<typeof reportJson>;
    expect(Object.keys(json)).toEqual([
      'version',
      'tool',
      'policy',
      'context',
      'failOn',
      'failed',
      'summary',
      'findings',
      'issues',
    ]);
    expect(json).toMatchObject({
      version: 1,
      tool: { name: 'nhi check' },
      policy: {
        name: 'shop',
        version: 2,
        source: 'nhi-policy.yaml',
        expiredExceptions: [expect.objectContaining({ rule: 'NHI-MAN-002', matches: 0 })],
      },
      failOn: 'high',
      failed: true,
      summary: { bySeverity: { critical: 0, high: 2, medium: 0, low: 5 }, open: 7, excepted: 1, failing: 2 },
    });
    const f = json.findings.find((x) => x.rule === 'NHI-POS-001')!;
    expect(Object.keys(f)).toEqual([
      'rule',
      'severity',
      'title',
      'owasp',
      'object',
      'subject',
      'message',
      'remediation',
      'status',
      'exception',
      'evidence',
      'fingerprint',
    ]);
    expect(f.object).toEqual({
      kind: 'RoleBinding',
      namespace: 'shop',
      name: 'api-admin',
      file: 'deploy/shop chart.yaml',
      line: 20,
      helmSource: 'shop/templates/rbac.yaml',
    });
    expect(f.status).toBe('excepted');
  });
});

describe('sarif', () => {
  const validate = sarifValidator();

  it('is valid SARIF 2.1.0 against the official schema', () => {
    const log = JSON.parse(formatReport(report, 'sarif', { cwd: '/work/repo' })) as unknown;
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // Also without findings, and for input from stdin (no file location).
    expect(validate(sarifLog(checkManifests(['kind: Namespace\nmetadata: {name: a, labels: {team: x}}\n'])))).toBe(true);
    expect(validate(sarifLog(checkManifests([{ name: '(stdin)', text: LEGACY }])))).toBe(true);
  });

  it('describes each rule for code scanning and locates each result by file (relative URI) and line', () => {
    const log = sarifLog(report, { cwd: '/work/repo' });
    const run = log.runs[0]!;
    expect(run.originalUriBaseIds).toEqual({ SRCROOT: { uri: 'file:///work/repo/' } });
    const rule = run.tool.driver.rules.find((r) => r.id === 'NHI-POS-001')!;
    expect(rule).toMatchObject({
      shortDescription: { text: expect.stringContaining('cluster-admin') },
      helpUri: expect.stringMatching(/^https:\/\//),
      defaultConfiguration: { level: 'error' },
      properties: { 'security-severity': '9.5', tags: expect.arrayContaining(['security', 'owasp-nhi-NHI5']) },
    });
    const literal = run.results.find((r) => r.ruleId === 'NHI-MAN-001')!;
    expect(run.tool.driver.rules[literal.ruleIndex!]!.id).toBe('NHI-MAN-001');
    expect(literal).toMatchObject({
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'deploy/shop%20chart.yaml', uriBaseId: 'SRCROOT' },
            region: { startLine: 35 },
          },
          logicalLocations: [{ fullyQualifiedName: 'Deployment shop/api', kind: 'resource' }],
        },
      ],
      properties: { 'security-severity': '8.0', helmSource: 'shop/templates/deployment.yaml' },
    });
    expect(run.results.find((r) => r.ruleId === 'NHI-POS-005')!.level).toBe('note');
    const excepted = run.results.find((r) => r.ruleId === 'NHI-POS-001')!;
    expect(excepted.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'the installer needs it until the operator lands (until 2026-12-31)',
      },
    ]);
    expect(new Set(run.results.map((r) => r.partialFingerprints['nhiFinding/v1'])).size).toBe(run.results.length);
  });
});
