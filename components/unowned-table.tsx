import Link from 'next/link';
import type { UnownedItem } from '@/lib/ownership/unowned';
import { ClaimForm } from './claim-forms';
import { RiskScorePill } from './risk-panel';

/** The unowned queue: risk, subject, suggested owners with their reasons, pending claims, and a Claim button. */
export function UnownedTable({
  rows,
  teams,
  linkSubjects,
}: {
  rows: UnownedItem[];
  /** Teams the viewer may claim for (none: no Claim button). */
  teams: string[];
  linkSubjects: boolean;
}) {
  return (
    <div className="scroll-x">
      <table className="data" data-testid="unowned-table">
        <caption className="sr-only">Identities and workloads no team owns, riskiest first</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Risk
            </th>
            <th scope="col">Subject</th>
            <th scope="col">Suggested owners</th>
            <th scope="col">Pending claims</th>
            {teams.length > 0 && <th scope="col">Claim</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const label = `${r.namespace}/${r.name}`;
            return (
              <tr key={r.id} data-subject-id={r.id} data-subject-name={r.name}>
                <td className="num">{r.risk === null ? <span className="muted">—</span> : <RiskScorePill score={r.risk} />}</td>
                <td>
                  <span className="pill pill-muted">{r.kind}</span> {linkSubjects ? <Link href={r.href}>{label}</Link> : label}{' '}
                  <span className="muted small">{r.cluster}</span>
                </td>
                <td>
                  {r.suggestions.length ? (
                    <ul className="suggestions" style={{ margin: 0, paddingLeft: '1.1em' }}>
                      {r.suggestions.map((s) => (
                        <li key={s.team}>
                          <strong>{s.team}</strong> <span className="muted small">{s.why.join('; ')}</span>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <td>
                  {r.pendingClaims.length ? (
                    r.pendingClaims.map((c) => (
                      <div key={c.id}>
                        {c.team} <span className="muted small">by {c.claimant}</span>
                      </div>
                    ))
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                {teams.length > 0 && (
                  <td>
                    <ClaimForm
                      subject={r.type === 'identity' ? { identityId: r.id } : { workloadId: r.id }}
                      teams={teams.filter((t) => !r.pendingClaims.some((c) => c.team === t))}
                      label={`${r.kind} ${label}`}
                    />
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
