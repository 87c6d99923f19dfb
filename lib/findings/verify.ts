/**
 * The verification of claimed fixes (the findings queue, lib/findings/queue.ts): after a rule family's findings
 * are written (lib/findings/write.ts, in the same transaction, so it runs for collect, import and push alike),
 * each finding of the family marked fixed before this evaluation is judged by it:
 *
 * - no longer raised (resolved by this evaluation, or earlier) → `verified`, with the collection run and time;
 * - still raised → `failed`: the finding stays open, with a note saying which collection still saw it.
 *
 * A fix marked after the evaluation's time is left for the next one (the data evaluated may predate the fix).
 * Each outcome is a trail entry (`finding.verify`, actor `system`) and a timeline entry on the subject.
 */
import type pg from 'pg';
import { SYSTEM_ACTOR } from '@/lib/trail/actions';
import { appendTrail, pgExecutor } from '@/lib/trail/write';

export type Verification = 'pending' | 'verified' | 'failed';

/** A collection run's mode in words: `once` → collection, `import` → import, … */
export const runWords = (mode: string | null | undefined): string =>
  ({ once: 'collection', watch: 'watched collection', resync: 'resync', import: 'import' })[mode ?? ''] ?? 'collection';

/** The outcome of an evaluation for a finding marked fixed (pure): still raised → failed, else verified. */
export function verificationOf(
  stillRaised: boolean,
  run: { at: Date; mode?: string | null } | null,
): { verification: Exclude<Verification, 'pending'>; note: string | null } {
  if (!stillRaised) return { verification: 'verified', note: null };
  const when = run
    ? `the ${runWords(run.mode)} of ${run.at.toISOString().slice(0, 16).replace('T', ' ')} UTC`
    : 'the next evaluation';
  return { verification: 'failed', note: `Verification failed: ${when} still raises it; back to open.` };
}

interface Judged {
  id: string;
  ruleId: string;
  clusterId: string;
  identityId: string | null;
  workloadId: string | null;
  credentialId: string | null;
  status: string;
  fixClaimedBy: string | null;
  fixClaimedAt: Date;
}

/** Judges the family's pending fixes by this evaluation (see module comment); returns how many of each. */
export async function verifyClaimedFixes(
  db: pg.ClientBase,
  clusterId: string,
  family: { ruleIds: readonly string[]; now: Date },
): Promise<{ verified: number; failed: number }> {
  const pending = await db.query<Judged>(
    `SELECT id, "ruleId", "clusterId", "identityId", "workloadId", "credentialId", status::text AS status, "fixClaimedBy", "fixClaimedAt"
     FROM "Finding"
     WHERE verification = 'pending' AND "clusterId" = $1 AND "ruleId" = ANY($2::text[]) AND "fixClaimedAt" < $3
     FOR UPDATE`,
    [clusterId, [...family.ruleIds], family.now],
  );
  if (!pending.rowCount) return { verified: 0, failed: 0 };
  // The collection whose evaluation this is: the cluster's latest run started by then.
  const runs = await db.query<{ id: string; mode: string; startedAt: Date }>(
    `SELECT id, mode, "startedAt" FROM "CollectionRun" WHERE "clusterId" = $1 AND "startedAt" <= $2 ORDER BY "startedAt" DESC LIMIT 1`,
    [clusterId, family.now],
  );
  const run = runs.rows[0] ?? null;
  let verified = 0;
  let failed = 0;
  for (const f of pending.rows) {
    const outcome = verificationOf(f.status !== 'resolved', run && { at: run.startedAt, mode: run.mode });
    if (outcome.verification === 'verified') verified += 1;
    else failed += 1;
    await db.query(
      `UPDATE "Finding" SET verification = $2::"FixVerification", "verifiedAt" = $3, "verifyRunId" = $4, "verifyNote" = $5 WHERE id = $1`,
      [f.id, outcome.verification, family.now, run?.id ?? null, outcome.note],
    );
    const summary =
      outcome.verification === 'verified'
        ? `${f.ruleId} verified fixed by the ${run ? runWords(run.mode) : 'latest evaluation'} (marked fixed by ${f.fixClaimedBy ?? 'someone'})`
        : `${f.ruleId} still raised after it was marked fixed by ${f.fixClaimedBy ?? 'someone'}: back to open`;
    await db.query(
      `INSERT INTO "TimelineEvent" (id, "clusterId", at, kind, summary, "identityId", "workloadId", "credentialId", details)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        f.clusterId,
        family.now,
        outcome.verification === 'verified' ? 'finding.fix_verified' : 'finding.fix_failed',
        summary,
        f.identityId,
        f.workloadId,
        f.credentialId,
        JSON.stringify({ findingId: f.id, rule: f.ruleId, runId: run?.id ?? null }),
      ],
    );
    await appendTrail(pgExecutor(db), {
      actor: SYSTEM_ACTOR,
      action: 'finding.verify',
      target: `finding:${f.id}`,
      before: {
        rule: f.ruleId,
        verification: 'pending',
        fixClaimedBy: f.fixClaimedBy,
        fixClaimedAt: f.fixClaimedAt.toISOString(),
      },
      after: {
        rule: f.ruleId,
        verification: outcome.verification,
        status: f.status,
        run: run ? { id: run.id, mode: run.mode, startedAt: run.startedAt.toISOString() } : null,
        note: outcome.note,
      },
      at: family.now,
    });
  }
  return { verified, failed };
}
