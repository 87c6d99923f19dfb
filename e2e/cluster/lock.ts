import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A cross-process lock: a file created with O_EXCL that holds the owner's pid. A lock whose owner
 * is gone (crashed test runner) is taken over. Several vitest workers, the global setup and a
 * developer's `cluster:up` can all call into the harness at once.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockOwner(file);
      // An empty file is a lock being written right now; only an old empty one is stale.
      if ((owner === null && ageMs(file) > 5000) || (owner !== null && !alive(owner))) {
        rmSync(file, { force: true });
        continue;
      }
      if (owner !== null && owner === process.pid) throw new Error(`${file} is already held by this process (nested withLock)`);
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${file} (held by pid ${owner ?? '?'})`);
      if (!announced && owner !== null) {
        process.stderr.write(`cluster: waiting for pid ${owner}, which holds ${file}\n`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    if (lockOwner(file) === process.pid) rmSync(file, { force: true });
  }
}

function lockOwner(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
