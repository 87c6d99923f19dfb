/**
 * After a collection or import: evaluates the posture rules (lib/findings/rules.ts) over the cluster's
 * inventory and keeps their "Finding" rows — opened, still present (lastSeenAt), resolved when gone
 * (resolvedAt), reopened when back — in bulk statements. Only rows of posture rules (NHI-POS-…) are
 * resolved here; the credential rules' rows belong to lib/collect/credential-store.ts.
 * Subjects: ServiceAccounts, workloads, namespaces (`namespace:<name>`, no row id) and the cluster (`cluster:`),
 * under the findings policy in force (NHI_FINDINGS_POLICY, lib/findings/policy.ts).
 */
import type pg from 'pg';
import { systemClock, type Clock } from '@/lib/clock';
import { workloadAccountSql, workloadKeySql } from '@/lib/collect/store';
import { inTransaction } from '@/lib/db/transaction';
import { keySql, roleKey } from '@/lib/keys';
import type { PolicyRule } from '@/lib/rbac/types';
import type { AdmissionPolicyRec } from '@/lib/collect/inventory';
import { writeFindings } from './write';
import { loadFindingsPolicy, type FindingsPolicy } from './policy';
import {
  applicationOf,
  evaluatePosture,
  POSTURE_RULES,
  type ClusterSubject,
  type IdentitySubject,
  type NamespaceSubject,
  type WorkloadSubject,
} from './rules';
import { clusterSubjectOf } from './scope-rules';
import { identitySubject, type StoredReach } from './subjects';

export interface PostureUpdate {
  findings: number;
  opened: number;
  resolved: number;
  seconds: number;
}

/** Days of runtime events the "token never used" rule looks back over. */
export const RUNTIME_WINDOW_DAYS = 30;
const POLICY = 'posture v1';
const workloadKey = workloadKeySql('w');

async function readIdentities(db: pg.PoolClient, clusterId: string): Promise<IdentitySubject[]> {
  const roles = await db.query<{ kind: string; namespace: string; name: string; rules: PolicyRule[] }>(
    `SELECT kind, namespace, name, rules FROM "RbacRole" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`,
    [clusterId],
  );
  const rulesOf = new Map(roles.rows.map((r) => [roleKey(r), r.rules]));
  const res = await db.query<
    Pick<IdentitySubject, 'key' | 'namespace' | 'name' | 'builtIn' | 'owners'> &
      StoredReach & { workloads: { kind: string; name: string; labels: Record<string, string> }[] | null }
  >(
    `SELECT ${keySql('i')} AS key, i.namespace, i.name, i."builtIn",
            ARRAY(SELECT DISTINCT t.name FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."identityId" = i.id ORDER BY 1) AS owners,
            r.bindings, r.capabilities, r."escalationDistance", r."escalationSteps", r."escalationTargets",
            (SELECT jsonb_agg(jsonb_build_object('kind', w.kind, 'name', w.name, 'labels', w.labels) ORDER BY w.kind, w.name)
             FROM "Workload" w WHERE ${workloadAccountSql('w', 'i')} AND w."deletedAt" IS NULL) AS workloads
     FROM "Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id
     WHERE i."clusterId" = $1 AND i."deletedAt" IS NULL AND i.kind = 'ServiceAccount' ORDER BY 1`,
    [clusterId],
  );
  return res.rows.map((r) => ({
    ...identitySubject({ key: r.key, namespace: r.namespace, name: r.name, builtIn: r.builtIn, owners: r.owners }, r, rulesOf),
    workloads: (r.workloads ?? []).map((w) => ({ kind: w.kind, name: w.name, app: applicationOf(w.labels) })),
  }));
}

