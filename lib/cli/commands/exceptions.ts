/**
 * `nhi exceptions`: findings accepted as known risks, with a justification, who asked, who approved (someone
 * else) and an expiry; expired or revoked exceptions reopen their findings.
 *
 *   nhi exceptions add <finding-id> --reason "…" --by alice --approved-by bob --expires 30d
 *   nhi exceptions list --state active --json
 *   nhi exceptions revoke <exception-id> --by bob
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import {
  createException,
  exceptionFilterSchema,
  exceptionRequestSchema,
  listExceptions,
  revokeException,
  revokeSchema,
  type ExceptionView,
} from '@/lib/findings/exceptions';

const line = (e: ExceptionView) =>
  [
    e.state,
    e.finding.cluster,
    e.finding.ruleId,
    e.finding.subject,
    `until ${e.expiresAt.slice(0, 10)}`,
    `asked by ${e.requestedBy}, approved by ${e.approvedBy} on ${e.approvedAt.slice(0, 10)}`,
    e.revokedBy ? `revoked by ${e.revokedBy}` : '',
    e.id,
  ]
    .filter(Boolean)
    .join('\t');

export function registerExceptionCommands(program: Command): void {
  const exceptions = program
    .command('exceptions')
    .description('Findings accepted as known risks: who asked, who approved, until when.');

  exceptions
    .command('list')
    .description('Every exception, newest first, with its state (active, expired, revoked).')
    .option('--state <state>', 'active, expired, revoked or all (default)')
    .option('--cluster <name>', 'only this cluster')
    .option('--json', 'print JSON')
    .action(async (opts: { state?: string; cluster?: string; json?: boolean }) => {
      const filter = parseOptions(exceptionFilterSchema, { state: opts.state, cluster: opts.cluster });
      const rows = await withDatabase(({ pool }) => listExceptions(pool, filter));
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      console.log(rows.length ? rows.map(line).join('\n') : 'No exception matches.');
    });

  exceptions
    .command('add')
    .description('Accept an open finding until an expiry (at most 365 days); the approver must be someone else.')
    .argument('<finding-id>', 'the finding (nhi findings --json, or its page)')
    .requiredOption('--reason <text>', 'why the risk is accepted')
    .requiredOption('--by <name>', 'who asks')
    .requiredOption('--approved-by <name>', 'who approves (not the requester)')
    .requiredOption('--expires <when>', 'an ISO date, or a duration such as 30d')
    .option('--json', 'print JSON')
    .action(
      async (findingId: string, opts: { reason: string; by: string; approvedBy: string; expires: string; json?: boolean }) => {
        const request = parseOptions(exceptionRequestSchema, {
          findingId,
          reason: opts.reason,
          requestedBy: opts.by,
          approvedBy: opts.approvedBy,
          expires: opts.expires,
        });
        const e = await withDatabase(({ pool }) => createException(pool, request));
        console.log(
          opts.json
            ? JSON.stringify(e, null, 2)
            : `Exception ${e.id}: ${e.finding.ruleId} on ${e.finding.subject} accepted until ${e.expiresAt}`,
        );
      },
    );

  exceptions
    .command('revoke')
    .description('Take an exception back: its finding is open again.')
    .argument('<exception-id>', 'the exception')
    .requiredOption('--by <name>', 'who revokes')
    .option('--note <text>', 'why')
    .action(async (id: string, opts: { by: string; note?: string }) => {
      const change = parseOptions(revokeSchema, { by: opts.by, note: opts.note });
      const e = await withDatabase(({ pool }) => revokeException(pool, id, change));
      console.log(
        `Exception ${e.id} revoked by ${e.revokedBy}: ${e.finding.ruleId} on ${e.finding.subject} is ${e.finding.status} again`,
      );
    });
}
