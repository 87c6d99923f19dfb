/**
 * `nhi findings queue|assign|mark-fixed`: a team's findings as a work queue (lib/findings/queue.ts). Changes act
 * as the user the operator names with `--by EMAIL` (an enabled user whose role may act on owned subjects: a
 * service owner only on their teams' findings), and go on the activity trail under that user, as from the web app.
 *
 *   nhi findings queue [--team NAME] [--json]
 *   nhi findings assign ID --to EMAIL [--team NAME] --by EMAIL
 *   nhi findings assign ID --team NAME --by EMAIL
 *   nhi findings mark-fixed ID --by EMAIL [--note TEXT]
 *
 * The next collection (collect, import or push) verifies a fix marked this way.
 */
import type { Command } from 'commander';
import { principalByEmail } from '@/lib/auth/principal';
import { allows, ROLE_LABELS } from '@/lib/auth/roles';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import type { PrismaClient } from '@/lib/db/client';
import { forbidden, invalidInput } from '@/lib/errors';
import {
  assignFinding,
  assignSchema,
  markFixed,
  markFixedSchema,
  queueQuerySchema,
  teamQueue,
  type QueueEntry,
} from '@/lib/findings/queue';

/** The user named by `--by`, refused unless their role may act on owned subjects. */
async function operator(db: PrismaClient, email: string) {
  const who = await principalByEmail(db, email);
  if (!allows(who.role, 'owned.act'))
    throw forbidden(`${who.email} is ${ROLE_LABELS[who.role].toLowerCase()}: the role may not do this (owned.act)`);
  return who;
}

const day = (iso: string | null | undefined) => iso?.slice(0, 10) ?? '';

/** One line of the queue: severity, rule, subject, what its state says, the id. */
export function queueLine(f: QueueEntry): string {
  const assignee = f.assignee ? `→ ${f.assignee.user?.email ?? `team ${f.assignee.team?.name ?? '?'}`}` : '';
  const state =
    f.state === 'accepted'
      ? `accepted until ${day(f.acceptedUntil)}`
      : f.state === 'awaiting_verification'
        ? `marked fixed by ${f.fix?.claimedBy ?? '?'} ${day(f.fix?.claimedAt)}`
        : f.state === 'verified'
          ? `verified ${day(f.verification?.at)}${f.verification?.run ? ` (${f.verification.run.mode} run ${f.verification.run.id})` : ''}`
          : f.state === 'verification_failed'
            ? (f.verification?.note ?? 'verification failed')
            : '';
  return [f.severity.padEnd(8), f.ruleId.padEnd(12), `${f.cluster}/${f.subject}`, assignee, state, f.id]
    .filter(Boolean)
    .join('\t');
}

/** Adds `queue`, `assign` and `mark-fixed` under `nhi findings`. */
export function registerFindingsQueueCommands(program: Command): void {
  const findings = program.commands.find((c) => c.name() === 'findings');
  if (!findings) throw new Error('register the findings command first');

  findings
    .command('queue')
    .description(
      "A team's findings as a work queue, by state (unassigned, assigned, awaiting verification, failed, accepted, verified).",
    )
    .option('--team <name>', 'the team (default: the first by name)')
    .option('--json', 'print JSON')
    .action(async (opts: { team?: string; json?: boolean }) => {
      const query = parseOptions(queueQuerySchema, { team: opts.team });
      const queue = await withDatabase(({ db, pool }) => teamQueue({ db, pool }, null, query));
      if (opts.json) return void console.log(JSON.stringify(queue, null, 2));
      if (!queue.team) return void console.log('No team yet: owner labels and nhi users add --team make them.');
      console.log(`Findings queue of ${queue.team.name}`);
      for (const s of queue.sections) {
        console.log(`\n${s.label} (${s.total})`);
        for (const f of s.rows) console.log(`  ${queueLine(f)}`);
        if (s.total > s.rows.length) console.log(`  (${s.rows.length} of ${s.total})`);
      }
    });

  findings
    .command('assign')
    .description('Assign a finding to a member of one of its owning teams (--to), or to the team (--team).')
    .argument('<finding-id>', 'the finding (nhi findings queue)')
    .option('--to <email>', 'the member who is to fix it')
    .option('--team <name>', 'the team (the team itself without --to; else the member’s team meant)')
    .requiredOption('--by <email>', 'who assigns: an admin, security lead or a service owner of the team')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { to?: string; team?: string; by: string; json?: boolean }) => {
      if (!opts.to && !opts.team) throw invalidInput('--to: name the member (or --team for the team)');
      const input = parseOptions(assignSchema, { user: opts.to, team: opts.team });
      const f = await withDatabase(async ({ db }) => assignFinding(db, await operator(db, opts.by), id, input));
      console.log(opts.json ? JSON.stringify(f, null, 2) : `Assigned: ${queueLine(f)}`);
    });

  findings
    .command('mark-fixed')
    .description('Mark a finding fixed: the next collection verifies it (verified fixed, or failed and open again).')
    .argument('<finding-id>', 'the finding (nhi findings queue)')
    .requiredOption('--by <email>', 'who fixed it: an admin, security lead or a service owner of the team')
    .option('--note <text>', 'what was changed')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { by: string; note?: string; json?: boolean }) => {
      const input = parseOptions(markFixedSchema, { note: opts.note });
      const f = await withDatabase(async ({ db }) => markFixed(db, await operator(db, opts.by), id, input));
      console.log(opts.json ? JSON.stringify(f, null, 2) : `Marked fixed, awaiting the next collection: ${queueLine(f)}`);
    });
}
