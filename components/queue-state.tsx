import Link from 'next/link';
import type { QueueEntry } from '@/lib/findings/queue';
import { QUEUE_STATE_LABELS } from '@/lib/findings/queue';
import { runWords } from '@/lib/findings/verify';
import { utcTime } from '@/lib/format';

const day = (iso: string) => iso.slice(0, 10);

/** Who a finding is assigned to, as text. */
export function assigneeText(item: Pick<QueueEntry, 'assignee'>): string {
  const a = item.assignee;
  if (!a) return 'nobody';
  return a.user ? `${a.user.name} (${a.user.email})${a.team ? `, team ${a.team.name}` : ''}` : `the team ${a.team?.name ?? '?'}`;
}

/** A finding's queue state in words (never by colour alone): the state, then its facts. */
export function QueueStateText({ item }: { item: QueueEntry }) {
  const v = item.verification;
  return (
    <span data-testid="queue-state">
      <strong>{item.state ? QUEUE_STATE_LABELS[item.state] : 'Not in a queue'}</strong>
      {item.state === 'accepted' && item.acceptedUntil && <> until {day(item.acceptedUntil)}</>}
      {item.assignee && item.state !== 'verified' && (
        <span className="small">
          <br />
          Assigned to {assigneeText(item)}
          {item.assignee.at ? ` on ${day(item.assignee.at)}` : ''}
        </span>
      )}
      {item.fix &&
        (item.state === 'awaiting_verification' || item.state === 'verification_failed' || item.state === 'verified') && (
          <span className="small">
            <br />
            Marked fixed by {item.fix.claimedBy ?? 'someone'} {utcTime(item.fix.claimedAt)}
            {item.fix.note ? `: “${item.fix.note}”` : ''}
          </span>
        )}
      {item.state === 'awaiting_verification' && (
        <span className="small muted">
          <br />
          The next collection verifies it.
        </span>
      )}
      {v?.state === 'verified' && item.state === 'verified' && (
        <span className="small">
          <br />
          No longer raised by the {v.run ? `${runWords(v.run.mode)} started ${utcTime(v.run.startedAt)}` : 'evaluation'}
          {v.at ? ` (verified ${utcTime(v.at)})` : ''}
        </span>
      )}
      {v?.state === 'failed' && item.state === 'verification_failed' && (
        <span className="small" role="note">
          <br />
          {v.note ?? 'Verification failed: still raised.'}
        </span>
      )}
      {item.state === 'accepted' && (
        <span className="small">
          <br />
          <Link href={`/findings/${item.id}#exceptions`}>the exception</Link>
        </span>
      )}
    </span>
  );
}
