/**
 * After a collection or import: evaluates the posture rules (lib/findings/rules.ts) over the cluster's
 * inventory and keeps their "Finding" rows — opened, still present (lastSeenAt), resolved when gone
 * (resolvedAt), reopened when back — in bulk statements. Only rows of posture rules (NHI-POS-…) are
 * resolved here; the credential rules' rows belong to lib/collect/credential-store.ts.
 */
import type pg from 'pg';
import { systemClock, type Clock } from '@/lib/clock';
import { workloadKeySql } from '@/lib/collect/store';
import { keySql } from '@/lib/keys';
import type { PolicyRule } from '@/lib/rbac/types';
import { writeFindings } from './write';
import { evaluatePosture, POSTURE_RULES, type GrantedRole, type IdentitySubject, type WorkloadSubject } from './rules';

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

interface StoredBinding {
  kind: string;
  namespace: string;
  name: string;
  role: string;
  roleMissing: boolean;
  group: string | null;
}

async function readIdentities(db: pg.PoolClient, clusterId: string): Promise<IdentitySubject[]> {
  const roles = await db.query<{ kind: string; namespace: string; name: string; rules: PolicyRule[] }>(
    `SELECT kind, namespace, name, rules FROM "RbacRole" WHERE "clusterId" = $1 AND "deletedAt" IS NULL`,
    [clusterId],
  );
  const rulesOf = new Map(roles.rows.map((r) => [`${r.kind}/${r.namespace}/${r.name}`, r.rules]));
  const res = await db.query<{
    key: string;
    namespace: string;
    name: string;
    builtIn: boolean;
    owners: string[];
    bindings: StoredBinding[] | null;
    capabilities:
      | {
          id: string;
          title: string;
          severity: IdentitySubject['capabilities'][number]['severity'];
          scope: string;
          effective: boolean;
        }[]
      | null;
    escalationDistance: number | null;
    escalationSteps: { text: string }[] | null;
  }>(
    `SELECT ${keySql('i')} AS key, i.namespace, i.name, i."builtIn",
            ARRAY(SELECT DISTINCT t.name FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."identityId" = i.id ORDER BY 1) AS owners,
            r.bindings, r.capabilities, r."escalationDistance", r."escalationSteps"
     FROM "Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id
     WHERE i."clusterId" = $1 AND i."deletedAt" IS NULL AND i.kind = 'ServiceAccount' ORDER BY 1`,
    [clusterId],
  );
  return res.rows.map((r) => ({
    key: r.key,
    namespace: r.namespace,
    name: r.name,
    builtIn: r.builtIn,
    owners: r.owners,
    grants: (r.bindings ?? []).map((b): GrantedRole => {
      const [roleKind, roleName] = b.role.split(' ') as [string, string];
      const roleNs = roleKind === 'Role' ? b.namespace : '';
      return {
        binding: b.kind === 'ClusterRoleBinding' ? `ClusterRoleBinding ${b.name}` : `RoleBinding ${b.namespace}/${b.name}`,
        role: b.role,
        clusterWide: b.kind === 'ClusterRoleBinding',
        group: b.group,
        rules: b.roleMissing ? null : (rulesOf.get(`${roleKind}/${roleNs}/${roleName}`) ?? null),
      };
    }),
    capabilities: (r.capabilities ?? [])
      .filter((c) => c.effective)
      .map(({ id, title, severity, scope }) => ({ id, title, severity, scope })),
    escalationDistance: r.escalationDistance,
    escalationSteps: (r.escalationSteps ?? []).map((s) => ({ text: s.text })),
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
     LEFT JOIN "Identity" i ON i."clusterId" = w."clusterId" AND i.kind = 'ServiceAccount' AND i.namespace = w.namespace
       AND i.name = COALESCE(w."serviceAccountName", 'default') AND i."deletedAt" IS NULL
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

/** Evaluates the posture rules over a cluster's live inventory and keeps their findings (see module comment). */
export async function updatePostureFindings(
  pool: pg.Pool,
  clusterId: string,
  now: Date,
  clock: Clock = systemClock,
): Promise<PostureUpdate> {
  const started = clock().getTime();
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1 || ':posture'))`, [clusterId]);
    const findings = evaluatePosture(await readIdentities(db, clusterId), await readWorkloads(db, clusterId, now));
    // Posture findings not seen now are resolved; credential rules' rows are not touched.
    const { opened, resolved } = await writeFindings(db, clusterId, findings, {
      ruleIds: POSTURE_RULES.map((r) => r.id),
      policy: POLICY,
      now,
    });
    await db.query('COMMIT');
    return { findings: findings.length, opened, resolved, seconds: (clock().getTime() - started) / 1000 };
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    db.release();
  }
}
