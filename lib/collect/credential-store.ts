import type pg from 'pg';
import { assessCredentials, RULES, type CredentialFacts, type WorkloadFacts } from '@/lib/credentials/assess';
import type { CredentialPolicy } from '@/lib/credentials/policy';
import { systemClock, type Clock } from '@/lib/clock';
import { keySql } from '@/lib/keys';
import { credentialKeySql, keyMap, workloadKeySql } from './store';

export interface CredentialUpdate {
  credentials: number;
  findings: number;
  opened: number;
  resolved: number;
  seconds: number;
}

const BATCH = 5000;
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

    // Subjects' row ids by key, read once (a lookup per finding would scan the tables for every finding).
    const byKey = (sql: string) => keyMap(db, sql, [clusterId]);
    const identityIds = await byKey(`SELECT ${keySql('i')} AS k, i.id FROM "Identity" i WHERE i."clusterId" = $1`);
    const workloadIds = await byKey(`SELECT ${workloadKey} AS k, w.id FROM "Workload" w WHERE w."clusterId" = $1`);
    const credentialIds = await byKey(`SELECT ${credentialKey} AS k, c.id FROM "Credential" c WHERE c."clusterId" = $1`);
    const rows = findings.map((f) => ({
      ruleId: f.ruleId,
      owaspIds: f.owasp,
      severity: f.severity,
      title: f.title,
      explanation: f.explanation,
      evidence: f.evidence,
      remediation: f.remediation,
      subjectKey: f.subjectKey,
      identityId: (f.identity && identityIds.get(f.identity)) ?? null,
      workloadId: (f.workload && workloadIds.get(f.workload)) ?? null,
      credentialId: (f.credential && credentialIds.get(f.credential)) ?? null,
    }));
    let opened = 0;
    for (let i = 0; i < rows.length; i += BATCH) {
      const written = await db.query<{ opened: boolean }>(
        `INSERT INTO "Finding" (id, "clusterId", "ruleId", "owaspIds", severity, title, explanation, evidence, remediation, policy, status,
                              "identityId", "workloadId", "credentialId", "subjectKey", "firstSeenAt", "lastSeenAt", "resolvedAt")
       SELECT gen_random_uuid(), $2::uuid, x."ruleId", ARRAY(SELECT jsonb_array_elements_text(x."owaspIds")), x.severity::"Severity", x.title,
              x.explanation, x.evidence, x.remediation, $4, 'open', x."identityId", x."workloadId", x."credentialId",
              x."subjectKey", $3, $3, NULL
       FROM jsonb_to_recordset($1::jsonb) AS x("ruleId" text, "owaspIds" jsonb, severity text, title text, explanation text, evidence jsonb,
            remediation jsonb, "identityId" uuid, "workloadId" uuid, "credentialId" uuid, "subjectKey" text)
       ON CONFLICT ("clusterId", "ruleId", "subjectKey") DO UPDATE SET
         "owaspIds" = EXCLUDED."owaspIds", severity = EXCLUDED.severity, title = EXCLUDED.title, explanation = EXCLUDED.explanation,
         evidence = EXCLUDED.evidence, remediation = EXCLUDED.remediation, policy = EXCLUDED.policy,
         "identityId" = EXCLUDED."identityId", "workloadId" = EXCLUDED."workloadId", "credentialId" = EXCLUDED."credentialId",
         "lastSeenAt" = EXCLUDED."lastSeenAt", "resolvedAt" = NULL,
         status = CASE WHEN "Finding".status = 'resolved' THEN 'open'::"FindingStatus" ELSE "Finding".status END
       RETURNING (xmax = 0) AS opened`,
        [JSON.stringify(rows.slice(i, i + BATCH)), clusterId, now, policyName],
      );
      opened += written.rows.filter((r) => r.opened).length;
    }
    // Findings of these rules not seen now are fixed (verified by this collection).
    const resolved = await db.query(
      `UPDATE "Finding" SET status = 'resolved', "resolvedAt" = $3
       WHERE "clusterId" = $1 AND "ruleId" = ANY($2::text[]) AND status <> 'resolved' AND "lastSeenAt" < $3`,
      [clusterId, Object.keys(RULES), now],
    );
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
      resolved: resolved.rowCount ?? 0,
      seconds: (clock().getTime() - started) / 1000,
    };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    db.release();
  }
}
