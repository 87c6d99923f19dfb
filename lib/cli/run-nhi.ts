/**
 * For tests: the real `nhi` command (bin/nhi.mjs) in a child process on a given database, its output through
 * pipes (large outputs included: nothing may be cut off).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '@/lib/paths';

export function runNhi(databaseUrl: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'nhi.mjs'), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