async function readWorkloads(db: pg.PoolClient, clusterId: string, now: Date): Promise<WorkloadSubject[]> {
  const since = new Date(now.getTime() - RUNTIME_WINDOW_DAYS * 86_400_000);
  // Runtime evidence counts only when the cluster sends audit events at all (otherwise nothing is said).
  const seen = await db.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM "RuntimeEvent" WHERE "clusterId" = $1 AND source = 'audit' AND at >= $2) AS any`,
    [clusterId, since],
  );
  const hasRuntime = seen.rows[0]?.any === true;
  const active = new Set<string>();
  if (hasRuntime) {
    const callers = await db.query<{ k: string }>(
      `SELECT DISTINCT "saNamespace" || '/' || "saName" AS k FROM "RuntimeEvent"
       WHERE "clusterId" = $1 AND at >= $2 AND "saNamespace" IS NOT NULL AND "saName" IS NOT NULL`,
      [clusterId, since],
    );
    for (const c of callers.rows) active.add(c.k);
  }
  const res = await db.query<Omit<WorkloadSubject, 'runtime'>>(
    `SELECT ${workloadKey} AS key, w.namespace, w.kind, w.name, COALESCE(w."serviceAccountName", 'default') AS "serviceAccount",
            w."automountToken", i."automountToken" AS "serviceAccountAutomount", w.images, w."podSpecFacts"
     FROM "Workload" w
     LEFT JOIN "Identity" i ON ${workloadAccountSql('w', 'i')}
     WHERE w."clusterId" = $1 AND w."deletedAt" IS NULL ORDER BY 1`,
    [clusterId],
  );
  return res.rows.map((w) => ({
    ...w,
    runtime: hasRuntime
      ? { windowDays: RUNTIME_WINDOW_DAYS, accountCalledApi: active.has(`${w.namespace}/${w.serviceAccount}`) }
      : null,
  }));
}

/** The cluster's live namespaces with their labels, NetworkPolicies and live top-level workloads. */
async function readNamespaces(db: pg.PoolClient, clusterId: string): Promise<NamespaceSubject[]> {
  const res = await db.query<NamespaceSubject>(
    `SELECT n.name, n.labels, n."networkPolicies",
            ARRAY(SELECT w.kind || '/' || w.name FROM "Workload" w
                  WHERE w."clusterId" = n."clusterId" AND w.namespace = n.name AND w."deletedAt" IS NULL ORDER BY 1) AS workloads
     FROM "Namespace" n WHERE n."clusterId" = $1 AND n."deletedAt" IS NULL ORDER BY n.name`,
    [clusterId],
  );
  return res.rows;
}

/** The cluster subject: its admission objects as last collected, and its namespaces' Pod Security levels. */
async function readCluster(db: pg.PoolClient, clusterId: string, namespaces: NamespaceSubject[]): Promise<ClusterSubject | null> {
  const res = await db.query<{ name: string; admissionPolicies: AdmissionPolicyRec[] }>(
    `SELECT name, "admissionPolicies" FROM "Cluster" WHERE id = $1`,
    [clusterId],
  );
  const row = res.rows[0];
  return row ? clusterSubjectOf(row.name, row.admissionPolicies ?? [], namespaces) : null;
}

/** Evaluates the posture rules over a cluster's live inventory and keeps their findings (see module comment). */
export async function updatePostureFindings(
  pool: pg.Pool,
  clusterId: string,
  now: Date,
  clock: Clock = systemClock,
  policy: FindingsPolicy = loadFindingsPolicy(),
): Promise<PostureUpdate> {
  const started = clock().getTime();
  return inTransaction(
    pool,
    async (db) => {
      const namespaces = await readNamespaces(db, clusterId);
      const findings = evaluatePosture(await readIdentities(db, clusterId), await readWorkloads(db, clusterId, now), {
        namespaces,
        cluster: await readCluster(db, clusterId, namespaces),
        policy,
      });
      // Posture findings not seen now are resolved; credential rules' rows are not touched.
      const { opened, resolved } = await writeFindings(db, clusterId, findings, {
        ruleIds: POSTURE_RULES.map((r) => r.id),
        policy: POLICY,
        now,
      });
      return { findings: findings.length, opened, resolved, seconds: (clock().getTime() - started) / 1000 };
    },
    { lock: `${clusterId}:posture` },
  );
}
