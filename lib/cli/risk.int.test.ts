/** `nhi risk` and `nhi exceptions` through the real command (bin/nhi.mjs), on the demo dataset imported as its own cluster. */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { demoDataFile } from '@/lib/demo/load';
import { runNhi } from './run-nhi';

const nhi = (...args: string[]) => runNhi(inject('databaseUrl'), ...args);
const CLUSTER = 'cli-risk';

interface RiskItem {
  identity?: string;
  workload?: string;
  score: number;
  factors: { name: string; points: number; evidence: { label: string; href?: string }[] }[];
  cluster: string;
  weights: string;
}

beforeAll(() => {
  const imported = nhi('import', demoDataFile, '--cluster', CLUSTER);
  expect(imported.status).toBe(0);
  expect(imported.stdout).toMatch(/\n {2}\d+ identities and \d+ workloads scored: npx nhi risk/);
});

describe('nhi risk', () => {
  it('prints each identity with its score and factors whose points add up to it, highest first', () => {
    const r = nhi('risk', '--json', '--cluster', CLUSTER);
    expect(r.stderr).toBe('');
    const items = JSON.parse(r.stdout) as RiskItem[];
    expect(items.length).toBeGreaterThan(50);
    for (const i of items) {
      expect(typeof i.identity).toBe('string');
      expect(i.factors.reduce((s, f) => s + f.points, 0)).toBe(i.score);
      expect(i.weights).toBe('default v1');
    }
    expect(items.map((i) => i.score)).toEqual([...items.map((i) => i.score)].sort((a, b) => b - a));
    // Kubernetes' own controllers are left out unless asked for.
    expect(items.map((i) => i.identity)).not.toContain('kube-system/namespace-controller');
    const all = JSON.parse(nhi('risk', '--json', '--cluster', CLUSTER, '--built-in').stdout) as RiskItem[];
    expect(all.map((i) => i.identity)).toContain('kube-system/namespace-controller');
  });

  it('scores workloads, limits and rolls up', () => {
    const w = JSON.parse(nhi('risk', '--json', '--cluster', CLUSTER, '--workloads', '--limit', '5').stdout) as RiskItem[];
    expect(w).toHaveLength(5);
    expect(w.every((i) => typeof i.workload === 'string' && i.factors.reduce((s, f) => s + f.points, 0) === i.score)).toBe(true);
    const table = nhi('risk', 'rollup', '--cluster', CLUSTER);
    expect(table.stdout).toMatch(/^Clusters:\n {2}cli-risk +identities \d+ +mean \d+ +p90 \d+ +max \d+/);
    const bad = nhi('risk', '--min', '101');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/min/);
  });
});

describe('nhi exceptions', () => {
  it('accepts a finding with an approver and an expiry, lists it, and revokes it', () => {
    const findings = JSON.parse(nhi('findings', '--json', '--cluster', CLUSTER, '--rule', 'NHI-POS-005').stdout) as {
      id: string;
    }[];
    const id = findings[0]!.id;
    const accept = (approver: string, ...more: string[]) =>
      nhi(
        'exceptions',
        'add',
        id,
        '--reason',
        'pinned next sprint',
        '--by',
        'alice',
        '--approved-by',
        approver,
        '--expires',
        '30d',
        ...more,
      );
    const same = accept('alice');
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/approver must be someone other than the requester/);
    const added = accept('bob', '--json');
    expect(added.stderr).toBe('');
    const e = JSON.parse(added.stdout) as { id: string; state: string; approvedBy: string; finding: { status: string } };
    expect(e).toMatchObject({ state: 'active', approvedBy: 'bob', finding: { status: 'excepted' } });
    const excepted = JSON.parse(nhi('findings', '--json', '--cluster', CLUSTER, '--status', 'excepted').stdout) as {
      id: string;
    }[];
    expect(excepted.map((f) => f.id)).toEqual([id]);
    expect(nhi('exceptions', 'list', '--state', 'active').stdout).toMatch(/^active\tcli-risk\tNHI-POS-005\t.*approved by bob/);
    const revoked = nhi('exceptions', 'revoke', e.id, '--by', 'bob');
    expect(revoked.stdout).toMatch(/revoked by bob: NHI-POS-005 on .* is open again/);
  });
});
