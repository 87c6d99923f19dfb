/**
 * `npm test`: every test layer, then one closing line `N passed, N failed`.
 *   1. unit (Vitest, pure code)           2. integration (Vitest, real Postgres + real test cluster)
 *   3. end-to-end (Playwright, production build in Debian Chromium)
 * Sets up what it can by itself: Debian's chromium when missing and running as root, the test cluster
 * binaries (built from the Go module proxy by e2e/cluster/build.sh, cached outside git), the database
 * server (DATABASE_URL's, else embedded). Exits non-zero when a test fails or no test ran.
 * `--only unit|integration|e2e` runs one layer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@/lib/paths';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';

interface LayerResult {
  layer: string;
  passed: number;
  failed: number;
  skipped: number;
  exitCode: number;
}

const reportDir = path.join(repoRoot, 'test-results');
const layers = ['unit', 'integration', 'e2e'] as const;
type Layer = (typeof layers)[number];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: 'inherit' });
    child.on('error', (e) => {
      console.error(`${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function readJson(file: string): unknown {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

const nodeBin = (pkgBin: string) => path.join(repoRoot, 'node_modules', '.bin', pkgBin);

async function vitestLayer(layer: 'unit' | 'integration', env: NodeJS.ProcessEnv): Promise<LayerResult> {
  const out = path.join(reportDir, `vitest-${layer}.json`);
  rmSync(out, { force: true });
  const exitCode = await run(
    nodeBin('vitest'),
    ['run', '--project', layer, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
    env,
  );
  const report = readJson(out) as
    { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number } | undefined;
  if (!report) return { layer, passed: 0, failed: 1, skipped: 0, exitCode: exitCode || 1 };
  return {
    layer,
    passed: report.numPassedTests,
    failed: report.numFailedTests + (exitCode !== 0 && report.numFailedTests === 0 ? 1 : 0),
    skipped: report.numPendingTests + report.numTodoTests,
    exitCode,
  };
}

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
    if (migrate !== 0) return { layer: 'e2e', passed: 0, failed: 1, skipped: 0, exitCode: migrate };
    const exitCode = await run(nodeBin('playwright'), ['test'], env);
    const report = readJson(out) as
      { stats: { expected: number; unexpected: number; flaky: number; skipped: number } } | undefined;
    if (!report) return { layer: 'e2e', passed: 0, failed: 1, skipped: 0, exitCode: exitCode || 1 };
    const { expected, unexpected, flaky, skipped } = report.stats;
    return {
      layer: 'e2e',
      passed: expected,
      failed: unexpected + flaky + (exitCode !== 0 && unexpected === 0 ? 1 : 0),
      skipped,
      exitCode,
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
    if (selected.includes('integration')) results.push(await vitestLayer('integration', env));
    if (selected.includes('e2e') && server) results.push(await e2eLayer(server.url));
  } finally {
    await server?.stop();
  }

  console.log('\nTest layers:');
  for (const r of results) console.log(`  ${r.layer.padEnd(12)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`npm test: ${e instanceof Error ? e.message : String(e)}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
