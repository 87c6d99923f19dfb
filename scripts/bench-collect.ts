/**
 * The collector benchmark: collection time and peak memory for a large generated cluster loaded into a
 * real kube-apiserver (by default 10,000 ServiceAccounts, 50,000 Secrets, 20,000 bindings, 30,000 Pods,
 * see scripts/bench/cluster-gen.ts). A benchmark, not a test: it prints figures and ends with the line
 *
 *   collect: <seconds> s, peak <MB> MB, <N> objects
 *
 * 1. Starts (or reuses) a SEPARATE control plane for the benchmark — never the shared test cluster —
 *    through e2e/cluster/cli.ts with its own state dir and ports: NHI_BENCH_CLUSTER_DIR (default
 *    <repo>/.cache/bench-cluster), NHI_BENCH_APISERVER_PORT (17443), NHI_BENCH_ETCD_PORT (13379),
 *    NHI_BENCH_ETCD_PEER_PORT (13380), NHI_BENCH_KCM_PORT (10367). Its etcd data survives `down`, so a
 *    later run finds the load again.
 * 2. Loads the generated cluster with the resumable loader (objects already there are skipped), or with
 *    --reuse skips loading when the verifier finds the plan complete.
 * 3. Creates a fresh migrated database on the test PostgreSQL server (DATABASE_URL's server, else the
 *    embedded one), runs ONE `collectOnce` in a child process (scripts/bench/collect-once.ts) so the
 *    peak RSS is the collector's alone, prints per-resource counts and times, normalise and save times,
 *    then drops the database and (without --keep) stops the bench control plane.
 *
 * Progress goes to stderr, figures to stdout.
 *
 * Usage: node --import tsx scripts/bench-collect.ts [--scale D] [--reuse] [--keep] [--concurrency C]
 *   --scale D        divide every count of the generated cluster by D (default 1: full size)
 *   --reuse          skip the loader when the loaded cluster verifies as complete
 *   --keep           leave the bench control plane running afterwards
 *   --concurrency C  loader requests in flight (default 32)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createTestDatabase, testServer, type TestDatabase } from '@/e2e/setup/test-database';
import { collectorHeapFlag } from '@/lib/collect/heap';
import type { EmbeddedDatabase } from '@/lib/db/embedded';

import { benchCounts, benchObjectCount, generateBenchCluster, scaledDown } from './bench/cluster-gen';
import type { CollectOnceReport } from './bench/collect-once';
import { BenchLoadError, describeFailure, kubeConfigFromFile, loadBenchCluster } from './bench/load-cluster';
import { verifyBenchCluster } from './bench/verify-cluster';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: bench-collect.ts [--scale D] [--reuse] [--keep] [--concurrency C]';
const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

class BenchError extends Error {}

function numberFlag(argv: string[], name: string, fallback: number, min: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const raw = argv[i + 1];
  const v = Number(raw);
  if (raw === undefined || !Number.isFinite(v) || v < min)
    throw new BenchError(`--${name} needs a number ≥ ${min}, got ${raw ?? 'nothing'}\n${USAGE}`);
  return v;
}

/** The environment of the bench control plane: its own state dir and ports, no audit webhook. */
function benchClusterEnv(): NodeJS.ProcessEnv {
  const dir = path.resolve(process.env.NHI_BENCH_CLUSTER_DIR ?? path.join(repoRoot, '.cache', 'bench-cluster'));
  const ports = {
    NHI_APISERVER_PORT: process.env.NHI_BENCH_APISERVER_PORT ?? '17443',
    NHI_ETCD_PORT: process.env.NHI_BENCH_ETCD_PORT ?? '13379',
    NHI_ETCD_PEER_PORT: process.env.NHI_BENCH_ETCD_PEER_PORT ?? '13380',
    NHI_KCM_PORT: process.env.NHI_BENCH_KCM_PORT ?? '10367',
  };
  // Never the shared test cluster: other people's tests run against it.
  const sharedDir = path.resolve(process.env.NHI_CLUSTER_DIR ?? path.join(repoRoot, '.cache', 'cluster'));
  const sharedPorts = {
    NHI_APISERVER_PORT: process.env.NHI_APISERVER_PORT ?? '16443',
    NHI_ETCD_PORT: process.env.NHI_ETCD_PORT ?? '12379',
    NHI_ETCD_PEER_PORT: process.env.NHI_ETCD_PEER_PORT ?? '12380',
    NHI_KCM_PORT: process.env.NHI_KCM_PORT ?? '10357',
  };
  if (dir === sharedDir)
    throw new BenchError(`the bench cluster dir ${dir} is the shared test cluster's; set NHI_BENCH_CLUSTER_DIR elsewhere`);
  for (const [k, v] of Object.entries(ports)) {
    if (Object.values(sharedPorts).includes(v))
      throw new BenchError(`bench port ${k}=${v} is one of the shared test cluster's ports; set NHI_BENCH_* to free ports`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, NHI_CLUSTER_DIR: dir, ...ports };
  delete env.NHI_AUDIT_WEBHOOK_URL;
  delete env.NHI_AUDIT_WEBHOOK_TOKEN;
  delete env.NHI_AUDIT_WEBHOOK_CA_FILE;
  return env;
}

/** Runs `node --import tsx <script> args…`; stderr is passed through (prefixed), stdout returned. */
function runNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  prefix: string,
  nodeArgs: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    let partial = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      partial += c;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) log(`${prefix}${l}`);
    });
    const forward = () => child.kill('SIGTERM');
    process.once('SIGINT', forward);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      process.removeListener('SIGINT', forward);
      if (partial) log(`${prefix}${partial}`);
      resolve({ code: code ?? (sig ? 128 : 1), stdout, stderr });
    });
  });
}

