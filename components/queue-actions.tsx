'use client';

import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState } from 'react';
import { postJson } from './post-json';

export interface AssignTeam {
  name: string;
  members: { email: string; name: string }[];
}

/** `team:<name>` (the team) or `user:<team>\n<email>` (a member of it): one select's values. */
const teamValue = (team: string) => `team:${team}`;
const userValue = (team: string, email: string) => `user:${team}\n${email}`;

/**
 * Assign a finding to a member of one of its teams, or to the team (the teams the viewer may assign within).
 * The server checks again that the member belongs to a team that owns the finding.
 */
export function AssignForm({ findingId, teams, label }: { findingId: string; teams: AssignTeam[]; label: string }) {
  const router = useRouter();
  const id = useId();
  const [to, setTo] = useState(teams[0] ? teamValue(teams[0].name) : '');
  const assign = useMutation({
    mutationFn: () => {
      const body = to.startsWith('team:')
        ? { team: to.slice(5) }
        : { team: to.slice(5, to.indexOf('\n')), user: to.slice(to.indexOf('\n') + 1) };
      return postJson(`/api/findings/${findingId}/assign`, body);
    },
    onSuccess: () => router.refresh(),
  });
  if (!teams.length) return null;
  return (
    <form
      className="filters"
      aria-label={`Assign ${label}`}
      data-testid="assign-form"
      onSubmit={(e) => {
        e.preventDefault();
        assign.mutate();
      }}
    >
      <label htmlFor={`${id}-to`} className="sr-only">
        Assign to
      </label>
      <select id={`${id}-to`} value={to} onChange={(e) => setTo(e.target.value)} data-testid="assign-to">
        {teams.map((t) => (
          <optgroup key={t.name} label={t.name}>
            <option value={teamValue(t.name)}>the team {t.name}</option>
            {t.members.map((m) => (
              <option key={m.email} value={userValue(t.name, m.email)}>
                {m.name} ({m.email})
              </option>
            ))}
          </optgroup>
        ))}
      </select>
      <button type="submit" disabled={assign.isPending || !to}>
        Assign
      </button>
      {assign.error && (
        <span className="error" role="alert">
          {assign.error.message}
        </span>
      )}
    </form>
  );
}

/** Mark a finding fixed (with an optional note): the next collection verifies it. */
export function MarkFixedForm({ findingId, label }: { findingId: string; label: string }) {
  const router = useRouter();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const mark = useMutation({
    mutationFn: () => postJson(`/api/findings/${findingId}/mark-fixed`, { note: note.trim() || undefined }),
    onSuccess: () => {
      setOpen(false);
      setNote('');
      router.refresh();
    },
  });
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)} aria-label={`Mark ${label} fixed`} data-testid="mark-fixed-open">
        Mark fixed…
      </button>
    );
  return (
    <form
      className="filters"
      aria-label={`Mark ${label} fixed`}
      data-testid="mark-fixed-form"
      onSubmit={(e) => {
        e.preventDefault();
        mark.mutate();
      }}
    >
      <label htmlFor={`${id}-note`} className="sr-only">
        What was changed
      </label>
      <input
        id={`${id}-note`}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder="What was changed (optional)"
        maxLength={2000}
        data-testid="mark-fixed-note"
      />
      <button type="submit" disabled={mark.isPending}>
        Mark fixed
      </button>
      <button type="button" className="link-button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {mark.error && (
        <span className="error" role="alert">
          {mark.error.message}
        </span>
      )}
    </form>
  );
}

/** The actions of a queue row: assign, mark fixed (open findings not awaiting verification), request acceptance. */
export function QueueActions({
  findingId,
  label,
  state,
  teams,
}: {
  findingId: string;
  label: string;
  state: string | null;
  teams: AssignTeam[];
}) {
  const open = state !== null && state !== 'verified' && state !== 'accepted';
  return (
    <div data-testid="queue-actions">
      {state !== 'verified' && state !== null && <AssignForm findingId={findingId} teams={teams} label={label} />}
      {open && state !== 'awaiting_verification' && <MarkFixedForm findingId={findingId} label={label} />}
      {open && (
        <Link href={`/findings/${findingId}#exceptions`} aria-label={`Request acceptance of ${label}`}>
          Request acceptance…
        </Link>
      )}
    </div>
  );
}
