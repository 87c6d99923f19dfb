import type pg from 'pg';
import { systemClock, type Clock } from '@/lib/clock';
import { keySql } from '@/lib/keys';
import { buildIndex, type RbacIndex } from '@/lib/rbac/rbac-index';
import { snapshotFromObjects } from '@/lib/rbac/load';
import { escalationFingerprint, escalationRows, reachRows } from '@/lib/rbac/materialize';
import type { ClusterSnapshot } from './types';

export interface ReachUpdate {
  identities: number;
  recomputed: number;
  escalationRecomputed: boolean;
  seconds: number;
}

const BATCH = 2000;
/** Rows are matched to Identity rows by the one key (lib/keys.ts), computed in SQL. */
const identityKeySql = keySql('i');

/** The pure RBAC engine's index over what a collection read (the objects RBAC reach and escalation depend on). */
export function rbacIndexOf(snapshot: ClusterSnapshot): RbacIndex {
  const objects = [
    ...snapshot.roles,
    ...snapshot.clusterRoles,
    ...snapshot.roleBindings,
    ...snapshot.clusterRoleBindings,
    ...snapshot.serviceAccounts,
    ...snapshot.secrets,
    ...snapshot.pods,
    ...snapshot.nodes,
    ...snapshot.namespaces,
    ...snapshot.deployments,
    ...snapshot.statefulSets,
    ...snapshot.daemonSets,
    ...snapshot.cronJobs,
    ...snapshot.jobs,
    ...snapshot.replicaSets,
    ...snapshot.replicationControllers,
  ];
  return buildIndex(snapshotFromObjects(objects).snapshot);
}

/**
 * Materialises RBAC reach for a cluster after its inventory was saved: builds the pure index from the
 * collected objects, recomputes reach only for identities whose fingerprint changed, and the escalation
 * paths only when an input of the escalation graph changed. Rows follow the Identity rows by key.
 */
export async function updateReach(
  pool: pg.Pool,
  clusterId: string,
  snapshot: ClusterSnapshot,
  now: Date,
  clock: Clock = systemClock,
): Promise<ReachUpdate> {
  const started = clock().getTime();
  const index = rbacIndexOf(snapshot);

  const previous = await pool.query<{ key: string; fingerprint: string }>(
    `SELECT ${identityKeySql} AS key, r.fingerprint
     FROM "IdentityReach" r JOIN "Identity" i ON i.id = r."identityId" WHERE r."clusterId" = $1`,
    [clusterId],
  );
  const fingerprints = new Map(previous.rows.map((r) => [r.key, r.fingerprint]));
  const unchanged: string[] = [];
  const changedKeys: string[] = [];

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Rows are computed as they are written, a batch at a time, so they are never all in memory.
    for (const batch of inBatches(reachRows(index, fingerprints, unchanged), BATCH)) {
      changedKeys.push(...batch.map((r) => r.identityKey));
      const rows = batch.map((r) => ({
        key: r.identityKey,
        fingerprint: r.fingerprint,
        namespaces: r.namespaces,
        allNamespaces: r.allNamespaces,
        capabilities: r.capabilities,
        bindings: r.bindings,
        capabilityCount: r.capabilities.filter((c) => c.effective).length,
        maxSeverity: r.maxSeverity,
      }));
      await client.query(
        `INSERT INTO "IdentityReach" ("identityId", "clusterId", fingerprint, namespaces, "allNamespaces", capabilities, bindings, "capabilityCount", "maxSeverity", "computedAt")
         SELECT i.id, $2::uuid, x.fingerprint, ARRAY(SELECT jsonb_array_elements_text(x.namespaces)), x."allNamespaces", x.capabilities, x.bindings, x."capabilityCount", x."maxSeverity"::"Severity", $3
         FROM jsonb_to_recordset($1::jsonb) AS x(key text, fingerprint text, namespaces jsonb, "allNamespaces" boolean, capabilities jsonb, bindings jsonb, "capabilityCount" int, "maxSeverity" text)
         JOIN "Identity" i ON i."clusterId" = $2::uuid AND ${identityKeySql} = x.key
         ON CONFLICT ("identityId") DO UPDATE SET fingerprint = EXCLUDED.fingerprint, namespaces = EXCLUDED.namespaces, "allNamespaces" = EXCLUDED."allNamespaces",
           capabilities = EXCLUDED.capabilities, bindings = EXCLUDED.bindings, "capabilityCount" = EXCLUDED."capabilityCount", "maxSeverity" = EXCLUDED."maxSeverity", "computedAt" = EXCLUDED."computedAt"`,
        [JSON.stringify(rows), clusterId, now],
      );
    }
    // Identities RBAC no longer knows (deleted, no bindings left as subjects) lose their reach row.
    const live = [...unchanged, ...changedKeys];
    await client.query(
      `DELETE FROM "IdentityReach" r USING "Identity" i WHERE i.id = r."identityId" AND r."clusterId" = $1
       AND NOT (${identityKeySql} = ANY($2::text[]))`,
      [clusterId, live],
    );

    const fingerprint = escalationFingerprint(index);
    const stored = await client.query<{ f: string | null }>(
      `SELECT facts->'rbac'->>'escalationFingerprint' AS f FROM "Cluster" WHERE id = $1`,
      [clusterId],
    );
    const escalationRecomputed = stored.rows[0]?.f !== fingerprint;
    if (escalationRecomputed) {
      for (const batch of inBatches(escalationRows(index), BATCH)) {
        await client.query(
          `UPDATE "IdentityReach" r SET "reachesClusterAdmin" = x."reachesClusterAdmin", "escalationDistance" = x.distance, "escalationSteps" = x.steps,
             "escalationTargets" = x.targets, "escalationComputedAt" = $3
           FROM jsonb_to_recordset($1::jsonb) AS x(key text, "reachesClusterAdmin" boolean, distance int, steps jsonb, targets jsonb), "Identity" i
           WHERE i.id = r."identityId" AND r."clusterId" = $2 AND ${identityKeySql} = x.key`,
          [
            JSON.stringify(
              batch.map((p) => ({
                key: p.identityKey,
                reachesClusterAdmin: p.reachesClusterAdmin,
                distance: p.distance,
                steps: p.steps,
                targets: p.targets,
              })),
            ),
            clusterId,
            now,
          ],
        );
      }
      await client.query(`UPDATE "Cluster" SET facts = jsonb_set(facts, '{rbac}', $2::jsonb) WHERE id = $1`, [
        clusterId,
        JSON.stringify({ escalationFingerprint: fingerprint, computedAt: now.toISOString(), identities: live.length }),
      ]);
    }
    await client.query('COMMIT');
    return {
      identities: live.length,
      recomputed: changedKeys.length,
      escalationRecomputed,
      seconds: (clock().getTime() - started) / 1000,
    };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

function* inBatches<T>(rows: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
