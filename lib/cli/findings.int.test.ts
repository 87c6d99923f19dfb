/** `nhi findings` through the real command (bin/nhi.mjs), on the demo dataset imported as its own cluster. */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { demoDataFile } from '@/lib/demo/load';
import { runNhi } from './run-nhi';

const nhi = (...args: string[]) => runNhi(inject('databaseUrl'), ...args);

interface Item {
  rule: string;
  severity: string;
  owasp: string[];
  identity?: string;
  workload?: string;
  evidence: Record<string, unknown>;
  status: string;
}

beforeAll(() => {
  const imported = nhi('import', demoDataFile, '--cluster', 'cli-findings');
  expect(imported.status).toBe(0);
  expect(imported.stdout).toMatch(/\n {2}\d+ posture finding\(s\) open \(\d+ new, 0 resolved\): npx nhi findings/);
});

describe('nhi findings', () => {
  it('prints the named fields of each finding as JSON, filtered by cluster, rule and severity', () => {
    const r = nhi('findings', '--json', '--cluster', 'cli-findings', '--rule', 'NHI-POS-004', '--severity', 'critical');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const items = JSON.parse(r.stdout) as Item[];
    expect(items.length).toBeGreaterThan(3);
    expect(items.every((i) => i.rule === 'NHI-POS-004' && i.severity === 'critical' && i.status === 'open')).toBe(true);
    const falco = items.find((i) => i.workload === 'default/DaemonSet/falco');
    expect(falco).toMatchObject({
      owasp: ['NHI8', 'NHI5'],
      evidence: { hostAccess: expect.arrayContaining([expect.objectContaining({ fact: 'privileged' })]) },
    });
  });

  it('names the identity of identity findings and refuses an unknown status', () => {
    const items = JSON.parse(nhi('findings', '--json', '--cluster', 'cli-findings', '--rule', 'NHI-POS-001').stdout) as Item[];
    expect(items.map((i) => i.identity)).toContain('checkout/checkout-worker');
    expect(items.every((i) => i.workload === undefined)).toBe(true);
    const bad = nhi('findings', '--status', 'maybe');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/status/);
  });
});
