import path from 'node:path';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { repoRoot } from '@/lib/paths';
import { detectDays } from '@/lib/behaviour/engine';
import { loadProfiles, profilesLabel } from '@/lib/behaviour/profiles';
import { ingestFiles } from '@/lib/runtime/ingest';
import { updatePostureFindings } from '@/lib/findings/store';
import { updateRuntimeFindings } from '@/lib/findings/runtime';
import { updateRiskScores } from '@/lib/risk/store';
import { loadWeights, weightsLabel } from '@/lib/risk/weights';

const dataDir = path.join(repoRoot, 'lib', 'demo', 'data');

/** The bundled demo dataset, recorded from the real test cluster by scripts/record-demo.ts. */
export const demoDataFile = path.join(dataDir, 'demo-cluster.json.gz');
/**
 * The demo's runtime events (scripts/record-demo-audit.ts): the real API server's audit events of calls made
 * with pod-bound tokens of demo ServiceAccounts (bodies removed, never a token), and a few SYNTHETIC Falco
 * alerts for one of those pods (no Falco runs in the test cluster; they carry the tag `synthetic`).
 */
export const demoAuditFile = path.join(dataDir, 'demo-audit.jsonl.gz');
export const demoFalcoFile = path.join(dataDir, 'demo-falco.jsonl');
export const demoRuntimeFiles = [demoAuditFile, demoFalcoFile] as const;
export const demoClusterName = 'demo-cluster';
/** The demo's behaviour profiles: the built-in ones with time compressed (its traffic lasts 15 seconds). */
export const demoProfilesFile = path.join(dataDir, 'demo-behaviour.yaml');

/**
 * Loads the bundled demo dataset through the import path when the database holds no cluster yet, so
 * `npm run demo` shows a realistic inventory, then its runtime events through the ingest path. A database
 * that already has clusters is left alone.
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
    const runtime = await ingestFiles(pool, outcome.clusterId, demoRuntimeFiles);
    log(`Loaded ${runtime.inserted} demo runtime events.`);
    // With runtime events present, the posture rules can tell mounted tokens that are never used.
    await updatePostureFindings(pool, outcome.clusterId, new Date());
    const profiles = loadProfiles(process.env.NHI_BEHAVIOUR_PROFILES || demoProfilesFile);
    const found = await detectDays(pool, outcome.clusterId, runtime.days, profiles);
    log(`Behaviour (profiles ${profilesLabel(profiles)}): ${found?.created ?? 0} anomalies in the demo's runtime events.`);
    await updateRuntimeFindings(pool, outcome.clusterId, new Date());
    const risk = await updateRiskScores(pool, outcome.clusterId, new Date());
    log(`Risk (weights ${weightsLabel(loadWeights())}): ${risk.identities} identities and ${risk.workloads} workloads scored.`);
    return true;
  } finally {
    await pool.end();
  }
}
