/**
 * The app's pages as the e2e specs walk them: every app/**\/page.tsx as a pattern, and a URL for each on the
 * demo data (the ids of a team-owned identity with an anomaly, a finding, a workload and runtime events).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** `/`, `/identities/[id]`, … for every page.tsx under app (the API routes excluded). */
export function pagePatterns(dir = path.resolve('app'), prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'api'
        ? []
        : pagePatterns(path.join(dir, e.name), `${prefix}/${e.name}`)
      : e.name === 'page.tsx'
        ? [prefix || '/']
        : [],
  );
}

export interface DemoIds {
  team: string;
  identity: string;
  workload: string;
  anomaly: string;
  finding: string;
  clusterId: string;
  key: string;
}

/** The ids of the demo's first team-owned identity that has an anomaly, a finding, a workload and runtime events. */
export async function demoIds(databaseUrl = process.env.NHI_E2E_DATABASE_URL): Promise<DemoIds> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<DemoIds>(`
      SELECT t.name AS team, i.id AS identity, wi."workloadId" AS workload, a.id AS anomaly, f.id AS finding,
             i."clusterId" AS "clusterId",
             (SELECT e.key FROM "RuntimeEvent" e WHERE e."clusterId" = i."clusterId" AND e."saNamespace" = i.namespace
                AND e."saName" = i.name LIMIT 1) AS key
      FROM "Identity" i JOIN "Ownership" o ON o."identityId" = i.id JOIN "Team" t ON t.id = o."teamId"
      JOIN "Anomaly" a ON a."identityId" = i.id JOIN "Finding" f ON f."identityId" = i.id
      JOIN "WorkloadIdentity" wi ON wi."identityId" = i.id
      WHERE EXISTS (SELECT 1 FROM "RuntimeEvent" e WHERE e."clusterId" = i."clusterId" AND e."saNamespace" = i.namespace AND e."saName" = i.name)
      ORDER BY t.name, i.namespace, i.name LIMIT 1`);
    if (!rows[0]) throw new Error('the demo data has no team-owned identity with an anomaly, a finding and events');
    return rows[0];
  } finally {
    await db.end();
  }
}

/** A URL of the pattern on the demo data: each [param] replaced by the id of its kind. */
export function urlOf(pattern: string, ids: DemoIds): string {
  return pattern
    .replace('/identities/[id]', `/identities/${ids.identity}`)
    .replace('/workloads/[id]', `/workloads/${ids.workload}`)
    .replace('/findings/[id]', `/findings/${ids.finding}`)
    .replace('/anomalies/[id]', `/anomalies/${ids.anomaly}`)
    .replace('[clusterId]/[key]', `${ids.clusterId}/${encodeURIComponent(ids.key)}`);
}
