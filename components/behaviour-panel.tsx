import Link from 'next/link';
import { AnomalyTable } from '@/components/anomaly-list';
import { WORKLOAD_CLASS_TITLES, type WorkloadClass } from '@/lib/behaviour/workload-class';
import type { AnomalyPage, BaselineView } from '@/lib/data/anomalies';
import { utcTime } from '@/lib/format';

/** An identity's baseline (what it learned, or until when it learns) and its anomalies (identity and workload pages). */
export function BehaviourPanel({
  baseline,
  anomalies,
  moreHref,
}: {
  baseline: BaselineView | null;
  anomalies: AnomalyPage;
  moreHref: string;
}) {
  return (
    <div data-testid="behaviour">
      {baseline ? (
        <p className="muted" data-testid="baseline">
          Judged as a <strong>{WORKLOAD_CLASS_TITLES[baseline.class as WorkloadClass] ?? baseline.class}</strong> (
          {baseline.classReason}).{' '}
          {baseline.learnedAt
            ? `Baseline learned from ${baseline.events} calls between ${utcTime(baseline.firstEventAt)} and ${utcTime(baseline.learnUntil)}: ${baseline.actions.length} actions, ${baseline.namespaces.length} namespaces, ${baseline.sources.length} addresses, clients ${baseline.userAgents.join(', ') || 'none'}, at most ${baseline.maxPerHour} calls an hour${baseline.accepted ? `; ${baseline.accepted} false positives fed back` : ''}.`
            : `Learning its baseline until ${utcTime(baseline.learnUntil)} (event time); until then only the signature detectors judge it.`}
        </p>
      ) : (
        <p className="muted">No runtime event of it has been judged yet.</p>
      )}
      <AnomalyTable items={anomalies.items} showIdentity={false} />
      {anomalies.total > anomalies.items.length && (
        <p>
          <Link href={moreHref}>All {anomalies.total} anomalies →</Link>
        </p>
      )}
    </div>
  );
}
