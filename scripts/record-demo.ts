/**
 * Records the bundled demo dataset from the real test cluster: starts it (if needed), seeds it (public
 * corpus + our demo workloads), lists every collected resource exactly as `nhi collect` does (Secrets as
 * metadata-only rows), and writes them as one kubectl-style List to lib/demo/data/demo-cluster.json.gz.
 * The demo then loads that file through the same import path as any dump (`nhi import`).
 * Refuses to write if any planted canary value appears in the output.
 *   node --import tsx scripts/record-demo.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { canaryNeedles, ensureCluster, seedCluster } from '@/e2e/cluster/harness';
import { listSnapshot } from '@/lib/collect/collect';
import { resolveTargets } from '@/lib/collect/kube';
import { resources } from '@/lib/collect/resources';
import { demoDataFile } from '@/lib/demo/load';

const cluster = await ensureCluster();
await seedCluster(cluster);
const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
const { snapshot, notes } = await listSnapshot(target!);
for (const n of notes.filter((n) => n.level !== 'info')) console.error(`${n.level}: ${n.message}`);

// Volatile fields make every recording differ; they carry nothing the inventory reads.
const items = resources.flatMap((spec) =>
  (snapshot[spec.key] as unknown as { metadata: Record<string, unknown>; status?: unknown }[]).map((o) => {
    const { resourceVersion: _rv, ...metadata } = o.metadata;
    const { status: _status, ...rest } = o;
    return { ...rest, metadata };
  }),
);
const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: {}, items });
const leaked = canaryNeedles(cluster).filter((needle) => json.includes(needle));
if (leaked.length) throw new Error(`refusing to write the demo dataset: ${leaked.length} canary value(s) found in it`);
writeFileSync(demoDataFile, gzipSync(json, { level: 9 }));
console.log(`${items.length} objects written to ${path.relative(process.cwd(), demoDataFile)}`);
if (cluster.startedByThisCall) {
  const { stopCluster } = await import('@/e2e/cluster/harness');
  await stopCluster();
}