const cliScript = path.join('e2e', 'cluster', 'cli.ts');

async function clusterUp(env: NodeJS.ProcessEnv): Promise<{ kubeconfig: string; started: boolean }> {
  const r = await runNode(cliScript, ['up'], env, '  ');
  const kubeconfig = r.stdout.trim().split('\n').pop()?.trim();
  if (r.code !== 0 || !kubeconfig) throw new BenchError(`starting the bench control plane failed (exit ${r.code})`);
  return { kubeconfig, started: !r.stderr.includes('already running') };
}

async function clusterDown(env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runNode(cliScript, ['down'], env, '  ');
  if (r.code !== 0) log(`warning: stopping the bench control plane failed (exit ${r.code})`);
}

const fmt = (s: number) => s.toFixed(1);
const pad = (s: string | number, n: number) => String(s).padStart(n);

function printReport(r: CollectOnceReport, childWall: number): void {
  out('collection (one collectOnce in a child process):');
  out(`  ${'resource'.padEnd(36)} ${pad('objects', 8)} ${pad('list s', 8)} ${pad('obj/s', 8)}`);
  for (const [resource, seconds] of Object.entries(r.listSeconds)) {
    const key = Object.keys(r.counts).find((k) => k.toLowerCase() === resource.toLowerCase());
    const n = key ? (r.counts[key] ?? 0) : 0;
    out(
      `  ${resource.padEnd(36)} ${pad(n, 8)} ${pad(seconds.toFixed(2), 8)} ${pad(seconds > 0 && n ? Math.round(n / seconds) : '-', 8)}`,
    );
  }
  out(
    `  ${'list, all resources'.padEnd(36)} ${pad(r.objects, 8)} ${pad(fmt(r.listTotalSeconds), 8)} ${pad(Math.round(r.objects / r.listTotalSeconds), 8)}`,
  );
  out(`  ${'normalise'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.normalizeSeconds), 8)}`);
  out(`  ${'save (one transaction, with history)'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.saveSeconds), 8)}`);
  out(`  ${'RBAC reach + escalation paths'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.reachSeconds), 8)}`);
  out(`  ${'credentials: findings + coverage'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.credentialSeconds), 8)}`);
  out(`  ${'posture findings'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.postureSeconds), 8)}`);
  out(`  ${'risk scores'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.riskSeconds), 8)}`);
  out(`  ${'  (SQL of save + reach, waiting)'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.sqlSeconds), 8)}`);
  out(
    `  ${'total collectOnce'.padEnd(36)} ${pad('', 8)} ${pad(fmt(r.seconds), 8)}   (child process wall time incl. node/tsx start ${fmt(childWall)} s)`,
  );
  out(`  run phase: ${r.phase}`);
  out(`  garbage collection pauses during the collection: ${fmt(r.gcSeconds)} s`);
  out(
    `  slowest SQL of the save: ${r.slowestSql
      .slice(0, 4)
      .map((q) => `${fmt(q.seconds)} s ×${q.calls} ${q.sql.slice(0, 40)}…`)
      .join('; ')}`,
  );
  out(
    `inventory rows: ${Object.entries(r.inventory)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  out(
    `stored live rows: ${Object.entries(r.stored)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  );
  out(
    `peak RSS of the collector: ${(r.maxRssKiB / 1024).toFixed(0)} MB (node + tsx + modules before collecting: ${(r.baselineRssKiB / 1024).toFixed(0)} MB)`,
  );
  for (const n of r.notes.filter((x) => x.level !== 'info')) out(`note (${n.level}): ${n.message}`);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  const known = new Set(['--scale', '--reuse', '--keep', '--concurrency']);
  const unknown = argv.filter((a) => a.startsWith('--') && !known.has(a));
  if (unknown.length) throw new BenchError(`unknown option ${unknown.join(', ')}\n${USAGE}`);
  const divisor = numberFlag(argv, 'scale', 1, 1);
  const concurrency = numberFlag(argv, 'concurrency', 32, 1);
  const keep = argv.includes('--keep');
  const reuse = argv.includes('--reuse');

  const env = benchClusterEnv();
  let db: TestDatabase | undefined;
  let server: EmbeddedDatabase | undefined;
  let clusterTouched = false;
  let finalLine: string | undefined;
  try {
    // 1. The bench control plane.
    log(`bench cluster: starting in ${env.NHI_CLUSTER_DIR} (API server port ${env.NHI_APISERVER_PORT})`);
    clusterTouched = true;
    const { kubeconfig, started } = await clusterUp(env);
    const kc = kubeConfigFromFile(kubeconfig);
    out(
      `bench cluster: ${kc.getCurrentCluster()?.server} (${started ? 'started' : 'already running'}; state ${path.relative(repoRoot, env.NHI_CLUSTER_DIR!) || env.NHI_CLUSTER_DIR})`,
    );

    // 2. The generated cluster.
    const g0 = performance.now();
    const plan = generateBenchCluster(scaledDown(divisor));
    out(
      `plan (scale 1/${divisor}, generated in ${fmt((performance.now() - g0) / 1000)} s): ${benchObjectCount(plan)} objects — ` +
        Object.entries(benchCounts(plan))
          .map(([k, v]) => `${v} ${k}`)
          .join(', '),
    );
    let verified = false;
    if (reuse) {
      const v0 = performance.now();
      const v = await verifyBenchCluster(kc, plan);
      verified = v.ok;
      log(`verify: ${v.ok ? 'complete' : 'incomplete or different'} in ${fmt((performance.now() - v0) / 1000)} s`);
    }
    if (verified) {
      out('load: skipped (--reuse, the loaded cluster verifies as complete)');
    } else {
      const r = await loadBenchCluster(kc, plan, { concurrency, log });
      if (r.failed) throw new BenchError(`${r.failed} objects failed to load; first errors:\n  ${r.errors.join('\n  ')}`);
      out(
        `load: ${r.objects} objects (${r.created} created, ${r.existing} already there) in ${fmt(r.seconds)} s, ${Math.round(r.objects / r.seconds)} objects/s`,
      );
      const v0 = performance.now();
      const v = await verifyBenchCluster(kc, plan);
      out(
        `verify: ${v.ok ? 'ok' : 'MISMATCH (the figures below are still measured)'} in ${fmt((performance.now() - v0) / 1000)} s`,
      );
    }

    // 3. A fresh database and one collection in a child process.
    server = await testServer();
    const d0 = performance.now();
    db = await createTestDatabase(server.url, 'bench');
    out(`database: ${db.name} (created and migrated in ${fmt((performance.now() - d0) / 1000)} s)`);
    const c0 = performance.now();
    const child = await runNode(
      path.join('scripts', 'bench', 'collect-once.ts'),
      ['--kubeconfig', kubeconfig],
      { ...process.env, NHI_BENCH_DATABASE_URL: db.url },
      '  ',
      // The collector's bounded heap, exactly as `nhi collect` runs it (lib/collect/heap.ts).
      [collectorHeapFlag()],
    );
    const childWall = (performance.now() - c0) / 1000;
    const last = child.stdout.trim().split('\n').pop() ?? '';
    if (child.code !== 0 || !last.startsWith('{')) throw new BenchError(`the collection failed (exit ${child.code})`);
    const report = JSON.parse(last) as CollectOnceReport;
    printReport(report, childWall);
    finalLine = `collect: ${fmt(report.seconds)} s, peak ${(report.maxRssKiB / 1024).toFixed(0)} MB, ${report.objects} objects`;
  } finally {
    if (db)
      await db
        .drop()
        .catch((e: unknown) => log(`warning: dropping ${db?.name} failed: ${e instanceof Error ? e.message : String(e)}`));
    if (server) await server.stop().catch(() => {});
    if (clusterTouched && !keep) {
      log('bench cluster: stopping (its data stays for the next run; --keep leaves it running)');
      await clusterDown(env);
    } else if (clusterTouched) log(`bench cluster: left running (${env.NHI_CLUSTER_DIR}/admin.kubeconfig)`);
  }
  out(finalLine!);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const text = describeFailure(err, (e) => e instanceof BenchError || e instanceof BenchLoadError);
    const hint = /different bench load/.test(text)
      ? '\n(remove it with: NHI_CLUSTER_DIR=… node --import tsx scripts/bench-collect-load.ts --kubeconfig <bench kubeconfig> --delete --wait)'
      : '';
    process.stderr.write(`bench-collect: ${text}${hint}\n`);
    process.exit(1);
  },
);
