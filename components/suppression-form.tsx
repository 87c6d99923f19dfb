'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { postJson } from '@/components/post-json';
import { DETECTOR_IDS, DETECTORS } from '@/lib/behaviour/catalogue';

/** A new suppression rule: what it matches, why, who decides and for how long. */
export function SuppressionForm() {
  const router = useRouter();
  const [rule, setRule] = useState({ detector: '', namespace: '', name: '', reason: '', days: '30' });
  const set = (k: keyof typeof rule) => (e: { target: { value: string } }) => setRule({ ...rule, [k]: e.target.value });
  const create = useMutation({
    mutationFn: () =>
      postJson<{ anomalies: number }>('/api/anomalies/suppressions', {
        reason: rule.reason,
        days: Number(rule.days),
        detector: rule.detector || undefined,
        namespace: rule.namespace || undefined,
        name: rule.name || undefined,
      }),
    onSuccess: () => {
      setRule({ ...rule, reason: '' });
      router.refresh();
    },
  });
  return (
    <form
      className="filters"
      aria-label="New suppression rule"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <select value={rule.detector} onChange={set('detector')} aria-label="Suppress detector">
        <option value="">Any detector</option>
        {DETECTOR_IDS.map((d) => (
          <option key={d} value={d}>
            {DETECTORS[d].title}
          </option>
        ))}
      </select>
      <input value={rule.namespace} onChange={set('namespace')} placeholder="Namespace" aria-label="Suppress namespace" />
      <input value={rule.name} onChange={set('name')} placeholder="ServiceAccount (* wildcard)" aria-label="Suppress name" />
      <input value={rule.reason} onChange={set('reason')} placeholder="Why" aria-label="Reason" required />
      <label className="check">
        for <input value={rule.days} onChange={set('days')} type="number" min={1} max={365} aria-label="Days" /> days
      </label>
      <button type="submit" disabled={create.isPending}>
        Suppress
      </button>
      {create.data && <span data-testid="suppressed-now">{create.data.anomalies} anomalies suppressed</span>}
      {create.error && (
        <span className="error" role="alert">
          {create.error.message}
        </span>
      )}
    </form>
  );
}

/** Revokes a rule now. */
export function RevokeSuppression({ id }: { id: string }) {
  const router = useRouter();
  const revoke = useMutation({
    mutationFn: () => postJson(`/api/anomalies/suppressions/${id}/revoke`, {}),
    onSuccess: () => router.refresh(),
  });
  return (
    <>
      <button type="button" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
        Revoke
      </button>
      {revoke.error && <span className="error">{revoke.error.message}</span>}
    </>
  );
}
