/**
 * The agent's spool (`nhi collect --watch --push`): a directory of batches waiting to be acknowledged by the
 * server, oldest first, so that an outage of the server (or of the agent) loses nothing. Each batch is one file,
 * its gzip-compressed body exactly as it is sent, named `<order>-<session>-<seq>-<flags>.batch.gz`: the order
 * is a counter of this spool (across agent sessions), flags `r` (reset) and `c` (complete). Files are written
 * to a temporary name, flushed to disk and renamed, so a crash leaves either the whole batch or none.
 *
 * The spool is bounded (`maxBytes`): it says when a batch would overflow it, and the agent then replaces what is
 * waiting with one fresh snapshot (push-agent.ts) — the latest state is never lost, only intermediate changes.
 * A lock file keeps two agents from sharing one spool.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { invalidInput } from '@/lib/errors';

export interface SpoolEntry {
  order: number;
  session: string;
  seq: number;
  reset: boolean;
  complete: boolean;
  bytes: number;
  file: string;
}

const NAME = /^(\d{12})-([0-9a-f-]{36})-(\d+)-(r?c?|-)\.batch\.gz$/;
export const DEFAULT_SPOOL_BYTES = 256 * 1024 * 1024;

function nameOf(e: Omit<SpoolEntry, 'bytes' | 'file'>): string {
  const flags = `${e.reset ? 'r' : ''}${e.complete ? 'c' : ''}` || '-';
  return `${String(e.order).padStart(12, '0')}-${e.session}-${e.seq}-${flags}.batch.gz`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Spool {
  private list: SpoolEntry[] = [];
  private next = 1;
  private lockFile: string;
  private locked = false;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    this.lockFile = path.join(dir, 'spool.lock');
  }

  /** Opens (and creates) the spool, takes its lock, and reads the batches a previous agent left, in order. */
  static async open(dir: string, opts: { maxBytes?: number } = {}): Promise<Spool> {
    const maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_BYTES;
    if (!(maxBytes > 0)) throw invalidInput(`the spool's size must be positive (got ${maxBytes})`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spool = new Spool(dir, maxBytes);
    spool.lock();
    try {
      for (const name of await readdir(dir)) {
        if (name.endsWith('.tmp')) {
          await unlink(path.join(dir, name)).catch(() => {});
          continue;
        }
        const m = NAME.exec(name);
        if (!m) continue;
        const file = path.join(dir, name);
        spool.list.push({
          order: Number(m[1]),
          session: m[2]!,
          seq: Number(m[3]),
          reset: m[4]!.includes('r'),
          complete: m[4]!.includes('c'),
          bytes: (await stat(file)).size,
          file,
        });
      }
    } catch (e) {
      spool.close();
      throw e;
    }
    spool.list.sort((a, b) => a.order - b.order);
    spool.next = (spool.list.at(-1)?.order ?? 0) + 1;
    return spool;
  }

  private lock(): void {
    try {
      const fd = openSync(this.lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(this.lockFile, 'utf8').trim());
      // A pid that is gone, or our own (a container restarted with the same pid), is a stale lock.
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw invalidInput(`the spool ${this.dir} is in use by process ${pid}; give this agent another --spool`);
      unlinkSync(this.lockFile);
      return this.lock();
    }
    this.locked = true;
  }

  /** Releases the lock; the batches stay for the next agent. */
  close(): void {
    if (!this.locked) return;
    this.locked = false;
    try {
      unlinkSync(this.lockFile);
    } catch {
      // already gone
    }
  }

  /** Waiting batches, oldest first. */
  entries(): readonly SpoolEntry[] {
    return this.list;
  }

  head(): SpoolEntry | undefined {
    return this.list[0];
  }

  last(): SpoolEntry | undefined {
    return this.list.at(-1);
  }

  get totalBytes(): number {
    return this.list.reduce((n, e) => n + e.bytes, 0);
  }

  /** Whether `bytes` more (replacing `replacing`, if given) would go past the spool's bound. */
  wouldOverflow(bytes: number, replacing?: SpoolEntry): boolean {
    return this.totalBytes - (replacing?.bytes ?? 0) + bytes > this.maxBytes;
  }

  private async write(file: string, body: Buffer): Promise<void> {
    const tmp = `${file}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }

  /** Adds a batch at the end (after every waiting one). */
  async append(meta: { session: string; seq: number; reset: boolean; complete: boolean }, body: Buffer): Promise<SpoolEntry> {
    const order = this.next++;
    const file = path.join(this.dir, nameOf({ ...meta, order }));
    await this.write(file, body);
    const entry: SpoolEntry = { ...meta, order, bytes: body.length, file };
    this.list.push(entry);
    return entry;
  }

  /** Replaces a waiting batch's body (the agent merges new changes into the last batch not yet sent). */
  async replace(entry: SpoolEntry, body: Buffer): Promise<SpoolEntry> {
    const i = this.list.indexOf(entry);
    if (i < 0) throw new Error('spool: replacing a batch that is not waiting');
    await this.write(entry.file, body);
    entry.bytes = body.length;
    return entry;
  }

  async read(entry: SpoolEntry): Promise<Buffer> {
    return readFile(entry.file);
  }

  /** Removes a batch (acknowledged, or superseded by a snapshot). */
  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.list.indexOf(entry);
    if (i >= 0) this.list.splice(i, 1);
    await unlink(entry.file).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
