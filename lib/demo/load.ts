import path from 'node:path';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { repoRoot } from '@/lib/paths';

/** The bundled demo dataset, recorded from the real test cluster by scripts/record-demo.ts. */
export const demoDataFile = path.join(repoRoot, 'lib', 'demo', 'data', 'demo-cluster.json.gz');
export const demoClusterName = 'demo-cluster';

/**
 * Loads the bundled demo dataset through the import path when the database holds no cluster yet, so
 * `npm run demo` shows a realistic inventory. A database that already has clusters is left alone.
 */
export async function loadDemoData(databaseUrl: string, log: (line: string) => void = console.log): Promise<boolean> {
  const pool = openStore(databaseUrl);
  try {
    const existing = await pool.query('SELECT 1 FROM "Cluster" LIMIT 1');
    if (existing.rowCount) return false;
    // The demo's TLS Secrets carry only their public tls.crt (scripts/record-demo.ts): their facts are shown.
    const outcome = await importDumps(pool, [demoDataFile], {
      clusterName: demoClusterName,
      source: 'demo',
      tlsCertificates: true,
    });
    const total = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
    log(`Loaded the demo dataset: ${total} objects as cluster "${demoClusterName}".`);
    return true;
  } finally {
    await pool.end();
  }
}
