import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Detached processes with a pid file and a log file each; they outlive the Node process that starts them. */

export interface ManagedProcess {
  name: string;
  binary: string;
  pidFile: string;
  logFile: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function cmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * The pid of the running process, or null. A pid is only trusted when /proc says it still runs
 * the same binary (pids are reused after a reboot or a crash).
 */
export function runningPid(proc: ManagedProcess): number | null {
  if (!existsSync(proc.pidFile)) return null;
  const pid = Number(readFileSync(proc.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const argv = cmdline(pid);
  if (!argv || argv.length === 0 || isZombie(pid)) return null;
  return path.basename(argv[0] ?? '') === path.basename(proc.binary) ? pid : null;
}

/** Starts the binary detached, stdout and stderr appended to its log file. */
export function startDetached(proc: ManagedProcess, args: string[]): number {
  if (!existsSync(proc.binary)) throw new Error(`${proc.name}: binary missing at ${proc.binary}`);
  const fd = openSync(proc.logFile, 'a', 0o600);
  try {
    writeFileSync(fd, `\n==== ${new Date().toISOString()} starting ${proc.name}\n`);
    const child = spawn(proc.binary, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`${proc.name}: could not start ${proc.binary}`);
    child.unref();
    writeFileSync(proc.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Gone means reaped or a zombie; an exiting process keeps its sockets until then. */
function gone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`) || isZombie(pid);
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns true if a process was stopped. */
export async function stopProcess(proc: ManagedProcess, graceMs = 15_000): Promise<boolean> {
  const pid = runningPid(proc);
  if (pid === null) {
    rmSync(proc.pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (!gone(pid) && Date.now() < deadline) await sleep(100);
  if (!gone(pid)) {
    process.kill(pid, 'SIGKILL');
    while (!gone(pid)) await sleep(50);
  }
  rmSync(proc.pidFile, { force: true });
  return true;
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  const size = statSync(file).size;
  const len = Math.min(size, 16_384);
  const buf = Buffer.alloc(len);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, len, size - len);
  } finally {
    closeSync(fd);
  }
  return buf
    .toString('utf8')
    .split('\n')
    .slice(-lines - 1)
    .join('\n')
    .trim();
}

/** Whether something accepts connections on host:port. */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `check` until it resolves true; fails early if the process died, with the tail of its log. */
export async function waitFor(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (runningPid(proc) === null) {
      throw new Error(`${proc.name} exited before ${what}; last lines of ${proc.logFile}:\n${logTail(proc.logFile)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.name}: no ${what} after ${timeoutMs / 1000}s; last lines of ${proc.logFile}:\n${logTail(proc.logFile)}`,
      );
    }
    await sleep(250);
  }
}
