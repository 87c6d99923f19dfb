/**
 * Records the bundled demo dataset from the real test cluster: starts it (if needed), seeds it (public
 * corpus + our demo workloads), lists every collected resource exactly as `nhi collect` does (Secrets as
 * metadata-only rows), and writes them as one kubectl-style List to lib/demo/data/demo-cluster.json.gz.
 * The one value it adds: the public `tls.crt` of each kubernetes.io/tls Secret (as `data: {'tls.crt': …}`,
 * nothing else of the Secret's data, never `tls.key`), so the demo shows certificate expiry and fingerprints.
 * The demo then loads that file through the same import path as any dump (`nhi import --tls-certificates`).
 * Refuses to write if any planted canary value appears in the output.
 *   node --import tsx scripts/record-demo.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { canaryNeedles, ensureCluster, seedCluster } from '@/e2e/cluster/harness';
import { TLS_SECRET_TYPE } from '@/lib/collect/certificates';
import { listSnapshot } from '@/lib/collect/collect';
import { kubeGet, resolveTargets } from '@/lib/collect/kube';
import { parseCertificate } from '@/lib/credentials/certificate';
import { resources } from '@/lib/collect/resources';
import { demoDataFile } from '@/lib/demo/load';

const cluster = await ensureCluster();
await seedCluster(cluster);
const [target] = resolveTargets({ kubeconfig: cluster.kubeconfigPath });
const { snapshot, notes } = await listSnapshot(target!);
for (const n of notes.filter((n) => n.level !== 'info')) console.error(`${n.level}: ${n.message}`);

// The public tls.crt of every kubernetes.io/tls Secret (checked to be a certificate), by namespace/name.
const tlsList = (await kubeGet(
  target!.kc,
  `/api/v1/secrets?${new URLSearchParams({ fieldSelector: `type=${TLS_SECRET_TYPE}` })}`,
)) as { items?: { metadata: { namespace?: string; name: string }; data?: Record<string, string> }[] };
const tlsCrt = new Map<string, string>();
for (const s of tlsList.items ?? []) {
  const crt = s.data?.['tls.crt'];
  if (!crt) continue;
  parseCertificate(Buffer.from(crt, 'base64').toString('utf8'));
  tlsCrt.set(`${s.metadata.namespace}/${s.metadata.name}`, crt);
}
tlsList.items = undefined;

// Volatile fields make every recording differ; they carry nothing the inventory reads.
const items = resources.flatMap((spec) =>
  (snapshot[spec.key] as unknown as { metadata: Record<string, unknown>; status?: unknown; type?: unknown }[]).map((o) => {
    const { resourceVersion: _rv, ...metadata } = o.metadata;
    const { status: _status, ...rest } = o;
    const crt = spec.key === 'secrets' && o.type === TLS_SECRET_TYPE && tlsCrt.get(`${metadata.namespace}/${metadata.name}`);
    return crt ? { ...rest, metadata, data: { 'tls.crt': crt } } : { ...rest, metadata };
  }),
);
const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: {}, items });
const leaked = canaryNeedles(cluster).filter((needle) => json.includes(needle));
const values = items.filter((o) => 'data' in o).flatMap((o) => Object.keys((o as { data: object }).data));
if (values.some((key) => key !== 'tls.crt'))
  throw new Error('refusing to write the demo dataset: a value other than tls.crt in it');
if (leaked.length) throw new Error(`refusing to write the demo dataset: ${leaked.length} canary value(s) found in it`);
writeFileSync(demoDataFile, gzipSync(json, { level: 9 }));
console.log(
  `${items.length} objects (${tlsCrt.size} with their public tls.crt) written to ${path.relative(process.cwd(), demoDataFile)}`,
);
if (cluster.startedByThisCall) {
  const { stopCluster } = await import('@/e2e/cluster/harness');
  await stopCluster();
}
