/**
 * Keeps the risk scores of a cluster's identities and workloads (table RiskScore) and their daily history
 * (RiskScoreDaily, the day's last score), from the facts stored by the collector (reach, escalation paths),
 * the findings (open, not excepted), the anomalies (open or acknowledged) and ownership. Run after every
 * collection or import, after anomaly detection and after a decision on a finding or an anomaly, either for
 * the whole cluster (subjects gone are removed) or for some identities and the workloads running as them.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { workloadAccountSql, workloadKeySql } from '@/lib/collect/store';
import { inTransaction } from '@/lib/db/transaction';
import { keySql } from '@/lib/keys';
import { namespacesOf, refreshRiskRollups } from './rollups';
import { scoreIdentity, scoreWorkload, type AnomalyFact, type FindingFact, type IdentityFacts, type Severity } from './score';
import { loadWeights, weightsLabel, type RiskWeights } from './weights';

const BATCH = 5000;

export interface RiskUpdate {
  identities: number;
  workloads: number;
  /** Scores written because they are new or changed. */
  changed: number;
  seconds: number;
}

interface IdentityRow {
  id: string;
  key: string;
  namespace: string;
  name: string;
  escalationDistance: number | null;
  escalationSteps: { text: string }[] | null;
  targets: { target: string; scope: string; distance: number }[] | null;
  capabilities: { id: string; title: string; severity: Severity; scope: string; effective: boolean }[] | null;
  owned: boolean;
}

interface WorkloadRow {
  id: string;
  key: string;
  namespace: string;
  identityId: string | null;
}

/** Rows by a key (rows without one are left out), each turned into what the scorer reads. */
function groupBy<T, V>(rows: readonly T[], key: (r: T) => string | null, value: (r: T) => V): Map<string, V[]> {
  const m = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    if (k !== null) (m.get(k) ?? m.set(k, []).get(k)!).push(value(r));
  }
  return m;
}
const findingFact = ({ id, ruleId, severity, title }: FindingFact): FindingFact => ({ id, ruleId, severity, title });
const anomalyFact = ({ id, detector, severity, summary }: AnomalyFact): AnomalyFact => ({ id, detector, severity, summary });

