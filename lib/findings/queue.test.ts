/** The findings queue's states and transitions (pure): lib/findings/queue.ts, lib/findings/verify.ts. */
import { describe, expect, it } from 'vitest';
import { isAppError } from '@/lib/errors';
import {
  checkAssign,
  checkMarkFixed,
  fixClaim,
  QUEUE_STATE_LABELS,
  QUEUE_STATES,
  queueStateOf,
  VERIFIED_RECENT_DAYS,
  verificationOf,
  type QueueFacts,
} from './queue';

const now = new Date('2026-11-30T12:00:00Z');
const open: QueueFacts = { status: 'open', assigneeUserId: null, assigneeTeamId: null, verification: null, verifiedAt: null };
const code = (f: () => void) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isAppError(e) ? `${e.status} ${e.message}` : String(e);
  }
};

describe('queueStateOf', () => {
  it('an open finding nobody has is unassigned; with a member or a team it is assigned', () => {
    expect(queueStateOf(open, now)).toBe('unassigned');
    expect(queueStateOf({ ...open, assigneeUserId: 'u' }, now)).toBe('assigned');
    expect(queueStateOf({ ...open, assigneeTeamId: 't' }, now)).toBe('assigned');
  });

  it('a claimed fix awaits verification; a failed one is shown as such, open', () => {
    expect(queueStateOf({ ...open, assigneeUserId: 'u', verification: 'pending' }, now)).toBe('awaiting_verification');
    expect(queueStateOf({ ...open, assigneeUserId: 'u', verification: 'failed', verifiedAt: now }, now)).toBe(
      'verification_failed',
    );
  });

  it('an accepted finding (exception in force) is accepted, whatever else it has', () => {
    expect(queueStateOf({ ...open, status: 'excepted', assigneeUserId: 'u', verification: 'failed' }, now)).toBe('accepted');
  });

  it('a verified fix stays in the queue for VERIFIED_RECENT_DAYS; a resolved finding without a claim is not in it', () => {
    const verified = { ...open, status: 'resolved', verification: 'verified' as const };
    expect(queueStateOf({ ...verified, verifiedAt: new Date(now.getTime() - 86_400_000) }, now)).toBe('verified');
    expect(
      queueStateOf({ ...verified, verifiedAt: new Date(now.getTime() - (VERIFIED_RECENT_DAYS + 1) * 86_400_000) }, now),
    ).toBeNull();
    expect(queueStateOf({ ...open, status: 'resolved' }, now)).toBeNull();
  });

  it('a verified finding that comes back (reopened by the collector) is in the queue again as assigned or unassigned', () => {
    expect(queueStateOf({ ...open, verification: 'verified', verifiedAt: now }, now)).toBe('unassigned');
    expect(queueStateOf({ ...open, assigneeTeamId: 't', verification: 'verified', verifiedAt: now }, now)).toBe('assigned');
  });

  it('every state has a label, in the order the page shows them', () => {
    expect(Object.keys(QUEUE_STATE_LABELS)).toEqual([...QUEUE_STATES]);
    expect(QUEUE_STATE_LABELS.awaiting_verification).toMatch(/awaiting verification/);
  });
});

describe('transitions', () => {
  it('assigning: open, failed and accepted findings may be (re)assigned; a resolved one may not (409)', () => {
    expect(code(() => checkAssign({ status: 'open' }))).toBe('ok');
    expect(code(() => checkAssign({ status: 'excepted' }))).toBe('ok');
    expect(code(() => checkAssign({ status: 'resolved' }))).toMatch(/^409 .*resolved/);
  });

  it('marking fixed: only an open finding not already awaiting verification (a failed one may be marked again)', () => {
    expect(code(() => checkMarkFixed({ status: 'open', verification: null }))).toBe('ok');
    expect(code(() => checkMarkFixed({ status: 'open', verification: 'failed' }))).toBe('ok');
    expect(code(() => checkMarkFixed({ status: 'open', verification: 'verified' }))).toBe('ok');
    expect(code(() => checkMarkFixed({ status: 'open', verification: 'pending' }))).toMatch(/^409 .*marked fixed already/);
    expect(code(() => checkMarkFixed({ status: 'excepted', verification: null }))).toMatch(/^409 .*exception/);
    expect(code(() => checkMarkFixed({ status: 'resolved', verification: null }))).toMatch(/^409 .*resolved/);
  });

  it('a fix claim is pending, with who and when, and clears an earlier outcome', () => {
    expect(fixClaim('a@x.test', now, 'rotated')).toEqual({
      fixClaimedAt: now,
      fixClaimedBy: 'a@x.test',
      fixNote: 'rotated',
      verification: 'pending',
      verifiedAt: null,
      verifyRunId: null,
      verifyNote: null,
    });
    const after = { ...open, assigneeUserId: 'u', ...fixClaim('a@x.test', now, null) };
    expect(queueStateOf(after, now)).toBe('awaiting_verification');
  });

  it('the next evaluation verifies a fix no longer raised, and fails one still raised with a note naming the collection', () => {
    expect(verificationOf(false, { at: now, mode: 'import' })).toEqual({ verification: 'verified', note: null });
    const failed = verificationOf(true, { at: now, mode: 'import' });
    expect(failed.verification).toBe('failed');
    expect(failed.note).toBe('Verification failed: the import of 2026-11-30 12:00 UTC still raises it; back to open.');
    expect(verificationOf(true, null).note).toMatch(/the next evaluation still raises it/);
    // A failed verification puts the finding back among the open ones, shown as failed.
    expect(queueStateOf({ ...open, verification: failed.verification, verifiedAt: now }, now)).toBe('verification_failed');
  });
});
