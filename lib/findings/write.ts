/**
 * The one writer of "Finding" rows, for every rule family (the credential policy, the posture rules): in one
 * transaction of the caller, a family's findings of this evaluation are upserted in bulk (one statement per
 * 5,000 rows: opened, still present with a later `lastSeenAt`, reopened when resolved before — excepted again when an
 * exception is still in force, lib/findings/exceptions.ts), and the
 * family's findings not seen now are resolved (the fix verified by this evaluation). Rows of other families
 * are never touched: resolution is limited to `ruleIds`.
 */
import type pg from 'pg';
import { credentialKeySql, keyMap, workloadKeySql } from '@/lib/collect/store';
import { keySql } from '@/lib/keys';
import { verifyClaimedFixes } from './verify';

const BATCH = 5000;

/** A finding as the rule families produce it; subjects by their inventory keys. */
export interface FindingInput {
  ruleId: string;
  title: string;
  severity: string;
  owasp: string[];
  explanation: string;
  evidence: unknown;
  remediation: unknown;
  /** Stable key of what it is about: one finding per rule and subject. */
  subjectKey: string;
  identity?: string;
  workload?: string;
  credential?: string;
}

export async function writeFindings(
  db: pg.ClientBase,
  clusterId: string,
  findings: readonly FindingInput[],
  family: { ruleIds: readonly string[]; policy: string; now: Date },
): Promise<{ opened: number; resolved: number }> {
  // Subjects' row ids by key, read once (a lookup per finding would scan the tables for every finding).
  const byKey = (sql: string) => keyMap(db as pg.PoolClient, sql, [clusterId]);
  const identityIds = await byKey(`SELECT ${keySql('i')} AS k, i.id FROM "Identity" i WHERE i."clusterId" = $1`);
  const workloadIds = await byKey(`SELECT ${workloadKeySql('w')} AS k, w.id FROM "Workload" w WHERE w."clusterId" = $1`);
  const credentialIds = findings.some((f) => f.credential)
    ? await byKey(`SELECT ${credentialKeySql('c')} AS k, c.id FROM "Credential" c WHERE c."clusterId" = $1`)
    : new Map<string, string>();
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
         status = CASE WHEN "Finding".status <> 'resolved' THEN "Finding".status
                       WHEN EXISTS (SELECT 1 FROM "FindingException" e WHERE e."findingId" = "Finding".id AND e."revokedAt" IS NULL
                                    AND e."expiredAt" IS NULL AND e."expiresAt" > $3) THEN 'excepted'::"FindingStatus"
                       ELSE 'open'::"FindingStatus" END
       RETURNING (xmax = 0) AS opened`,
      [JSON.stringify(rows.slice(i, i + BATCH)), clusterId, family.now, family.policy],
    );
    opened += written.rows.filter((r) => r.opened).length;
  }
  const resolved = await db.query(
    `UPDATE "Finding" SET status = 'resolved', "resolvedAt" = $3
     WHERE "clusterId" = $1 AND "ruleId" = ANY($2::text[]) AND status <> 'resolved' AND "lastSeenAt" < $3`,
    [clusterId, [...family.ruleIds], family.now],
  );
  // Fixes marked by people (the findings queue) are judged by this evaluation, in this transaction.
  await verifyClaimedFixes(db, clusterId, family);
  return { opened, resolved: resolved.rowCount ?? 0 };
}
