import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { demoDataFile } from '@/lib/demo/load';
import { repoRoot } from '@/lib/paths';

/** Runs the real `nhi` command (bin/nhi.mjs) against this run's database, output through pipes. */
function nhi(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'nhi.mjs'), ...args], {
    env: { ...process.env, DATABASE_URL: inject('databaseUrl') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the nhi command', () => {
  it('imports a dump, then prints the whole inventory as JSON through a pipe, with exit status 0', () => {
    const imported = nhi('import', demoDataFile, '--cluster', 'cli-demo');
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(imported.stdout).toMatch(/^cli-demo: succeeded, \d+ objects from 1 file\(s\)/);
    expect(imported.stdout).toMatch(/\n {2}\d+ credentials, \d+ credential finding\(s\) open \(\d+ new, 0 resolved\)/);

    const listed = nhi('identities', '--json', '--cluster', 'cli-demo');
    expect(listed.status).toBe(0);
    expect(listed.stdout.length).toBeGreaterThan(65_536); // more than one pipe buffer: nothing may be cut off
    const identities = JSON.parse(listed.stdout) as { kind: string; name: string }[];
    expect(identities.length).toBeGreaterThan(100);

    const clusters = JSON.parse(nhi('clusters', '--json').stdout) as { name: string; source: string }[];
    expect(clusters.find((c) => c.name === 'cli-demo')?.source).toBe('import');
  });

  it('answers can / who-can on the imported inventory', () => {
    const yes = nhi(
      'can',
      'system:serviceaccount:flux-system:kustomize-controller',
      'delete',
      'secrets',
      '-n',
      'payments',
      '--cluster',
      'cli-demo',
      '--json',
    );
    expect(yes.status).toBe(0);
    expect(JSON.parse(yes.stdout).allowed).toBe(true);
  });

  it('exits non-zero with a clear message on bad input', () => {
    const missing = nhi('can', 'sa:payments/api', 'get');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'resource'");
    const badName = nhi('import', demoDataFile, '--cluster', 'has spaces');
    expect(badName.status).toBe(2); // invalid input: exit 2, like every input error
    expect(badName.stderr).toContain('--cluster must be a name');
    const nothing = nhi('import', path.join(repoRoot, 'README.md'));
    expect(nothing.status).toBe(2); // a file without Kubernetes objects is input to correct
    expect(nothing.stderr).toMatch(/nothing to import/);
  });

  it('judges credentials by a policy file given on the command line, and refuses a bad one before any work', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-policy-'));
    try {
      const strict = path.join(dir, 'strict.yaml');
      writeFileSync(
        strict,
        'apiVersion: nhi.dev/v1\nkind: CredentialPolicy\nmetadata: {name: strict, version: 7}\nspec: {forbiddenClasses: [image-pull-secret]}\n',
      );
      const imported = nhi('import', demoDataFile, '--cluster', 'cli-policy', '--credential-policy', strict);
      expect(imported.status, imported.stderr).toBe(0);
      const listed = JSON.parse(
        nhi('credentials', '--json', '--cluster', 'cli-policy', '--class', 'image-pull-secret').stdout,
      ) as {
        name: string;
        openFindings: number;
      }[];
      expect(listed.map((c) => [c.name, c.openFindings]).sort()).toEqual([
        ['payments-registry', 1],
        ['registry-pull', 1],
      ]);
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(
        bad,
        'apiVersion: nhi.dev/v1\nkind: CredentialPolicy\nmetadata: {name: x, version: 1}\nspec: {maxWorkloadsPerSecret: 0}\n',
      );
      const refused = nhi('import', demoDataFile, '--cluster', 'cli-policy-bad', '--credential-policy', bad);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/spec\.maxWorkloadsPerSecret/);
      expect(JSON.parse(nhi('clusters', '--json').stdout).map((c: { name: string }) => c.name)).not.toContain('cli-policy-bad');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
