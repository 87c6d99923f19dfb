'use client';

import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { postJson } from '@/components/post-json';
import { WORKLOAD_CLASS_TITLES, WORKLOAD_CLASSES } from '@/lib/behaviour/workload-class';

/** The owner's choice of a workload's class: its baseline is then tuned by that class's profile. */
export function ClassOverride({ id, current }: { id: string; current: string | null }) {
  const router = useRouter();
  const [choice, setChoice] = useState(current ?? 'auto');
  const [reason, setReason] = useState('');
  const save = useMutation({
    mutationFn: () => postJson(`/api/workloads/${id}/class`, { class: choice, reason: reason || undefined }),
    onSuccess: () => router.refresh(),
  });
  return (
    <form
      className="filters"
      aria-label="Set the class"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label="Class">
        <option value="auto">Decided from its facts</option>
        {WORKLOAD_CLASSES.map((c) => (
          <option key={c} value={c}>
            {WORKLOAD_CLASS_TITLES[c]}
          </option>
        ))}
      </select>
      <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why" aria-label="Why this class" />
      <button type="submit" disabled={save.isPending}>
        Set class
      </button>
      {save.error && (
        <span className="error" role="alert">
          {save.error.message}
        </span>
      )}
    </form>
  );
}
