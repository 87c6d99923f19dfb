import type { ReactNode } from 'react';
import Link from 'next/link';
import { SeverityPill } from '@/components/severity';
import type { AnomalyItem, AnomalySort } from '@/lib/data/anomalies';
import { utcTime } from '@/lib/format';

const STATUS_TEXT: Record<AnomalyItem['status'], string> = {
  open: 'open',
  acknowledged: 'acknowledged',
  false_positive: 'false positive',
  resolved: 'resolved',
  suppressed: 'suppressed',
};

export const statusText = (s: AnomalyItem['status']) => STATUS_TEXT[s];

/** Anomalies as a table: severity, identity, what, OWASP item, evidence count, last seen, status (Anomalies, identity and workload pages). */
export function AnomalyTable({
  items,
  showIdentity = true,
  sortHeader,
}: {
  items: AnomalyItem[];
  showIdentity?: boolean;
  /** The header of a sortable column (the Anomalies page's; lib/data/anomalies.ts ANOMALY_SORTS), else a plain one. */
  sortHeader?: (column: AnomalySort, label: string) => ReactNode;
}) {
  if (!items.length) return <p className="muted">None.</p>;
  const th = (column: AnomalySort, label: string) => sortHeader?.(column, label) ?? <th>{label}</th>;
  return (
    <table className="data" data-testid="anomalies">
      <thead>
        <tr>
          {th('severity', 'Severity')}
          {showIdentity && <th>Identity</th>}
          {th('detector', 'Anomaly')}
          <th>OWASP</th>
          {th('events', 'Events')}
          {th('lastSeen', 'Last seen')}
          {th('status', 'Status')}
        </tr>
      </thead>
      <tbody>
        {items.map((a) => (
          <tr key={a.id} data-detector={a.detector}>
            <td>
              <SeverityPill severity={a.severity} />
            </td>
            {showIdentity && (
              <td>
                {a.identityId ? <Link href={`/identities/${a.identityId}`}>{a.identity}</Link> : a.identity}
                {a.workload && (
                  <div className="muted">
                    <Link href={`/workloads/${a.workload.id}`}>
                      {a.workload.kind} {a.workload.name}
                    </Link>
                  </div>
                )}
              </td>
            )}
            <td>
              <Link href={`/anomalies/${a.id}`}>{a.title}</Link>
              <div className="muted">{a.summary}</div>
            </td>
            <td>{a.owasp.join(', ')}</td>
            <td>{a.eventCount >= 50 ? `${a.eventCount}+` : a.eventCount}</td>
            <td className="nowrap">{utcTime(a.lastEventAt, 'second')}</td>
            <td>
              {statusText(a.status)}
              {a.statusBy && <div className="muted">by {a.statusBy}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
