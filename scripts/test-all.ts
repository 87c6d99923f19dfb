/**
 * `npm test`: every test layer, then one closing line `N passed, N failed`.
 *   1. unit (Vitest, pure code)           2. integration (Vitest, real Postgres + real test cluster)
 *   3. end-to-end (Playwright, production build in Debian Chromium)
 * Sets up what it can by itself: Debian's chromium when missing and running as root, the test cluster
 * binaries (built from the Go module proxy by e2e/cluster/build.sh, cached outside git), the database
 * server (DATABASE_URL's, else embedded). Exits non-zero when a test fails or no test ran; a layer that
 * did not run (e.g. its set-up failed) counts as failed, with the reason (scripts/test-layers.ts).
 * NHI_TEST_EMBEDDED_MIGRATIONS=1 (set by .ci/run) also runs the migration tests on the embedded server.
 * `--only unit|integration|e2e` runs one layer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { corpusMissing } from '@/lib/corpus';
import { repoRoot } from '@/lib/paths';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';
import { crashLines, summary, vitestLayerResult, type LayerResult, type VitestReport } from './test-layers';

const reportDir = path.join(repoRoot, 'test-results');
const layers = ['unit', 'integration', 'e2e'] as const;
type Layer = (typeof layers)[number];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, capture?: { output: string }): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: capture ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
    if (capture) {
      // Shown as it comes, and the last part kept, to name the error when a layer did not run.
      const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
        to.write(chunk);
        capture.output = (capture.output + chunk.toString('utf8')).slice(-200_000);
      };
      child.stdout?.on('data', (c: Buffer) => keep(c, process.stdout));
      child.stderr?.on('data', (c: Buffer) => keep(c, process.stderr));
    }
    child.on('error', (e) => {
      console.error(`${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function readJson(file: string): unknown {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

const nodeBin = (pkgBin: string) => path.join(repoRoot, 'node_modules', '.bin', pkgBin);

async function vitestLayer(
  layer: 'unit' | 'integration',
  env: NodeJS.ProcessEnv,
  opts: { label?: string; files?: string[] } = {},
): Promise<LayerResult> {
  const label = opts.label ?? layer;
  const out = path.join(reportDir, `vitest-${label.replace(/[^\w-]+/g, '-')}.json`);
  rmSync(out, { force: true });
  const capture = { output: '' };
  const exitCode = await run(
    nodeBin('vitest'),
    ['run', '--project', layer, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...(opts.files ?? [])],
    env,
    capture,
  );
  return vitestLayerResult(label, exitCode, readJson(out) as VitestReport | undefined, capture.output, repoRoot);
}

/**
 * The migration tests once more on the embedded PostgreSQL (the README's default), when the main run
 * uses another server (CI: the machine's). NHI_TEST_EMBEDDED_MIGRATIONS=1 asks for it (.ci/run sets it).
 */
const embeddedMigrationFiles = ['lib/db/migrate.int.test.ts', 'lib/db/schema-engine.int.test.ts'];

function ensureChromium(): void {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(chromium)) return;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('Installing Debian chromium for the end-to-end tests (apt-get install chromium)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  }
  if (!existsSync(chromium)) {
    throw new Error(`Chromium is not at ${chromium}: install Debian's chromium package (or set CHROMIUM_PATH).`);
  }
}

async function e2eLayer(serverUrl: string): Promise<LayerResult> {
  ensureChromium();
  const db = await createTestDatabase(serverUrl, 'e2e', { migrate: false });
  const out = path.join(reportDir, 'playwright.json');
  rmSync(out, { force: true });
  try {
    const env = { ...process.env, NHI_E2E_DATABASE_URL: db.url, PLAYWRIGHT_JSON_OUTPUT_NAME: out, DATABASE_URL: db.url };
    // The production start refuses an unmigrated database; migrate it the way operators do.
    const migrate = await run(process.execPath, [path.join(repoRoot, 'bin', 'nhi.mjs'), 'db', 'migrate'], env);
    if (migrate !== 0)
      return {
        layer: 'e2e',
        passed: 0,
        failed: 1,
        skipped: 0,
        exitCode: migrate,
        problems: ['did not run: nhi db migrate failed'],
      };
    const exitCode = await run(nodeBin('playwright'), ['test'], env);
    const report = readJson(out) as
      { stats: { expected: number; unexpected: number; flaky: number; skipped: number } } | undefined;
    if (!report)
      return {
        layer: 'e2e',
        passed: 0,
        failed: 1,
        skipped: 0,
        exitCode: exitCode || 1,
        problems: [`did not run: Playwright wrote no report (exit ${exitCode})`],
      };
    const { expected, unexpected, flaky, skipped } = report.stats;
    return {
      layer: 'e2e',
      passed: expected,
      failed: unexpected + flaky + (exitCode !== 0 && unexpected === 0 ? 1 : 0),
      skipped,
      exitCode,
      problems: exitCode !== 0 && unexpected === 0 ? [`Playwright exited with status ${exitCode}`] : [],
    };
  } finally {
    await db.drop();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string', multiple: true } } });
  const selected: Layer[] = values.only?.length ? (values.only as Layer[]) : [...layers];
  for (const l of selected) if (!layers.includes(l)) throw new Error(`--only takes ${layers.join(', ')}; got "${l}"`);
  mkdirSync(reportDir, { recursive: true });

  const results: LayerResult[] = [];
  if (selected.includes('unit')) results.push(await vitestLayer('unit', process.env));

  const needsDb = selected.includes('integration') || selected.includes('e2e');
  const server = needsDb ? await testServer() : undefined;
  try {
    const env = server ? { ...process.env, NHI_TEST_SERVER_URL: server.url } : process.env;
    if (selected.includes('integration')) {
      results.push(await vitestLayer('integration', env));
      if (process.env.NHI_TEST_EMBEDDED_MIGRATIONS === '1' && process.env.DATABASE_URL) {
        const embeddedEnv: NodeJS.ProcessEnv = { ...process.env, NHI_SKIP_CLUSTER: '1' };
        delete embeddedEnv.DATABASE_URL;
        delete embeddedEnv.NHI_TEST_SERVER_URL;
        results.push(
          await vitestLayer('integration', embeddedEnv, {
            label: 'migrations on embedded PostgreSQL',
            files: embeddedMigrationFiles,
          }),
        );
      }
    }
    if (selected.includes('e2e') && server) results.push(await e2eLayer(server.url));
  } finally {
    await server?.stop();
  }

  const skipReason = corpusMissing();
  for (const line of summary(results, skipReason)) console.log(line);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const { stderr, stdout } = crashLines(e);
    console.error(stderr);
    console.log(stdout);
    process.exit(1);
  },
);
