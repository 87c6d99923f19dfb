import Link from 'next/link';
import { SeverityPill } from '@/components/severity';
import type { ExceptionView } from '@/lib/findings/exceptions';
import { utcTime } from '@/lib/format';
import { RevokeException } from './exception-form';

/** Exceptions with who asked, who approved, until when and their state; active ones can be revoked. */
export function ExceptionTable({ exceptions, showFinding = true }: { exceptions: ExceptionView[]; showFinding?: boolean }) {
  return (
    <table className="data" data-testid="exceptions-table">
      <thead>
        <tr>
          <th scope="col">State</th>
          {showFinding && <th scope="col">Finding</th>}
          <th scope="col">Justification</th>
          <th scope="col">Asked by</th>
          <th scope="col">Approved by</th>
          <th scope="col">Expires</th>
          <th scope="col">Revoked</th>
        </tr>
      </thead>
      <tbody>
        {exceptions.map((e) => (
          <tr key={e.id} data-state={e.state}>
            <td>{e.state}</td>
            {showFinding && (
              <td>
                <SeverityPill severity={e.finding.severity} /> <Link href={`/findings/${e.finding.id}`}>{e.finding.title}</Link>{' '}
                <span className="muted">
                  {e.finding.ruleId} · {e.finding.subject} · {e.finding.cluster}
                </span>
              </td>
            )}
            <td>{e.reason}</td>
            <td>{e.requestedBy}</td>
            <td>
              {e.approvedBy} <span className="muted">{utcTime(e.approvedAt)}</span>
            </td>
            <td>{utcTime(e.expiresAt)}</td>
            <td>
              {e.revokedAt ? (
                `${e.revokedBy ?? ''} ${utcTime(e.revokedAt)}`
              ) : e.state === 'active' ? (
                <RevokeException id={e.id} />
              ) : (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
