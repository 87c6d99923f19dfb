'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { postJson } from './post-json';

const EXPIRIES = [
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['180d', '180 days'],
  ['365d', '1 year'],
] as const;

/**
 * Accept a finding as a known risk: the justification, who asked for it and until when. The approver is the
 * signed-in security lead or admin (the server takes it from the session), who must not be the requester.
 */
export function ExceptionForm({ findingId }: { findingId: string }) {
  const router = useRouter();
  const [requestedBy, setRequestedBy] = useState('');
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('30d');
  const create = useMutation({
    mutationFn: () => postJson('/api/exceptions', { findingId, reason, requestedBy, expires }),
    onSuccess: () => {
      setReason('');
      router.refresh();
    },
  });
  return (
    <form
      className="stacked"
      data-testid="exception-form"
      aria-label="Accept this finding"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <label>
        Justification
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} required minLength={10} maxLength={2000} rows={3} />
      </label>
      <div className="filters">
        <input
          value={requestedBy}
          onChange={(e) => setRequestedBy(e.target.value)}
          placeholder="Requested by"
          aria-label="Requested by"
          required
        />
        <select value={expires} onChange={(e) => setExpires(e.target.value)} aria-label="Expires after">
          {EXPIRIES.map(([v, l]) => (
            <option key={v} value={v}>
              expires after {l}
            </option>
          ))}
        </select>
        <button type="submit" disabled={create.isPending || !requestedBy.trim() || reason.trim().length < 10}>
          Accept the risk
        </button>
      </div>
      {create.error && (
        <p className="error" role="alert">
          {create.error.message}
        </p>
      )}
    </form>
  );
}

/** Revoke an exception in force: its finding is open again. */
export function RevokeException({ id }: { id: string }) {
  const router = useRouter();
  const revoke = useMutation({
    mutationFn: () => postJson(`/api/exceptions/${id}/revoke`, {}),
    onSuccess: () => router.refresh(),
  });
  return (
    <span className="filters">
      <button type="button" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
        Revoke
      </button>
      {revoke.error && (
        <span className="error" role="alert">
          {revoke.error.message}
        </span>
      )}
    </span>
  );
}
