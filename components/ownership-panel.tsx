import type { SubjectOwnership } from '@/lib/ownership/claims';
import { utcTime } from '@/lib/format';
import { ClaimActions, ClaimForm } from './claim-forms';

/**
 * The Ownership block of an identity's or workload's page: its owners (claimed, or inferred from which label),
 * the claims waiting for a decision (with approve / reject / withdraw where the viewer may), and a Claim form.
 */
export function OwnershipPanel({ ownership, label }: { ownership: SubjectOwnership; label: string }) {
  const { owners, pending, claimTeams, canDecide, viewerId, subject } = ownership;
  return (
    <section aria-labelledby="ownership" className="panel" data-testid="ownership-panel">
      <h2 id="ownership">Ownership</h2>
      {owners.length ? (
        <ul data-testid="owners">
          {owners.map((o, n) => (
            <li key={`${o.team}-${o.origin}-${n}`}>
              <strong>{o.team}</strong>{' '}
              <span className={`pill ${o.origin === 'claimed' ? 'pill-ok' : 'pill-muted'}`}>{o.origin}</span>{' '}
              <span className="muted small">
                {o.origin === 'claimed' ? `approved ${utcTime(o.since)}` : o.source ? `from ${o.source}` : ''}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p data-testid="owners">
          <strong>No team owns it.</strong> <span className="muted">Claim it for a team, or label it with its team.</span>
        </p>
      )}
      {pending.length > 0 && (
        <>
          <h3>Waiting for a decision</h3>
          <ul data-testid="pending-claims">
            {pending.map((c) => (
              <li key={c.id} data-claim-id={c.id}>
                {c.team}{' '}
                <span className="muted small">
                  claimed by {c.claimant.email} {utcTime(c.createdAt)}
                </span>
                {c.note && <span className="small"> — {c.note}</span>}{' '}
                <ClaimActions
                  id={c.id}
                  subject={label}
                  canDecide={canDecide && c.claimant.id !== viewerId}
                  canWithdraw={c.claimant.id === viewerId}
                />
              </li>
            ))}
          </ul>
        </>
      )}
      {claimTeams.length > 0 && (
        <ClaimForm
          subject={subject.type === 'identity' ? { identityId: subject.id } : { workloadId: subject.id }}
          teams={claimTeams}
          label={label}
        />
      )}
    </section>
  );
}
