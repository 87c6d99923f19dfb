/**
 * One collection of one cluster into one database, measured: the child process of bench-collect.ts, so
 * that the peak RSS it reports is the collector's alone (no generated plan, no loader, no verifier).
 *
 * Runs the real `collectOnce` (list every resource → normalise → save with history) and times it; the
 * per-resource list times come from its progress callback. Afterwards, and after the peak RSS has been
 * read, the (pure) normaliser is run once more on the same snapshot to split the time after listing
 * into normalise, save and RBAC reach (whose time the outcome reports). Counts the rows stored; times
 * the SQL statements of the save and garbage-collection pauses.
 *
 * Progress goes to stderr; the last line on stdout is one JSON object (CollectOnceReport).
 *
 * Usage: node --import tsx scripts/bench/collect-once.ts --kubeconfig FILE --database URL [--context NAME]
 *   (or the database URL in NHI_BENCH_DATABASE_URL, which keeps a password out of the process list)
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type pg from 'pg';

import { collectOnce, type Progress } from '@/lib/collect/collect';
import { resolveTargets } from '@/lib/collect/kube';
import { normalize } from '@/lib/collect/normalize';
import { openStore } from '@/lib/collect/store';

export interface CollectOnceReport {
  phase: string;
  /** Every object listed, all resources. */
  objects: number;
  counts: Record<string, number>;
  /** Per resource: seconds from the start of its discovery/list to the start of the next one. */
  listSeconds: Record<string, number>;
  /** Wall time of collectOnce: list + normalise + save. */
  seconds: number;
  /** All lists, discovery included. */
  listTotalSeconds: number;
  /** normalise + save + the run bookkeeping (recordSnapshot). */
  recordSeconds: number;
  /** A second run of the normaliser on the same snapshot (after the peak RSS was read). */
  normalizeSeconds: number;
  /** RBAC reach and escalation paths materialised after the save (the outcome's own timing). */
  reachSeconds: number;
  /** Credential classes, findings and coverage after the save. */
  credentialSeconds: number;
  /** Posture findings after reach (analyseCluster). */
  postureSeconds: number;
  /** Risk scores after the findings (analyseCluster). */
  riskSeconds: number;
  /** recordSeconds − normalise − reach − credentials − posture − risk: saving the inventory with history (and run bookkeeping). */
  saveSeconds: number;
  /** process.resourceUsage().maxRSS after collectOnce, in KiB. */
  maxRssKiB: number;
  /** Time spent waiting for SQL statements of the save and the reach update (client-side wall time per query, summed). */
  sqlSeconds: number;
  /** The slowest SQL statements of the save, summed by statement text (first 100 characters). */
  slowestSql: { sql: string; seconds: number; calls: number }[];
  /** Garbage-collection pauses during collectOnce. */
  gcSeconds: number;
  /** RSS before anything was collected (node + tsx + modules), in KiB. */
  baselineRssKiB: number;
  /** Rows of the inventory that normalise produced. */
  inventory: Record<string, number>;
  /** Live rows per table in the database after the save. */
  stored: Record<string, number>;
  notes: { level: string; message: string }[];
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  return v === undefined || v.startsWith('--') ? undefined : v;
}

async function storedRows(pool: pg.Pool, clusterId: string): Promise<Record<string, number>> {
  const owned = ['Namespace', 'Workload', 'Identity', 'Credential', 'RbacRole', 'RbacBinding'];
  const out: Record<string, number> = {};
  for (const table of owned) {
    const r = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${table}" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`,
      [clusterId],
    );
    out[table] = Number(r.rows[0]?.n ?? 0);
  }
  const links: [string, string][] = [
    ['WorkloadIdentity', `"workloadId" IN (SELECT id FROM "Workload" WHERE "clusterId" = $1)`],
    ['CredentialUse', `"workloadId" IN (SELECT id FROM "Workload" WHERE "clusterId" = $1)`],
    ['IdentityLink', `"fromId" IN (SELECT id FROM "Identity" WHERE "clusterId" = $1)`],
  ];
  for (const [table, where] of links) {
    const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}" WHERE ${where} AND "deletedAt" IS NULL`, [
      clusterId,
    ]);
    out[table] = Number(r.rows[0]?.n ?? 0);
  }
  return out;
}

/**
 * Times every statement run on a connection checked out with pool.connect() (saveInventory's
 * transaction); pool.query (which checks out with a callback) is left alone.
 */
