import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Command } from 'commander';
import { demoProfilesFile } from '@/lib/demo/load';
import { repoRoot } from '@/lib/paths';
import { withDatabase } from '@/lib/cli/database';
import { applyMigrations } from '@/lib/db/migrate';
import { preflight } from '@/lib/db/preflight';
import { invalidInput } from '@/lib/errors';
import { addUser, ensureFirstAdmin } from '@/lib/auth/users';
import { DEMO_EMAIL } from '@/lib/auth/web';
import { createPrisma } from '@/lib/db/client';

const require = createRequire(import.meta.url);
const nextBin = () => require.resolve('next/dist/bin/next');

/** Newest modification time under the folders a production build depends on. */
function newestSource(paths: string[]): number {
  let newest = 0;
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      if (/(^|\/)(node_modules|\.next|generated)$/.test(p)) return;
      for (const name of readdirSync(p)) walk(path.join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) walk(path.join(repoRoot, p));
  return newest;
}

/** True when there is no production build or a source file is newer than it. */
export function buildIsStale(): boolean {
  const buildId = path.join(repoRoot, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  return newestSource(['app', 'components', 'lib', 'public', 'next.config.ts', 'package.json']) > statSync(buildId).mtimeMs;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin(), ...args], { cwd: repoRoot, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
  });
}

export interface WebOptions {
  port: string;
  hostname: string;
  dev?: boolean;
  migrate?: boolean;
}

/**
 * Starts the web app on a database that is ready: DATABASE_URL's, or the embedded server. With
 * `migrate`, pending migrations are applied first; otherwise the start refuses with an actionable message.
 */
export async function startWeb(opts: WebOptions, before?: (databaseUrl: string) => Promise<void>): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalidInput(`--port must be a TCP port number, got "${opts.port}"`);
  return withDatabase(
    async ({ url }) => {
      if (opts.migrate) {
        const applied = await applyMigrations(url);
        if (applied.length) console.log(`Applied migrations: ${applied.join(', ')}`);
      }
      await preflight(url);
      if (before) await before(url);
      else await firstAdmin(url);
      const env = { ...process.env, DATABASE_URL: url, NEXT_TELEMETRY_DISABLED: '1' };
      if (opts.dev) return await run(['dev', '-p', String(port), '-H', opts.hostname], env);
      if (buildIsStale()) {
        console.log('Building the web app (next build)…');
        const code = await run(['build'], env);
        if (code !== 0) return code;
      }
      console.log(`NHI Dashboard on http://${opts.hostname === '0.0.0.0' ? 'localhost' : opts.hostname}:${port}`);
      return await run(['start', '-p', String(port), '-H', opts.hostname], env);
    },
    { check: 'reachable' },
  );
}

/** The first admin of a new installation (lib/auth/users.ts), its password printed once when it was generated. */
async function firstAdmin(url: string): Promise<void> {
  const db = createPrisma(url);
  try {
    const made = await ensureFirstAdmin(db);
    if (made?.password)
      console.log(
        `First admin made: ${made.email}, password ${made.password}\n(shown this once: keep it in your password manager; set NHI_ADMIN_EMAIL / NHI_ADMIN_PASSWORD to choose them instead)`,
      );
    else if (made) console.log(`First admin made: ${made.email} (password from NHI_ADMIN_PASSWORD).`);
  } finally {
    await db.$disconnect();
  }
}

/** The demo's account, signed in automatically (NHI_DEMO=1 tells the web app to): an admin, marked as the demo's. */
async function demoAccount(url: string): Promise<void> {
  const db = createPrisma(url);
  try {
    if (!(await db.user.findUnique({ where: { email: DEMO_EMAIL } })))
      await addUser(db, { email: DEMO_EMAIL, name: 'Demo admin', role: 'admin', source: 'demo' }, 'system');
  } finally {
    await db.$disconnect();
  }
}

export function registerWebCommands(program: Command): void {
  program
    .command('web')
    .description('Serve the dashboard (production build, built first when missing or stale).')
    .option('-p, --port <port>', 'TCP port', process.env.PORT ?? '3000')
    .option('-H, --hostname <host>', 'address to listen on', '127.0.0.1')
    .option('--dev', 'run the Next.js development server instead')
    .option('--migrate', 'apply pending migrations before starting')
    .action(async (opts: WebOptions) => {
      process.exitCode = await startWeb(opts);
    });
}

export function registerDemoCommand(program: Command, loadDemo: (databaseUrl: string) => Promise<unknown>): void {
  program
    .command('demo')
    .description('Run the demo: database (embedded unless DATABASE_URL is set), migrations, bundled demo data, web app on :3000.')
    .option('-p, --port <port>', 'TCP port', process.env.PORT ?? '3000')
    .option('-H, --hostname <host>', 'address to listen on', '127.0.0.1')
    .action(async (opts: WebOptions) => {
      // The demo's traffic lasts seconds: the web app judges what arrives later with the same compressed time.
      process.env.NHI_BEHAVIOUR_PROFILES ||= demoProfilesFile;
      process.env.NHI_DEMO = '1';
      process.exitCode = await startWeb({ ...opts, migrate: true }, async (url) => {
        await loadDemo(url);
        await demoAccount(url);
      });
    });
}
