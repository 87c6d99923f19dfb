/**
 * Explainable risk scores (issue 12): pure functions from the facts of an identity or a workload and the
 * weights (lib/risk/weights.ts) to a score from 0 to 100 and the factors that make it up. Each factor has a
 * name, its points and its evidence (what it counted, with links); the points add up to the score. When they
 * would pass 100, a last factor "Capped at 100" takes off the excess, so the sum still equals the score. The
 * same facts always give the same score and the same factors in the same order.
 */
import type { RiskWeights, TargetKind } from './weights';
import { TARGET_KINDS } from './weights';

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
const SEVERITY_ORDER: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** One thing a factor counted: a label, and the app page that shows it when there is one. */
export interface EvidenceItem {
  label: string;
  href?: string;
}
export interface Factor {
  name: string;
  points: number;
  evidence: EvidenceItem[];
}
export interface RiskScore {
  score: number;
  factors: Factor[];
}

export interface FindingFact {
  id: string;
  ruleId: string;
  severity: Severity;
  title: string;
}
export interface AnomalyFact {
  id: string;
  detector: string;
  severity: Severity;
  summary: string;
}

export interface IdentityFacts {
  /** `namespace/name` (or the name of a non-namespaced identity). */
  name: string;
  /** Steps to cluster-admin-equivalent power: 0 already is, null no known path. */
  escalationDistance: number | null;
  escalationSteps: string[];
  /** Other escalation targets reached (lib/rbac), shortest first per kind. */
  targets: { target: string; scope: string; distance: number }[];
  capabilities: { id: string; title: string; severity: Severity | 'low'; scope: string }[];
  /** Open findings that are not excepted. */
  findings: FindingFact[];
  /** Open or acknowledged anomalies. */
  anomalies: AnomalyFact[];
  workloads: { id: string; label: string }[];
  owned: boolean;
  /** The identity page, for evidence that lives there (reach, escalation path). */
  href: string;
}

export interface WorkloadFacts {
  identity: { name: string; score: number; href: string } | null;
  findings: FindingFact[];
  anomalies: AnomalyFact[];
}

/** Evidence items kept per factor (worst first); the factor's name counts them all. */
export const MAX_EVIDENCE = 20;

const bySeverityOf = <T extends { severity: Severity }>(xs: readonly T[]) =>
  [...xs].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));

/** Points per item by severity, capped; evidence lists every counted item, worst first. */
function severityFactor<T extends { severity: Severity }>(
  name: string,
  items: readonly T[],
  weights: Record<string, number> & { cap: number },
  evidence: (x: T) => EvidenceItem,
): Factor | null {
  if (!items.length) return null;
  const sorted = bySeverityOf(items);
  const raw = sorted.reduce((sum, x) => sum + (weights[x.severity] ?? 0), 0);
  const points = Math.min(weights.cap, raw);
  if (points <= 0) return null;
  const counts = SEVERITY_ORDER.map((s) => [s, sorted.filter((x) => x.severity === s).length] as const).filter(([, n]) => n);
  return {
    name: `${name} (${counts.map(([s, n]) => `${n} ${s}`).join(', ')}${raw > weights.cap ? `; capped at ${weights.cap}` : ''})`,
    points,
    evidence: [
      ...sorted.slice(0, MAX_EVIDENCE).map(evidence),
      ...(sorted.length > MAX_EVIDENCE
        ? [{ label: `… and ${sorted.length - MAX_EVIDENCE} more (the counts above are of all)` }]
        : []),
    ],
  };
}

/** Adds the cap factor when the factors pass 100, so that they always add up to the score. */
function total(factors: (Factor | null)[]): RiskScore {
  const kept = factors.filter((f): f is Factor => f !== null && f.points !== 0);
  const sum = kept.reduce((s, f) => s + f.points, 0);
  if (sum > 100) kept.push({ name: 'Capped at 100', points: 100 - sum, evidence: [{ label: `The factors add up to ${sum}.` }] });
  return { score: Math.min(100, sum), factors: kept };
}

const findingEvidence = (f: FindingFact): EvidenceItem => ({
  label: `${f.ruleId} ${f.title} (${f.severity})`,
  href: `/findings/${f.id}`,
});
const anomalyEvidence = (a: AnomalyFact): EvidenceItem => ({
  label: `${a.detector}: ${a.summary} (${a.severity})`,
  href: `/anomalies/${a.id}`,
});

