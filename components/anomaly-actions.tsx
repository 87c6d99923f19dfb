'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, useSyncExternalStore } from 'react';
import type { AnomalyStatus } from '@/lib/data/anomalies';

const ACTIONS: { status: Exclude<AnomalyStatus, 'suppressed'>; label: string }[] = [
  { status: 'acknowledged', label: 'Acknowledge' },
  { status: 'false_positive', label: 'False positive' },
  { status: 'resolved', label: 'Resolve' },
  { status: 'open', label: 'Reopen' },
];

/** POSTs JSON to one of the app's own routes; the error message of a refusal becomes the thrown Error's. */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(data.error ?? `the server answered ${res.status}`);
  return data as T;
}

/** Who is acting: remembered in the browser for the next decision (until sign-in names the person). */
export function useActor(): [string, (v: string) => void] {
  const stored = useSyncExternalStore(
    () => () => {},
    () => window.localStorage.getItem('nhi-actor') ?? '',
    () => '',
  );
  const [typed, setBy] = useState<string | null>(null);
  const by = typed ?? stored;
  return [
    by,
    (v: string) => {
      setBy(v);
      window.localStorage.setItem('nhi-actor', v);
    },
  ];
}

/** The status buttons of an anomaly, with who decides and why. */
export function AnomalyActions({ id, status }: { id: string; status: AnomalyStatus }) {
  const router = useRouter();
  const [by, setBy] = useActor();
  const [note, setNote] = useState('');
  const change = useMutation({
    mutationFn: (next: string) => postJson(`/api/anomalies/${id}/status`, { status: next, by, note: note || undefined }),
    onSuccess: () => {
      setNote('');
      router.refresh();
    },
  });
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Decide">
      <input value={by} onChange={(e) => setBy(e.target.value)} placeholder="Your name" aria-label="Your name" required />
      <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="Note (why)" aria-label="Note" />
      {ACTIONS.filter((a) => a.status !== status && !(a.status === 'open' && status === 'open')).map((a) => (
        <button key={a.status} type="button" disabled={!by.trim() || change.isPending} onClick={() => change.mutate(a.status)}>
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
