'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useState } from 'react';
import { postJson } from './post-json';

type Subject = { workloadId: string } | { identityId: string };

/**
 * Claim a workload or an identity for a team: a "Claim…" button that opens the team choice (the viewer's teams
 * for a service owner, any team for a security lead or admin) and a note for whoever decides. The claim waits
 * for a security lead's or admin's approval.
 */
export function ClaimForm({ subject, teams, label }: { subject: Subject; teams: string[]; label: string }) {
  const router = useRouter();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [team, setTeam] = useState(teams[0] ?? '');
  const [note, setNote] = useState('');
  const claim = useMutation({
    mutationFn: () => postJson('/api/claims', { ...subject, team, note: note.trim() || undefined }),
    onSuccess: () => {
      setOpen(false);
      setNote('');
      router.refresh();
    },
  });
  if (!teams.length) return null;
  if (!open)
    return (
      <span>
        <button type="button" onClick={() => setOpen(true)} aria-label={`Claim ${label}`} data-testid="claim-open">
          Claim…
        </button>
        {claim.isSuccess && (
          <span className="muted" role="status">
            {' '}
            Claimed: waiting for a security lead.
          </span>
        )}
      </span>
    );
  return (
    <form
      className="filters"
      aria-label={`Claim ${label}`}
      data-testid="claim-form"
      onSubmit={(e) => {
        e.preventDefault();
        claim.mutate();
      }}
    >
      <label htmlFor={`${id}-team`} className="sr-only">
        Team
      </label>
      <select id={`${id}-team`} value={team} onChange={(e) => setTeam(e.target.value)} data-testid="claim-team">
        {teams.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-note`} className="sr-only">
        Why this team owns it
      </label>
      <input
        id={`${id}-note`}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder="Why this team owns it (optional)"
        maxLength={2000}
        data-testid="claim-note"
      />
      <button type="submit" disabled={claim.isPending || !team}>
        Claim for {team || '…'}
      </button>
      <button type="button" className="link-button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {claim.error && (
        <span className="error" role="alert">
          {claim.error.message}
        </span>
      )}
    </form>
  );
}

/**
 * What the viewer may do with a pending claim: approve or reject it with a note (security leads and admins, not
 * on their own claims), or withdraw it (the claimant).
 */
export function ClaimActions({
  id,
  subject,
  canDecide,
  canWithdraw,
}: {
  id: string;
  subject: string;
  canDecide: boolean;
  canWithdraw: boolean;
}) {
  const router = useRouter();
  const noteId = useId();
  const [note, setNote] = useState('');
  const act = useMutation({
    mutationFn: (action: 'approve' | 'reject' | 'withdraw') =>
      action === 'withdraw'
        ? postJson(`/api/claims/${id}/withdraw`, {})
        : postJson(`/api/claims/${id}/decide`, { decision: action, note: note.trim() || undefined }),
    onSuccess: () => router.refresh(),
  });
  if (!canDecide && !canWithdraw) return <span className="muted">waiting for a security lead</span>;
  return (
    <span className="filters" data-testid="claim-actions">
      {canDecide && (
        <>
          <label htmlFor={noteId} className="sr-only">
            Note on the decision
          </label>
          <input
            id={noteId}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="Note (optional)"
            maxLength={2000}
            data-testid="decision-note"
          />
          <button
            type="button"
            disabled={act.isPending}
            onClick={() => act.mutate('approve')}
            aria-label={`Approve the claim on ${subject}`}
          >
            Approve
          </button>
          <button
            type="button"
            disabled={act.isPending}
            onClick={() => act.mutate('reject')}
            aria-label={`Reject the claim on ${subject}`}
          >
            Reject
          </button>
        </>
      )}
      {canWithdraw && (
        <button
          type="button"
          disabled={act.isPending}
          onClick={() => act.mutate('withdraw')}
          aria-label={`Withdraw the claim on ${subject}`}
        >
          Withdraw
        </button>
      )}
      {act.error && (
        <span className="error" role="alert">
          {act.error.message}
        </span>
      )}
    </span>
  );
}
