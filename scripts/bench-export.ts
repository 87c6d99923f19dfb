/**
 * The export benchmark: exports stream from PostgreSQL through a cursor, so memory stays flat whatever the
 * row count. A benchmark, not a test: it prints figures and ends with the line
 *
 *   export: <N> rows in <S> s, peak <MB> MB
 *
 * It creates a fresh database on the test server (DATABASE_URL's server, else the embedded one), generates
 * `--rows` identities (ServiceAccounts in 200 namespaces, each with a risk score, a third owned by one of 20
 * teams, half running a workload), then exports the inventory as CSV and as JSON to a temporary folder
 * (the same code as `nhi export` and POST /api/exports), sampling the process's resident memory every 10 ms,
 * and drops the database. The peak is the highest resident set size seen while exporting; the figure before
 * the export is printed too, so the growth is plain.
 *
 * Usage: node --import tsx scripts/bench-export.ts [--rows N]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, testServer } from '@/e2e/setup/test-database';
import { ensureCluster, openStore } from '@/lib/collect/store';
import { exportToDir } from '@/lib/reports/export';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
const count = Number(values.rows);
if (!Number.isInteger(count) || count < 1) throw new Error(`--rows must be a positive whole number, got ${values.rows}`);

const MB = 1024 * 1024;
const server = await testServer();
const db = await createTestDatabase(server.url, 'benchexport');
const pool = openStore(db.url);
const out = mkdtempSync(path.join(tmpdir(), 'nhi-bench-export-'));
try {
  const clusterId = await ensureCluster(pool, 'bench', 'import', null, null);
  const t0 = performance.now();
  await pool.query(
    `INSERT INTO "Identity" (id, "clusterId", kind, namespace, name, "firstSeenAt", "lastSeenAt")
     SELECT gen_random_uuid(), $1, 'ServiceAccount', 'ns-' || (i % 200), 'sa-' || i, now(), now() FROM generate_series(1, $2) i`,
    [clusterId, count],
  );
  // Scores as lib/risk/store.ts writes them (the digest of the inputs, where the schema has one, made up).
  const digest = (
    await pool.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'RiskScore' AND column_name = 'digest'`)
  ).rowCount
    ? [', digest', ', md5(name)']
    : ['', ''];
  await pool.query(
    `INSERT INTO "RiskScore" ("clusterId", "subjectKey", "identityId", namespace, score, factors, weights, "computedAt"${digest[0]})
     SELECT "clusterId", 'identity:ServiceAccount/' || namespace || '/' || name, id, namespace, (hashtext(name) & 63) + 10, '[]', 'default v1', now()${digest[1]}
     FROM "Identity" WHERE "clusterId" = $1`,
    [clusterId],
  );
  await pool.query(`INSERT INTO "Team" (id, name) SELECT gen_random_uuid(), 'team-' || t FROM generate_series(1, 20) t`);
  await pool.query(
    `INSERT INTO "Ownership" (id, "teamId", "identityId", origin, source)
     SELECT gen_random_uuid(), (SELECT id FROM "Team" WHERE name = 'team-' || (1 + abs(hashtext(i.name)) % 20)), i.id, 'inferred', 'label:team'
     FROM "Identity" i WHERE i."clusterId" = $1 AND abs(hashtext(i.name)) % 3 = 0`,
    [clusterId],
  );
  await pool.query(
    `INSERT INTO "Workload" (id, "clusterId", namespace, kind, name, "serviceAccountName", "firstSeenAt", "lastSeenAt")
     SELECT gen_random_uuid(), $1, namespace, 'Deployment', 'app-' || name, name, now(), now()
     FROM "Identity" WHERE "clusterId" = $1 AND abs(hashtext(name)) % 2 = 0`,
    [clusterId],
  );
  await pool.query(
    `INSERT INTO "WorkloadIdentity" ("workloadId", "identityId")
     SELECT w.id, i.id FROM "Workload" w JOIN "Identity" i ON i."clusterId" = w."clusterId" AND i.namespace = w.namespace AND i.name = w."serviceAccountName"
     WHERE w."clusterId" = $1`,
    [clusterId],
  );
  await pool.query('ANALYZE');
  process.stderr.write(`generated ${count} identities in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const results: { format: string; rows: number; seconds: number; bytes: number }[] = [];
  for (const format of ['csv', 'json'] as const) {
    const t = performance.now();
    const { files } = await exportToDir(pool, {
      format,
      what: ['inventory'],
      filter: {},
      dir: path.join(out, format),
      actor: 'bench',
    });
    const seconds = (performance.now() - t) / 1000;
    const f = files[0]!;
    results.push({ format, rows: f.rows, seconds, bytes: statSync(path.join(out, format, f.file)).size });
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  for (const r of results)
    process.stdout.write(
      `${r.format}: ${r.rows} rows in ${r.seconds.toFixed(2)} s (${Math.round(r.rows / r.seconds)} rows/s, ${(r.bytes / MB).toFixed(1)} MB written)\n`,
    );
  process.stdout.write(
    `resident memory: ${(before / MB).toFixed(0)} MB before the exports, ${(peak / MB).toFixed(0)} MB at the peak\n`,
  );
  const csv = results[0]!;
  process.stdout.write(`export: ${csv.rows} rows in ${csv.seconds.toFixed(2)} s, peak ${(peak / MB).toFixed(0)} MB\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
  await pool.end();
  await db.drop();
  await server.stop();
}
