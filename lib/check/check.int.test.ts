/**
 * `nhi check` through the real command (bin/nhi.mjs): exit codes 0 (passed), 1 (findings at or above --fail-on) and
 * 2 (unusable input or policy), SARIF on stdout, no database touched without --cluster; and --cluster judging a new
 * RoleBinding with the roles a collected cluster (here: imported into this run's database) already holds.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '@/lib/paths';
import { BIND_EXISTING, CLEAN, SECRET_READER_CLUSTER, SHOP } from './fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-check-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real command, run from `dir` (file names are relative to it), with the database URL given. */
function nhi(databaseUrl: string, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'nhi.mjs'), ...args], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** A server nobody listens on: a command that tried to connect would fail. */
const NO_DATABASE = 'postgresql://nobody@127.0.0.1:1/none';

describe('nhi check (the real command, no database)', () => {
  mkdirSync(path.join(dir, 'clean'), { recursive: true });
  mkdirSync(path.join(dir, 'app', 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'clean', 'web.yaml'), CLEAN);
  writeFileSync(path.join(dir, 'app', 'templates', 'shop.yaml'), SHOP);
  writeFileSync(path.join(dir, 'broken.yaml'), 'kind: ServiceAccount\nmetadata:\n  name: [oops\n');
  writeFileSync(
    path.join(dir, 'bad-policy.yaml'),
    'apiVersion: nhi.dev/v1\nkind: FindingsPolicy\nmetadata: {name: p, version: 0}\nspec: {}\n',
  );

  it('exits 0 when nothing reaches the threshold, 1 when something does, and prints a table', () => {
    const clean = nhi(NO_DATABASE, ['check', 'clean']);
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/PASSED: none at or above high\.\n$/);

    const shop = nhi(NO_DATABASE, ['check', 'clean', 'app']);
    expect(shop.status).toBe(1);
    expect(shop.stdout).toContain('at app/templates/shop.yaml:20 (RoleBinding shop/api-admin; shop/templates/rbac.yaml)');
    expect(shop.stdout).toMatch(/FAILED: 2 at or above high\.\n$/);
    expect(nhi(NO_DATABASE, ['check', 'app', '--fail-on', 'critical']).status).toBe(0);
  });

  it('prints SARIF that parses, and JSON, on stdout (stdin as input)', () => {
    const sarif = nhi(NO_DATABASE, ['check', '-', '--format', 'sarif'], SHOP);
    expect(sarif.status).toBe(1);
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: { ruleId: string }[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.map((r) => r.ruleId).sort()).toEqual(['NHI-MAN-001', 'NHI-POS-001']);
    const json = JSON.parse(
      nhi(NO_DATABASE, ['check', 'app/templates/shop.yaml', '--format', 'json', '--fail-on', 'none']).stdout,
    ) as {
      failed: boolean;
      findings: { object: { file: string } }[];
    };
    expect(json.failed).toBe(false);
    expect(json.findings[0]!.object.file).toBe('app/templates/shop.yaml');
  });

  it('exits 2 on input it cannot use: a broken manifest, a missing path, a bad policy, a bad option', () => {
    const broken = nhi(NO_DATABASE, ['check', 'clean', 'broken.yaml']);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+: invalid YAML/);
    expect(broken.stdout).toBe('');
    expect(nhi(NO_DATABASE, ['check', 'missing.yaml']).stderr).toMatch(/missing\.yaml: cannot read \(not found\)/);
    const policy = nhi(NO_DATABASE, ['check', 'clean', '--policy', 'bad-policy.yaml']);
    expect(policy.status).toBe(2);
    expect(policy.stderr).toContain('bad-policy.yaml:3: metadata.version');
    const option = nhi(NO_DATABASE, ['check', 'clean', '--fail-on', 'severe']);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain('--fail-on: must be one of critical, high, medium, low, none');
  });
});

describe('nhi check --cluster (a collected cluster from the database)', () => {
  it('judges a new RoleBinding with the ClusterRole the cluster already holds', () => {
    const url = inject('databaseUrl');
    writeFileSync(path.join(dir, 'cluster.json'), SECRET_READER_CLUSTER);
    writeFileSync(path.join(dir, 'rb.yaml'), BIND_EXISTING);
    const imported = nhi(url, ['import', 'cluster.json', '--cluster', 'check-context']);
    expect(imported.status).toBe(0);

    const alone = JSON.parse(nhi(NO_DATABASE, ['check', 'rb.yaml', '--format', 'json']).stdout) as {
      findings: { rule: string }[];
    };
    expect(alone.findings.map((f) => f.rule)).toEqual(['NHI-POS-007']);

    const inCluster = nhi(url, ['check', 'rb.yaml', '--format', 'json', '--cluster', 'check-context']);
    expect(inCluster.status).toBe(1);
    const report = JSON.parse(inCluster.stdout) as {
      context: unknown;
      findings: { rule: string; object: { kind: string; line: number } }[];
    };
    expect(report.context).toEqual({ cluster: 'check-context' });
    expect(report.findings.map((f) => f.rule)).toEqual(['NHI-POS-001', 'NHI-POS-007']);
    expect(report.findings[0]!.object).toMatchObject({ kind: 'RoleBinding', line: 1 });

    const unknown = nhi(url, ['check', 'rb.yaml', '--cluster', 'no-such-cluster']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/no-such-cluster/);
  });
});
