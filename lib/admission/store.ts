/**
 * Writes the admission webhook's decisions (`AdmissionDecision`, one row per answered CREATE or UPDATE that was not
 * a dry run). Reads are in lib/data/admission.ts.
 */
import type pg from 'pg';
import type { AdmissionDecision } from './review';

/** Records one decision of the cluster's webhook at `at`. */
export async function recordDecision(
  db: pg.Pool | pg.ClientBase,
  clusterId: string,
  d: AdmissionDecision,
  at: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO "AdmissionDecision" (id, "clusterId", at, uid, operation, kind, namespace, name, "workloadKind", "workloadName",
       "serviceAccounts", decision, mode, "failOn", rules, findings, message, "user")
     VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17)`,
    [
      clusterId,
      at,
      d.uid,
      d.operation,
      d.kind,
      d.namespace,
      d.name,
      d.workload?.kind ?? null,
      d.workload?.name ?? null,
      d.serviceAccounts,
      d.decision,
      d.mode,
      d.failOn,
      d.rules,
      JSON.stringify(d.findings),
      d.message,
      d.user,
    ],
  );
}
