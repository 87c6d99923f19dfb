/**
 * `nhi trail`: the activity trail (lib/trail).
 *
 *   nhi trail verify [--anchor SEQ:HASH]…   walks the chain; last line `trail: <N> entries, chain ok`, or names
 *                                           the first broken entry (exit 1)
 *   nhi trail list [--json] [--since 7d] [--action A] [--actor NAME] [--target PREFIX] [--limit N]
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { listTrail, parseAnchor, trailFilterSchema, verifyTrail, type TrailEntryView } from '@/lib/trail/read';

const short = (v: unknown) => {
  const s = v === null || v === undefined ? '' : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

const line = (e: TrailEntryView) =>
  [
    String(e.seq),
    e.at,
    e.actor,
    e.action,
    e.target ?? '',
    e.before === null ? '' : `before ${short(e.before)}`,
    e.after === null ? '' : `after ${short(e.after)}`,
  ]
    .filter(Boolean)
    .join('\t');

export function registerTrailCommands(program: Command): void {
  const trail = program
    .command('trail')
    .description('The activity trail: every state change, append-only and chained by SHA-256.');

  trail
    .command('verify')
    .description('Walk the whole chain and report the first entry edited, deleted or reordered (exit 1).')
    .option('--anchor <seq:hash...>', "a head recorded earlier outside the database (an export's trail-head), checked too")
    .option('--json', 'print JSON')
    .action(async (opts: { anchor?: string[]; json?: boolean }) => {
      const anchors = (opts.anchor ?? []).map(parseAnchor);
      const r = await withDatabase(({ pool }) => verifyTrail(pool, anchors));
      if (opts.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`head checkpoint: ${r.head ? `entry ${r.head.seq} ${r.head.hash}` : 'missing'}`);
        if (!r.broken) console.log(`anchor for a later check: --anchor ${r.last.seq}:${r.last.hash}`);
        console.log(r.line);
      }
      if (r.broken) process.exitCode = 1;
    });

  trail
    .command('list')
    .description('Entries, newest first: who did what to what, when, with before and after.')
    .option('--since <when>', 'an ISO date/time or a duration back from now (7d, 12h)')
    .option('--until <when>', 'an ISO date/time or a duration back from now')
    .option('--action <action>', 'one action, e.g. exception.create')
    .option('--actor <name>', 'one actor (any case)')
    .option('--target <prefix>', 'targets starting with this, e.g. exception: or workload:prod/')
    .option('--limit <n>', 'at most this many entries (default 50, at most 500)')
    .option('--json', 'print JSON: { total, items }')
    .action(
      async (opts: {
        since?: string;
        until?: string;
        action?: string;
        actor?: string;
        target?: string;
        limit?: string;
        json?: boolean;
      }) => {
        const filter = parseOptions(trailFilterSchema, {
          since: opts.since,
          until: opts.until,
          action: opts.action,
          actor: opts.actor,
          target: opts.target,
          pageSize: opts.limit,
        });
        const page = await withDatabase(({ pool }) => listTrail(pool, filter));
        if (opts.json) return void console.log(JSON.stringify({ total: page.total, items: page.items }, null, 2));
        console.log(page.items.length ? page.items.map(line).join('\n') : 'No entry matches.');
        if (page.total > page.items.length) console.log(`(${page.items.length} of ${page.total}; --limit shows more)`);
      },
    );
}
