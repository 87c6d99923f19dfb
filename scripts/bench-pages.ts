/**
 * The pages benchmark: server response times of every list and detail page of the web app on a generated
 * inventory of `--identities` identities (default 100,000 ServiceAccounts, with the generated cluster's
 * Secrets, roles, bindings and workloads, see scripts/bench/cluster-gen.ts). A benchmark, not a test: it
 * prints figures and ends with the line
 *
 *   p95: <ms> ms over <N> requests
 *
 * 1. Creates a fresh database on the test server (DATABASE_URL's server, else the embedded one) and imports
 *    the generated cluster as one collection (inventory, RBAC reach and paths, findings, risk scores).
 * 2. Signs in: an admin user `bench-pages@nhi.invalid` and a session made with lib/auth/session.ts, whose cookie
 *    every request carries. Starts the production web app (`nhi web`, built first when the sources changed) on `--port` (3400).
 * 3. Requests each list page (first, a deep page, filtered and sorted views) and detail pages of sampled
 *    identities, workloads and findings, `--rounds` times each (default 3) after one warm-up request,
 *    sequentially, and prints p50/p95/max per page and over all requests (the server's time as the client
 *    sees it on localhost: the full HTML document) and the size of the page's last document.
 * 4. Stops the server and drops the database (`--keep` keeps it and prints its name).
 *
 * The import takes minutes at 100,000 identities: `--keep` leaves the database in place, and
 * `--reuse NAME` benchmarks that kept database again (pending migrations are applied first, the import is
 * skipped, the database is kept) — for measuring one change after another.
 *
 * 5. With `--browser`, opens each page once more in Debian's Chromium (Playwright, signed in with the same
 *    cookie) after the timing: each must render with no console error and no page error, and its cumulative
 *    layout shift (PerformanceObserver 'layout-shift') is printed — the issue's "renders completely in a real
 *    browser" on the large dataset, not only on the demo data.
 *
 * Usage: node --import tsx scripts/bench-pages.ts [--identities N] [--rounds R] [--port P] [--keep | --reuse NAME] [--browser]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, testServer, type TestDatabase } from '@/e2e/setup/test-database';
import { cookieName, createSession } from '@/lib/auth/session';
import { createPrisma } from '@/lib/db/client';
import { applyMigrations } from '@/lib/db/migrate';
import { withDatabase } from '@/lib/db/url';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { repoRoot } from '@/lib/paths';
import { benchClusterAsList, FULL_SCALE, generateBenchCluster } from './bench/cluster-gen';

const { values } = parseArgs({
  options: {
    identities: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    port: { type: 'string', default: '3400' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    browser: { type: 'boolean', default: false },
  },
});
const identities = Number(values.identities);
const rounds = Number(values.rounds);
const port = Number(values.port);
if (!Number.isInteger(identities) || identities < 100) throw new Error('--identities must be a whole number ≥ 100');
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive whole number');

const log = (s: string) => process.stderr.write(`${s}\n`);
const out = (s: string) => process.stdout.write(`${s}\n`);
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};

/** Each page once in Chromium: console and page errors, and the cumulative layout shift once it settled. */
async function inBrowser(base: string, cookie: string, pages: [string, string][]): Promise<void> {
  const { chromium } = await import('@playwright/test');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext();
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: base }]);
    await context.addInitScript(() => {
      const w = window as unknown as { __cls: number };
      w.__cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[])
          if (!e.hadRecentInput) w.__cls += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    let errors = 0;
    let worst = 0;
    const seen = new Set<string>();
    for (const [label, url] of pages) {
      if (seen.has(label)) continue;
      seen.add(label);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      const res = await page.goto(base + url, { waitUntil: 'networkidle', timeout: 120_000 });
      const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
      const heading = await page.locator('h1').first().textContent();
      errors += problems.length + (res?.ok() ? 0 : 1);
      worst = Math.max(worst, cls);
      out(
        `browser ${label.padEnd(26)} ${String(res?.status()).padStart(4)} CLS ${cls.toFixed(3)} h1 "${heading ?? ''}"${problems.length ? ` ERRORS: ${problems.join(' | ')}` : ''}`,
      );
      await page.close();
    }
    out(`browser: ${seen.size} pages, ${errors} errors, worst layout shift ${worst.toFixed(3)}`);
  } finally {
    await browser.close();
  }
}