/** Recomputes the scores (see module comment); `identityIds` limits it to those identities and their workloads. */
export async function updateRiskScores(
  pool: pg.Pool,
  clusterId: string,
  now: Date,
  options: { identityIds?: readonly string[]; weights?: RiskWeights } = {},
): Promise<RiskUpdate> {
  const started = Date.now();
  const weights = options.weights ?? loadWeights();
  const partial = options.identityIds !== undefined;
  if (partial && !options.identityIds!.length) return { identities: 0, workloads: 0, changed: 0, seconds: 0 };
  const ids = partial ? [...options.identityIds!] : null;
  return inTransaction(
    pool,
    async (db) => {
      const only = (col: string) => (ids ? `AND ${col} = ANY($2::uuid[])` : '');
      const params = ids ? [clusterId, ids] : [clusterId];
      // Only what the score reads of the reach: the effective capabilities' names, the paths' texts and targets.
      const identities = await db.query<IdentityRow>(
        `SELECT i.id, ${keySql('i')} AS key, i.namespace, i.name, r."escalationDistance",
                (SELECT jsonb_agg(jsonb_build_object('text', s->'text')) FROM jsonb_array_elements(r."escalationSteps") s) AS "escalationSteps",
                (SELECT jsonb_agg(jsonb_build_object('target', t->'target', 'scope', t->'scope', 'distance', t->'distance'))
                   FROM jsonb_array_elements(r."escalationTargets") t) AS targets,
                (SELECT jsonb_agg(jsonb_build_object('id', c->'id', 'title', c->'title', 'severity', c->'severity', 'scope', c->'scope',
                                                     'effective', c->'effective'))
                   FROM jsonb_array_elements(r.capabilities) c WHERE (c->>'effective')::boolean) AS capabilities,
                EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id) AS owned
         FROM "Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id
         WHERE i."clusterId" = $1 AND i."deletedAt" IS NULL ${only('i.id')} ORDER BY 2`,
        params,
      );
      const findings = await db.query<FindingFact & { owner: string }>(
        `SELECT f.id, f."ruleId", f.severity::text AS severity, f.title, COALESCE(f."identityId", c."identityId") AS owner
         FROM "Finding" f LEFT JOIN "Credential" c ON c.id = f."credentialId"
         WHERE f."clusterId" = $1 AND f.status = 'open' AND COALESCE(f."identityId", c."identityId") IS NOT NULL
           ${only('COALESCE(f."identityId", c."identityId")')} ORDER BY f."ruleId", f.id`,
        params,
      );
      const anomalies = await db.query<AnomalyFact & { owner: string; workloadId: string | null }>(
        `SELECT a.id, a.detector, a.severity::text AS severity, a.summary, a."identityId" AS owner, a."workloadId"
         FROM "Anomaly" a WHERE a."clusterId" = $1 AND a.status IN ('open', 'acknowledged') AND a."identityId" IS NOT NULL
           ${only('a."identityId"')} ORDER BY a.id`,
        params,
      );
      const workloads = await db.query<WorkloadRow>(
        `SELECT w.id, ${workloadKeySql('w')} AS key, w.namespace, i.id AS "identityId"
         FROM "Workload" w
         LEFT JOIN "Identity" i ON ${workloadAccountSql('w', 'i')}
         WHERE w."clusterId" = $1 AND w."deletedAt" IS NULL ${only('i.id')} ORDER BY 2`,
        params,
      );
      const workloadIds = workloads.rows.map((w) => w.id);
      const workloadFindings = await db.query<FindingFact & { owner: string }>(
        `SELECT f.id, f."ruleId", f.severity::text AS severity, f.title, f."workloadId" AS owner
         FROM "Finding" f WHERE f."clusterId" = $1 AND f.status = 'open' AND f."workloadId" = ANY($2::uuid[])
         ORDER BY f."ruleId", f.id`,
        [clusterId, workloadIds],
      );

      const findingsOf = groupBy(findings.rows, (f) => f.owner, findingFact);
      const anomaliesOf = groupBy(anomalies.rows, (a) => a.owner, anomalyFact);
      const workloadsOf = groupBy(
        workloads.rows,
        (w) => w.identityId,
        (w) => ({ id: w.id, label: w.key }),
      );
      const anomaliesOfWorkload = groupBy(anomalies.rows, (a) => a.workloadId, anomalyFact);
      const workloadFindingsOf = groupBy(workloadFindings.rows, (f) => f.owner, findingFact);

      const label = weightsLabel(weights);
      const rows: {
        subjectKey: string;
        identityId: string | null;
        workloadId: string | null;
        namespace: string;
        score: number;
        factors: unknown;
      }[] = [];
      const identityScore = new Map<string, { name: string; score: number }>();
      for (const i of identities.rows) {
        const name = i.namespace ? `${i.namespace}/${i.name}` : i.name;
        const facts: IdentityFacts = {
          name,
          escalationDistance: i.escalationDistance,
          escalationSteps: (i.escalationSteps ?? []).map((s) => s.text),
          targets: (i.targets ?? []).filter((t) => t.target !== 'cluster-admin'),
          capabilities: (i.capabilities ?? []).filter((c) => c.effective),
          findings: findingsOf.get(i.id) ?? [],
          anomalies: anomaliesOf.get(i.id) ?? [],
          workloads: workloadsOf.get(i.id) ?? [],
          owned: i.owned,
          href: `/identities/${i.id}`,
        };
        const s = scoreIdentity(facts, weights);
        identityScore.set(i.id, { name, score: s.score });
        rows.push({ subjectKey: `identity:${i.key}`, identityId: i.id, workloadId: null, namespace: i.namespace, ...s });
      }
      for (const w of workloads.rows) {
        const sa = w.identityId ? identityScore.get(w.identityId) : undefined;
        const s = scoreWorkload(
          {
            identity: sa && w.identityId ? { ...sa, href: `/identities/${w.identityId}` } : null,
            findings: workloadFindingsOf.get(w.id) ?? [],
            anomalies: anomaliesOfWorkload.get(w.id) ?? [],
          },
          weights,
        );
        rows.push({ subjectKey: `workload:${w.key}`, identityId: null, workloadId: w.id, namespace: w.namespace, ...s });
      }

      // Rows whose score, factors and weights are unchanged are not written again; each subject gets one
      // history row per day (the first computation of the day writes them all, later ones only the changes).
      const day = now.toISOString().slice(0, 10);
      const stored = await db.query<{ subjectKey: string; digest: string; today: boolean }>(
        `SELECT s."subjectKey", s.digest, EXISTS (SELECT 1 FROM "RiskScoreDaily" d WHERE d."clusterId" = s."clusterId"
                  AND d."subjectKey" = s."subjectKey" AND d.day = $2::date) AS today
         FROM "RiskScore" s WHERE s."clusterId" = $1 ${ids ? `AND (s."identityId" = ANY($3::uuid[]) OR s."workloadId" = ANY($4::uuid[]))` : ''}`,
        ids ? [clusterId, day, ids, workloadIds] : [clusterId, day],
      );
      const before = new Map(stored.rows.map((r) => [r.subjectKey, r]));
      const changed: ((typeof rows)[number] & { digest: string })[] = [];
      const daily: { subjectKey: string; namespace: string; score: number }[] = [];
      for (const r of rows) {
        const digest = createHash('sha1')
          .update(`${label}\n${r.score}\n${JSON.stringify(r.factors)}`)
          .digest('hex');
        const was = before.get(r.subjectKey);
        if (was?.digest !== digest) changed.push({ ...r, digest });
        if (was?.digest !== digest || !was.today)
          daily.push({ subjectKey: r.subjectKey, namespace: r.namespace, score: r.score });
      }
      for (let b = 0; b < changed.length; b += BATCH)
        await db.query(
          `INSERT INTO "RiskScore" ("clusterId", "subjectKey", "identityId", "workloadId", namespace, score, factors, weights, digest, "computedAt")
           SELECT $2::uuid, x."subjectKey", x."identityId", x."workloadId", x.namespace, x.score, x.factors, $3, x.digest, $4
           FROM jsonb_to_recordset($1::jsonb) AS x("subjectKey" text, "identityId" uuid, "workloadId" uuid, namespace text, score int,
                factors jsonb, digest text)
           ON CONFLICT ("clusterId", "subjectKey") DO UPDATE SET "identityId" = EXCLUDED."identityId", "workloadId" = EXCLUDED."workloadId",
             namespace = EXCLUDED.namespace, score = EXCLUDED.score, factors = EXCLUDED.factors, weights = EXCLUDED.weights,
             digest = EXCLUDED.digest, "computedAt" = EXCLUDED."computedAt"`,
          [JSON.stringify(changed.slice(b, b + BATCH)), clusterId, label, now],
        );
      for (let b = 0; b < daily.length; b += BATCH)
        await db.query(
          `INSERT INTO "RiskScoreDaily" ("clusterId", "subjectKey", namespace, day, score)
           SELECT $2::uuid, x."subjectKey", x.namespace, $3::date, x.score
           FROM jsonb_to_recordset($1::jsonb) AS x("subjectKey" text, namespace text, score int)
           ON CONFLICT ("clusterId", "subjectKey", day) DO UPDATE SET score = EXCLUDED.score, namespace = EXCLUDED.namespace`,
          [JSON.stringify(daily.slice(b, b + BATCH)), clusterId, day],
        );
      // Subjects gone from the inventory lose their current score (their history stays).
      if (!partial) {
        const live = new Set(rows.map((r) => r.subjectKey));
        const gone = stored.rows.filter((r) => !live.has(r.subjectKey)).map((r) => r.subjectKey);
        if (gone.length)
          await db.query(`DELETE FROM "RiskScore" WHERE "clusterId" = $1 AND "subjectKey" = ANY($2::text[])`, [clusterId, gone]);
      }
      // The roll-ups follow (lib/risk/rollups.ts): the whole cluster and the day's trend, or the namespaces of the
      // identities scored (the day's trend follows at the next full scoring: counting it again reads the whole day).
      await refreshRiskRollups(db, clusterId, ids ? { namespaces: await namespacesOf(db, { identityIds: ids }) } : { day });
      return {
        identities: identities.rowCount ?? 0,
        workloads: workloads.rowCount ?? 0,
        changed: changed.length,
        seconds: (Date.now() - started) / 1000,
      };
    },
    { lock: `${clusterId}:risk` },
  );
}

/** Recomputes the scores of the named ServiceAccounts (`namespace/name`) of a cluster and of their workloads. */
export async function updateRiskOfServiceAccounts(
  pool: pg.Pool,
  clusterId: string,
  serviceAccounts: readonly { namespace: string; name: string }[],
  now: Date,
): Promise<RiskUpdate> {
  if (!serviceAccounts.length) return { identities: 0, workloads: 0, changed: 0, seconds: 0 };
  const res = await pool.query<{ id: string }>(
    `SELECT i.id FROM "Identity" i JOIN jsonb_to_recordset($2::jsonb) AS x(namespace text, name text)
       ON i.namespace = x.namespace AND i.name = x.name
     WHERE i."clusterId" = $1 AND i.kind = 'ServiceAccount' AND i."deletedAt" IS NULL`,
    [clusterId, JSON.stringify(serviceAccounts.map(({ namespace, name }) => ({ namespace, name })))],
  );
  return updateRiskScores(pool, clusterId, now, { identityIds: res.rows.map((r) => r.id) });
}
