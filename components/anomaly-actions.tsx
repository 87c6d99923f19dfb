'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { postJson } from './post-json';
import type { AnomalyStatus } from '@/lib/data/anomalies';

const ACTIONS: { status: Exclude<AnomalyStatus, 'suppressed'>; label: string }[] = [
  { status: 'acknowledged', label: 'Acknowledge' },
  { status: 'false_positive', label: 'False positive' },
  { status: 'resolved', label: 'Resolve' },
  { status: 'open', label: 'Reopen' },
];

/** The status buttons of an anomaly, with who decides and why. */
export function AnomalyActions({ id, status }: { id: string; status: AnomalyStatus }) {
  const router = useRouter();
  const [note, setNote] = useState('');
  const change = useMutation({
    mutationFn: (next: string) => postJson(`/api/anomalies/${id}/status`, { status: next, note: note || undefined }),
    onSuccess: () => {
      setNote('');
      router.refresh();
    },
  });
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Decide">
      <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="Note (why)" aria-label="Note" />
      {ACTIONS.filter((a) => a.status !== status && !(a.status === 'open' && status === 'open')).map((a) => (
        <button key={a.status} type="button" disabled={change.isPending} onClick={() => change.mutate(a.status)}>
          {a.label}
        </button>
      ))}
      {change.error && (
        <span className="error" role="alert">
          {change.error.message}
        </span>
      )}
    </form>
  );
}