export function scoreIdentity(f: IdentityFacts, weights: RiskWeights): RiskScore {
  const w = weights.spec.identity;
  const factors: (Factor | null)[] = [];
  const reach = `${f.href}#escalation`;
  let pathPoints = 0;
  if (f.escalationDistance === 0) {
    pathPoints = w.clusterAdmin;
    factors.push({
      name: 'Holds cluster-admin-equivalent power',
      points: pathPoints,
      evidence: [{ label: `${f.name} may do every verb on every resource in every namespace.`, href: reach }],
    });
  } else if (f.escalationDistance !== null) {
    pathPoints = w.escalationPath[Math.min(f.escalationDistance, w.escalationPath.length) - 1]!;
    factors.push({
      name: `Path to cluster-admin in ${f.escalationDistance} step${f.escalationDistance === 1 ? '' : 's'}`,
      points: pathPoints,
      evidence: f.escalationSteps.map((s, i) => ({ label: `${i + 1}. ${s}`, href: reach })),
    });
  }
  if (pathPoints && f.anomalies.length && w.anomalousSource > 0)
    factors.push({
      name: 'That power is in the hands of an identity behaving anomalously',
      points: Math.round(pathPoints * w.anomalousSource),
      evidence: bySeverityOf(f.anomalies).map(anomalyEvidence),
    });
  // Other targets: one count per kind (its shortest path), capped together.
  const kinds = TARGET_KINDS.map((k) => ({ kind: k, hits: f.targets.filter((t) => t.target === k) })).filter(
    (k) => k.hits.length,
  );
  if (kinds.length) {
    const raw = kinds.reduce((s, k) => s + w.targets[k.kind as TargetKind], 0);
    const points = Math.min(w.targets.cap, raw);
    if (points > 0)
      factors.push({
        name: `Can escalate to ${kinds.map((k) => TARGET_LABELS[k.kind]).join(', ')}${raw > w.targets.cap ? ` (capped at ${w.targets.cap})` : ''}`,
        points,
        evidence: kinds.flatMap((k) =>
          [...k.hits]
            .sort((a, b) => a.distance - b.distance || a.scope.localeCompare(b.scope))
            .slice(0, 5)
            .map((t) => ({
              label: `${TARGET_LABELS[k.kind]}${t.scope && t.scope !== '*' ? ` ${t.scope}` : ''} in ${t.distance} step${t.distance === 1 ? '' : 's'}`,
              href: reach,
            })),
        ),
      });
  }
  factors.push(
    severityFactor(
      'Sensitive capabilities',
      f.capabilities.map((c) => ({ ...c, severity: c.severity as Severity })),
      { ...w.capabilities, info: 0 },
      (c) => ({ label: `${c.title} (${c.severity}, ${c.scope})`, href: `${f.href}#reach` }),
    ),
  );
  factors.push(
    severityFactor(
      'Open findings',
      f.findings.filter((x) => !w.findingsExclude.includes(x.ruleId)),
      w.findings,
      findingEvidence,
    ),
  );
  factors.push(severityFactor('Runtime anomalies', f.anomalies, w.anomalies, anomalyEvidence));
  if (f.workloads.length && w.exposure.perWorkload > 0) {
    const raw = f.workloads.length * w.exposure.perWorkload;
    factors.push({
      name: `Token used by ${f.workloads.length} workload${f.workloads.length === 1 ? '' : 's'}${raw > w.exposure.cap ? ` (capped at ${w.exposure.cap})` : ''}`,
      points: Math.min(w.exposure.cap, raw),
      evidence: [...f.workloads]
        .sort((a, b) => a.label.localeCompare(b.label))
        .slice(0, MAX_EVIDENCE)
        .map((x) => ({ label: x.label, href: `/workloads/${x.id}` })),
    });
  }
  if (!f.owned && w.unowned > 0)
    factors.push({ name: 'No owner', points: w.unowned, evidence: [{ label: `No team owns ${f.name}.`, href: f.href }] });
  return total(factors);
}

export function scoreWorkload(f: WorkloadFacts, weights: RiskWeights): RiskScore {
  const w = weights.spec.workload;
  const factors: (Factor | null)[] = [];
  if (f.identity && f.identity.score > 0 && w.identityShare > 0)
    factors.push({
      name: `Runs as ${f.identity.name} (score ${f.identity.score} × ${w.identityShare})`,
      points: Math.round(f.identity.score * w.identityShare),
      evidence: [{ label: `ServiceAccount ${f.identity.name}: risk ${f.identity.score}`, href: f.identity.href }],
    });
  factors.push(severityFactor('Open findings', f.findings, w.findings, findingEvidence));
  factors.push(severityFactor('Runtime anomalies', f.anomalies, w.anomalies, anomalyEvidence));
  return total(factors);
}

export const TARGET_LABELS: Record<TargetKind, string> = {
  node: 'the node',
  'token-mint': 'tokens of more powerful identities',
  'namespace-admin': 'full control of namespace',
  'other-namespace-secrets': "other namespaces' Secrets",
};
