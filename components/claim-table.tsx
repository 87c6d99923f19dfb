import Link from 'next/link';
import type { ClaimView } from '@/lib/ownership/claims';
import { utcTime } from '@/lib/format';
import { ClaimActions } from './claim-forms';

const subjectHref = (c: ClaimView) =>
  c.subject.type === 'identity' ? `/identities/${c.subject.id}` : `/workloads/${c.subject.id}`;

/**
 * Claims with their subject, team, claimant, note and decision. Pending ones carry what the viewer may do:
 * approve or reject (deciders, not on their own claims), withdraw (the claimant).
 */
export function ClaimTable({
  claims,
  caption,
  viewerId,
  canDecide,
  linkSubjects,
  showSubject = true,
  testId = 'claims-table',
}: {
  claims: ClaimView[];
  caption: string;
  viewerId: string;
  canDecide: boolean;
  /** Link subjects to their pages (not for service owners: another team's or nobody's pages are not theirs). */
  linkSubjects: boolean;
  showSubject?: boolean;
  testId?: string;
}) {
  return (
    <div className="scroll-x">
      <table className="data" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {showSubject && <th scope="col">Subject</th>}
            <th scope="col">Team</th>
            <th scope="col">Claimed by</th>
            <th scope="col">Note</th>
            <th scope="col">State</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {claims.map((c) => (
            <tr key={c.id} data-claim-id={c.id} data-status={c.status}>
              {showSubject && (
                <td>
                  <span className="pill pill-muted">{c.subject.kind}</span>{' '}
                  {linkSubjects ? <Link href={subjectHref(c)}>{c.subject.label}</Link> : c.subject.label}{' '}
                  <span className="muted small">{c.subject.cluster}</span>
                  {c.subject.deleted && <span className="pill pill-down">deleted</span>}
                </td>
              )}
              <td>{c.team}</td>
              <td>
                {c.claimant.email} <div className="muted small">{utcTime(c.createdAt)}</div>
              </td>
              <td>{c.note ?? <span className="muted">—</span>}</td>
              <td>{c.status}</td>
              <td>
                {c.status === 'pending' ? (
                  <ClaimActions
                    id={c.id}
                    subject={c.subject.label}
                    canDecide={canDecide && c.claimant.id !== viewerId}
                    canWithdraw={c.claimant.id === viewerId}
                  />
                ) : (
                  <>
                    {c.status === 'withdrawn' ? 'withdrawn' : `${c.status} by ${c.decidedBy?.email ?? '—'}`}
                    {c.decidedAt && <div className="muted small">{utcTime(c.decidedAt)}</div>}
                    {c.decisionNote && <div className="small">{c.decisionNote}</div>}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