function timeSql(pool: pg.Pool): Map<string, { ms: number; calls: number }> {
  const stats = new Map<string, { ms: number; calls: number }>();
  const wrapped = new WeakSet<object>();
  const connect = pool.connect.bind(pool) as (...a: unknown[]) => unknown;
  (pool as unknown as { connect: (...a: unknown[]) => unknown }).connect = (...args: unknown[]) => {
    if (args.length) return connect(...args);
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      if (wrapped.has(client)) return client;
      wrapped.add(client);
      const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
      (client as unknown as { query: (...a: unknown[]) => Promise<unknown> }).query = async (...a: unknown[]) => {
        const t0 = performance.now();
        try {
          return await query(...a);
        } finally {
          const sql = String(typeof a[0] === 'object' && a[0] ? (a[0] as { text?: string }).text : a[0])
            .replace(/\s+/g, ' ')
            .trim()
            .slice(0, 100);
          const s = stats.get(sql) ?? { ms: 0, calls: 0 };
          s.ms += performance.now() - t0;
          s.calls += 1;
          stats.set(sql, s);
        }
      };
      return client;
    });
  };
  return stats;
}

async function main(argv: string[]): Promise<void> {
  const kubeconfig = flag(argv, 'kubeconfig');
  const database = flag(argv, 'database') ?? process.env.NHI_BENCH_DATABASE_URL;
  if (!kubeconfig || !database)
    throw new Error('usage: collect-once.ts --kubeconfig FILE [--database URL | env NHI_BENCH_DATABASE_URL] [--context NAME]');
  const baselineRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const [target] = resolveTargets({ kubeconfig, context: flag(argv, 'context') });
  if (!target) throw new Error('no cluster in the kubeconfig');
  const pool = openStore(database);
  const sql = timeSql(pool);
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  try {
    const listSeconds: Record<string, number> = {};
    let current: { resource: string; since: number } | undefined;
    let listEnd = 0;
    let lastLog = 0;
    const onProgress = (p: Progress) => {
      const now = performance.now();
      if (p.resource !== current?.resource) {
        if (current) listSeconds[current.resource] = (now - current.since) / 1000;
        current = p.resource ? { resource: p.resource, since: now } : undefined;
      }
      if (p.done === p.total && !p.resource) listEnd = now;
      if (now - lastLog > 5000 || p.done === p.total) {
        lastLog = now;
        process.stderr.write(
          `[collect] ${p.done}/${p.total} resources, ${p.objects} objects${p.resource ? `, listing ${p.resource}` : ''}\n`,
        );
      }
    };

    const t0 = performance.now();
    const outcome = await collectOnce(pool, target, onProgress);
    const t1 = performance.now();
    const maxRssKiB = process.resourceUsage().maxRSS;
    const gcSeconds = gcMs / 1000;
    gc.disconnect();
    process.stderr.write(
      `[collect] ${outcome.phase} in ${((t1 - t0) / 1000).toFixed(1)} s; peak RSS ${(maxRssKiB / 1024).toFixed(0)} MB\n`,
    );

    // Split "after listing" into normalise and save: the normaliser is pure, so a second run takes as long.
    const n0 = performance.now();
    const inventory = normalize(outcome.snapshot);
    const normalizeSeconds = (performance.now() - n0) / 1000;
    const recordSeconds = (t1 - (listEnd || t1)) / 1000;
    const reachSeconds = outcome.reach?.seconds ?? 0;
    const credentialSeconds = outcome.credentials?.seconds ?? 0;
    const postureSeconds = outcome.posture?.seconds ?? 0;
    const riskSeconds = outcome.risk?.seconds ?? 0;

    const report: CollectOnceReport = {
      phase: outcome.phase,
      objects: Object.values(outcome.counts).reduce((a, b) => a + b, 0),
      counts: outcome.counts,
      listSeconds,
      seconds: (t1 - t0) / 1000,
      listTotalSeconds: ((listEnd || t1) - t0) / 1000,
      recordSeconds,
      normalizeSeconds,
      reachSeconds,
      credentialSeconds,
      postureSeconds,
      riskSeconds,
      saveSeconds: Math.max(
        0,
        recordSeconds - normalizeSeconds - reachSeconds - credentialSeconds - postureSeconds - riskSeconds,
      ),
      sqlSeconds: [...sql.values()].reduce((a, b) => a + b.ms, 0) / 1000,
      slowestSql: [...sql]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 8)
        .map(([text, v]) => ({ sql: text, seconds: v.ms / 1000, calls: v.calls })),
      gcSeconds,
      maxRssKiB,
      baselineRssKiB,
      inventory: Object.fromEntries(
        Object.entries(inventory)
          .filter(([, v]) => Array.isArray(v))
          .map(([k, v]) => [k, (v as unknown[]).length]),
      ),
      stored: await storedRows(pool, outcome.clusterId),
      notes: outcome.notes.map((n) => ({ level: n.level, message: n.message })),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`collect-once: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
