/**
 * Runtime findings: the behaviour detectors' anomalies (lib/behaviour) in the one findings list. One finding
 * per ServiceAccount with anomalies still needing a decision (open or acknowledged): its severity is the
 * worst of them, its OWASP items theirs, its evidence the anomalies with their detectors. It resolves when
 * none is left (resolved, false positive or suppressed) and reopens when a new one is raised. Run after
 * every detection and every decision on an anomaly, with the risk scores of the identities concerned.
 */
import type pg from 'pg';
import { inTransaction } from '@/lib/db/transaction';
import { updateRiskOfServiceAccounts, updateRiskScores } from '@/lib/risk/store';
import { writeFindings, type FindingInput } from './write';

export const RUNTIME_RULE: { id: string; title: string; cis: string | null; aliases: string[] } = {
  id: 'NHI-RUN-001',
  title: 'ServiceAccount behaves unlike its baseline',
  cis: null,
  // Falco's Kubernetes audit rules watch some of the same calls, without a per-identity baseline.
  aliases: ['Falco k8saudit rules'],
};

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

interface Row {
  identityKey: string;
  namespace: string;
  name: string;
  anomalies: { id: string; detector: string; severity: string; summary: string; owasp: string[]; lastEventAt: string }[];
}

/** Rewrites the runtime findings of a cluster from its anomalies (bulk; a no-op when nothing changed). */
export async function updateRuntimeFindings(
  pool: pg.Pool,
  clusterId: string,
  now: Date,
): Promise<{ opened: number; resolved: number }> {
  const res = await pool.query<Row>(
    `SELECT 'ServiceAccount/' || a."saNamespace" || '/' || a."saName" AS "identityKey", a."saNamespace" AS namespace, a."saName" AS name,
            jsonb_agg(jsonb_build_object('id', a.id, 'detector', a.detector, 'severity', a.severity, 'summary', a.summary,
                                         'owasp', a."owaspIds", 'lastEventAt', a."lastEventAt") ORDER BY a."lastEventAt" DESC, a.id) AS anomalies
     FROM "Anomaly" a WHERE a."clusterId" = $1 AND a.status IN ('open', 'acknowledged')
     GROUP BY 1, 2, 3 ORDER BY 1`,
    [clusterId],
  );
  const findings: FindingInput[] = res.rows.map((r) => {
    const severity = r.anomalies.reduce(
      (w, a) => (SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(w) ? a.severity : w),
      'info',
    );
    const detectors = [...new Set(r.anomalies.map((a) => a.detector))].sort();
    return {
      ruleId: RUNTIME_RULE.id,
      title: RUNTIME_RULE.title,
      severity,
      owasp: [...new Set(r.anomalies.flatMap((a) => a.owasp))].sort(),
      explanation: `ServiceAccount ${r.namespace}/${r.name} did what its baseline does not explain: ${r.anomalies.length} anomal${
        r.anomalies.length === 1 ? 'y' : 'ies'
      } still need a decision (${detectors.join(', ')}). A stolen token or a compromised workload looks like this.`,
      evidence: {
        anomalies: r.anomalies
          .slice(0, 20)
          .map(({ id, detector, severity: s, summary }) => ({ id, detector, severity: s, summary })),
        count: r.anomalies.length,
        lastEventAt: r.anomalies[0]!.lastEventAt,
      },
      remediation: {
        text: `Review each anomaly on the Anomalies page: acknowledge and fix it (rotate the token, narrow the Role), or mark it a false positive so the baseline learns it.`,
        command: `npx nhi anomalies --identity ${r.namespace}/${r.name}`,
      },
      subjectKey: `identity:${r.identityKey}`,
      identity: r.identityKey,
    };
  });
  return inTransaction(
    pool,
    (db) => writeFindings(db, clusterId, findings, { ruleIds: [RUNTIME_RULE.id], policy: 'behaviour', now }),
    { lock: `${clusterId}:runtime-findings` },
  );
}

/** After a detection run: the runtime findings, then the scores of the ServiceAccounts with new anomalies. */
export async function afterDetection(
  pool: pg.Pool,
  clusterId: string,
  changed: readonly { namespace: string; name: string }[] | 'all',
  now: Date,
): Promise<void> {
  if (changed !== 'all' && !changed.length) return;
  await updateRuntimeFindings(pool, clusterId, now);
  if (changed === 'all') await updateRiskScores(pool, clusterId, now);
  else await updateRiskOfServiceAccounts(pool, clusterId, changed, now);
}

/** After a decision on an anomaly (acknowledged, false positive, resolved, reopened). */
export async function afterAnomalyDecision(
  pool: pg.Pool,
  anomaly: { clusterId: string; identityId: string | null },
  now = new Date(),
): Promise<void> {
  await updateRuntimeFindings(pool, anomaly.clusterId, now);
  await updateRiskScores(pool, anomaly.clusterId, now, { identityIds: anomaly.identityId ? [anomaly.identityId] : [] });
}
