import type pg from 'pg';
import { assessCredentials, RULES, type CredentialFacts, type WorkloadFacts } from '@/lib/credentials/assess';
import type { CredentialPolicy } from '@/lib/credentials/policy';
import { systemClock, type Clock } from '@/lib/clock';
import { keySql } from '@/lib/keys';
import { writeFindings } from '@/lib/findings/write';
import { credentialKeySql, workloadKeySql } from './store';

export interface CredentialUpdate {
  credentials: number;
  findings: number;
  opened: number;
  resolved: number;
  seconds: number;
}

const credentialKey = credentialKeySql('c');
const workloadKey = workloadKeySql('w');

/** A row as read: the assessment's input, with the cert-manager Certificate still a nullable column. */
type CredentialRow = Omit<CredentialFacts, 'certManagerCertificate'> & { certManagerCertificate: string | null };

/** The live credentials of a cluster with who holds and uses them, as the assessment reads them. */
async function readCredentials(db: pg.PoolClient, clusterId: string): Promise<CredentialFacts[]> {
  const res = await db.query<CredentialRow>(
    `SELECT ${credentialKey} AS key, c.namespace, c.name, c.kind::text AS kind, c.class,
            c."createdInClusterAt" AS "createdAt", c."rotatedAt", c."expiresAt", c."lastUsedAt", c."invalidSince", c.certificate,
            c.metadata->'annotations'->>'cert-manager.io/certificate-name' AS "certManagerCertificate",
            ARRAY(SELECT DISTINCT k FROM (
              SELECT ${keySql('i')} AS k FROM "Identity" i WHERE i.id = c."identityId"
              UNION SELECT ${keySql('i2')} FROM "CredentialUse" u JOIN "WorkloadIdentity" wi ON wi."workloadId" = u."workloadId"
                JOIN "Identity" i2 ON i2.id = wi."identityId"
                WHERE u."credentialId" = c.id AND u."deletedAt" IS NULL AND wi."deletedAt" IS NULL) ids ORDER BY k) AS identities,
            ARRAY(SELECT DISTINCT ${workloadKey} FROM "CredentialUse" u JOIN "Workload" w ON w.id = u."workloadId"
              WHERE u."credentialId" = c.id AND u."deletedAt" IS NULL AND w."deletedAt" IS NULL ORDER BY 1) AS workloads
     FROM "Credential" c WHERE c."clusterId" = $1 AND c."deletedAt" IS NULL ORDER BY 1`,
    [clusterId],
  );
  return res.rows.map(({ certManagerCertificate, ...r }) => ({
    ...r,
    ...(certManagerCertificate ? { certManagerCertificate } : {}),
  }));
}

/** The live workloads with their account, app, owning team and the kind of API credential they get. */
async function readWorkloads(db: pg.PoolClient, clusterId: string): Promise<WorkloadFacts[]> {
  const res = await db.query<WorkloadFacts>(
    `SELECT ${workloadKey} AS key, w.namespace, w.kind, w.name, COALESCE(w."serviceAccountName", 'default') AS "serviceAccount",
            COALESCE(w.labels->>'app.kubernetes.io/name', w.labels->>'app') AS app,
            (SELECT t.name FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."workloadId" = w.id ORDER BY o.origin, t.name LIMIT 1) AS team,
            CASE
              WHEN EXISTS (SELECT 1 FROM "CredentialUse" u JOIN "Credential" c ON c.id = u."credentialId"
                           WHERE u."workloadId" = w.id AND u."deletedAt" IS NULL AND c.class = 'legacy-service-account-token') THEN 'long-lived'
              WHEN EXISTS (SELECT 1 FROM "CredentialUse" u JOIN "Credential" c ON c.id = u."credentialId"
                           WHERE u."workloadId" = w.id AND u."deletedAt" IS NULL AND c.class = 'projected-service-account-token') THEN 'short-lived'
              ELSE 'none'
            END AS "apiCredential"
     FROM "Workload" w WHERE w."clusterId" = $1 AND w."deletedAt" IS NULL ORDER BY 1`,
    [clusterId],
  );
  return res.rows;
}

/**
 * After a collection: judges every credential of the cluster against the policy, keeps the findings
 * (opened, still present, resolved when gone, reopened when back) and records the short-lived coverage.
 */
export async function updateCredentials(
  pool: pg.Pool,
  clusterId: string,
  now: Date,
  policy: CredentialPolicy,
  clock: Clock = systemClock,
): Promise<CredentialUpdate> {
  const started = clock().getTime();
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1 || ':credentials'))`, [clusterId]);
    const credentials = await readCredentials(db, clusterId);
    const workloads = await readWorkloads(db, clusterId);
    const { findings, coverage } = assessCredentials(credentials, workloads, policy, now);
    const policyName = `${policy.metadata.name} v${policy.metadata.version}`;

    const { opened, resolved } = await writeFindings(db, clusterId, findings, {
      ruleIds: Object.keys(RULES),
      policy: policyName,
      now,
    });
    await db.query(
      `INSERT INTO "CredentialCoverage" (id, "clusterId", at, "scopeKind", scope, workloads, "shortLived", "longLived", none)
       SELECT gen_random_uuid(), $2::uuid, $3, x."scopeKind", x.scope, x.workloads, x."shortLived", x."longLived", x.none
       FROM jsonb_to_recordset($1::jsonb) AS x("scopeKind" text, scope text, workloads int, "shortLived" int, "longLived" int, none int)`,
      [JSON.stringify(coverage), clusterId, now],
    );
    await db.query('COMMIT');
    return {
      credentials: credentials.length,
      findings: findings.length,
      opened,
      resolved,
      seconds: (clock().getTime() - started) / 1000,
    };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    db.release();
  }
}