const server = await testServer();
const reuse = values.reuse;
if (reuse !== undefined && !/^[a-z0-9_]+$/.test(reuse)) throw new Error('--reuse takes the name of a kept database');
const keep = values.keep || reuse !== undefined;
const db: TestDatabase = reuse
  ? { name: reuse, url: withDatabase(server.url, reuse), drop: async () => {} }
  : await createTestDatabase(server.url, 'benchpages');
if (reuse) await applyMigrations(db.url);
const pool = openStore(db.url);
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-bench-pages-'));
let web: ReturnType<typeof spawn> | undefined;
try {
  // 1. The inventory.
  let t = performance.now();
  let phase = 'reused';
  if (!reuse) {
    const scale = { ...FULL_SCALE, serviceAccounts: identities };
    const file = path.join(dir, 'cluster.json');
    writeFileSync(file, JSON.stringify(benchClusterAsList(generateBenchCluster(scale))));
    log(
      `generated ${identities} ServiceAccounts and the rest of the cluster in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    t = performance.now();
    phase = (await importDumps(pool, [file], { clusterName: 'bench' })).phase;
  }
  const stored = await pool.query<{ identities: number; workloads: number; findings: number; credentials: number }>(
    `SELECT (SELECT count(*) FROM "Identity")::int AS identities, (SELECT count(*) FROM "Workload")::int AS workloads,
            (SELECT count(*) FROM "Finding")::int AS findings, (SELECT count(*) FROM "Credential")::int AS credentials`,
  );
  const s = stored.rows[0]!;
  out(
    `dataset: ${s.identities} identities, ${s.workloads} workloads, ${s.credentials} credentials, ${s.findings} findings (${reuse ? `reused ${reuse}` : `imported in ${((performance.now() - t) / 1000).toFixed(1)} s, phase ${phase}`})`,
  );

  // 2. A signed-in admin, and the web app.
  const [user] = (
    await pool.query<{ id: string }>(
      `INSERT INTO "User" (id, email, name, role, source) VALUES (gen_random_uuid(), 'bench-pages@nhi.invalid', 'bench:pages', 'admin', 'local')
       ON CONFLICT (email) DO UPDATE SET role = 'admin', "disabledAt" = NULL RETURNING id`,
    )
  ).rows;
  const base = `http://127.0.0.1:${port}`;
  const answering = await fetch(`${base}/api/health`).then(
    () => true,
    () => false,
  );
  if (answering) throw new Error(`something already answers on port ${port}: stop it or pass --port`);
  const sessionDb = createPrisma(db.url);
  const session = await createSession(sessionDb, user!.id, { userAgent: 'bench:pages' }).finally(() => sessionDb.$disconnect());
  const cookie = `${cookieName(false)}=${session.secret}`;
  web = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'nhi.mjs'), 'web', '--port', String(port), '--hostname', '127.0.0.1'],
    {
      env: { ...process.env, DATABASE_URL: db.url, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const deadline = Date.now() + 600_000;
  for (;;) {
    const ok = await fetch(`${base}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || web.exitCode !== null) throw new Error('the web app did not start (see its log above)');
    await new Promise((r) => setTimeout(r, 1000));
  }

  // 3. The pages.
  const ids = async (sql: string) => (await pool.query<{ id: string }>(sql)).rows.map((r) => r.id);
  const riskiest = await ids(
    `SELECT "identityId" AS id FROM "RiskScore" WHERE "identityId" IS NOT NULL ORDER BY score DESC LIMIT 5`,
  );
  const someIdentities = await ids(`SELECT id FROM "Identity" WHERE kind = 'ServiceAccount' ORDER BY md5(id::text) LIMIT 10`);
  const someWorkloads = await ids(`SELECT id FROM "Workload" ORDER BY md5(id::text) LIMIT 10`);
  const someFindings = await ids(`SELECT id FROM "Finding" ORDER BY md5(id::text) LIMIT 5`);
  const [sample] = (
    await pool.query<{ namespace: string; name: string }>(
      `SELECT namespace, name FROM "Identity" WHERE kind = 'ServiceAccount' AND namespace LIKE 'bench-%' ORDER BY md5(id::text) LIMIT 1`,
    )
  ).rows;
  const pages: [string, string][] = [
    ['overview', '/'],
    ['identities', '/identities'],
    ['identities, page 1000', '/identities?page=1000'],
    ['identities, search', `/identities?q=${encodeURIComponent(sample!.name.slice(0, 8))}`],
    ['identities, namespace', `/identities?namespace=${encodeURIComponent(sample!.namespace)}`],
    ['credentials', '/credentials'],
    ['findings', '/findings'],
    ['findings, page 100', '/findings?page=100'],
    ['findings, critical', '/findings?severity=critical'],
    ['risk', '/risk'],
    ['risk, workloads', '/risk?subject=workload'],
    ['anomalies', '/anomalies'],
    ['exceptions', '/exceptions'],
    ['teams', '/teams'],
    ['ownership', '/ownership'],
    ['workloads', '/workloads'],
    ['workloads, page 100', '/workloads?page=100'],
    ['workloads, by open findings', '/workloads?sort=findings&dir=desc'],
    ['identities, by workloads', '/identities?sort=workloads&dir=desc'],
    ['credentials, by age', '/credentials?sort=age&dir=desc'],
    ['queue', '/queue'],
    ['trail', '/trail'],
    ['admission', '/admission'],
    ...riskiest.slice(0, 2).map((id): [string, string] => ['what-if', `/identities/${id}/what-if`]),
    ...[...riskiest, ...someIdentities].map((id): [string, string] => ['identity', `/identities/${id}`]),
    ...someWorkloads.map((id): [string, string] => ['workload', `/workloads/${id}`]),
    ...someFindings.map((id): [string, string] => ['finding', `/findings/${id}`]),
  ];
  const byPage = new Map<string, number[]>();
  const sizes = new Map<string, number>();
  const all: number[] = [];
  for (const [name, url] of pages) {
    const get = async () => {
      const t0 = performance.now();
      const res = await fetch(base + url, { headers: { cookie }, redirect: 'manual' });
      sizes.set(name, (await res.arrayBuffer()).byteLength);
      if (!res.ok)
        throw new Error(`${url} answered ${res.status}${res.headers.get('location') ? ` → ${res.headers.get('location')}` : ''}`);
      return performance.now() - t0;
    };
    await get(); // warm-up: the first request of a route compiles nothing in production, but fills caches
    for (let i = 0; i < rounds; i++) {
      const ms = await get();
      all.push(ms);
      byPage.set(name, [...(byPage.get(name) ?? []), ms]);
    }
  }
  if (values.browser) await inBrowser(base, cookie, pages);
  out(
    `${'page'.padEnd(24)} ${'n'.padStart(4)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'kB'.padStart(7)}`,
  );
  for (const [name, xs] of byPage)
    out(
      `${name.padEnd(24)} ${String(xs.length).padStart(4)} ${percentile(xs, 50).toFixed(0).padStart(8)} ${percentile(xs, 95).toFixed(0).padStart(8)} ${Math.max(
        ...xs,
      )
        .toFixed(0)
        .padStart(8)} ${((sizes.get(name) ?? 0) / 1024).toFixed(0).padStart(7)}`,
    );
  out(`p95: ${percentile(all, 95).toFixed(0)} ms over ${all.length} requests`);
} finally {
  web?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1000));
  await pool.end();
  if (keep) log(`kept the database ${db.name}: --reuse ${db.name} measures it again`);
  else await db.drop();
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}
