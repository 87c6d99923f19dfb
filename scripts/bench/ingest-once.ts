/**
 * One ingestion, timed, for scripts/bench-ingest.ts: `ingest-once.ts FILE` into NHI_BENCH_DATABASE_URL's
 * cluster `bench`. Prints one JSON line: events, inserted, seconds, peak RSS.
 */
import { ensureCluster, openStore } from '@/lib/collect/store';
import { ingestFiles } from '@/lib/runtime/ingest';

const [file] = process.argv.slice(2);
const url = process.env.NHI_BENCH_DATABASE_URL;
if (!file || !url) throw new Error('usage: ingest-once.ts FILE (with NHI_BENCH_DATABASE_URL)');
const pool = openStore(url);
try {
  const clusterId = await ensureCluster(pool, 'bench', 'import', null, null);
  const result = await ingestFiles(pool, clusterId, [file], {
    onProgress: (p) => process.stderr.write(`\r  ${p.events} events`),
  });
  process.stderr.write('\n');
  process.stdout.write(`${JSON.stringify({ ...result, rejected: undefined, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
} finally {
  await pool.end();
}
