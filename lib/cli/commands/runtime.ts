/**
 * `nhi ingest FILE…` (audit logs as JSON lines, .gz, folders, `-`; Falco JSON output) and `nhi events`.
 * Replaying the same files stores nothing twice; malformed items are listed with their place and reason.
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { ensureCluster } from '@/lib/collect/store';
import { eventFilterSchema, listEvents } from '@/lib/data/events';
import { resolveCluster } from '@/lib/data/clusters';
import { invalidInput } from '@/lib/errors';
import { ingestFiles } from '@/lib/runtime/ingest';
import { dropExpiredPartitions } from '@/lib/runtime/store';

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;

export function registerRuntimeCommands(program: Command): void {
  program
    .command('ingest')
    .description('Ingest runtime events: audit logs (JSON lines, .gz, folders, "-" for stdin) and Falco JSON output.')
    .argument('<paths...>', 'files or folders')
    .option('--cluster <name>', 'the cluster the events come from (default: the only one in the inventory)')
    .option('--retention-days <days>', 'also drop the days of events older than this')
    .option('--json', 'print the outcome as JSON')
    .action(async (paths: string[], opts: { cluster?: string; retentionDays?: string; json?: boolean }) => {
      if (opts.cluster !== undefined && !CLUSTER_NAME.test(opts.cluster))
        throw invalidInput(`--cluster must be a name of letters, digits and . _ : @ - (got "${opts.cluster}")`);
      const retention = opts.retentionDays === undefined ? undefined : Number(opts.retentionDays);
      if (retention !== undefined && !(Number.isInteger(retention) && retention >= 1))
        throw invalidInput(`--retention-days must be a whole number ≥ 1 (got "${opts.retentionDays}")`);
      await withDatabase(async ({ db, pool }) => {
        const clusterId = opts.cluster
          ? await ensureCluster(pool, opts.cluster, 'import', null, null)
          : (await resolveCluster(db)).id;
        const tty = process.stderr.isTTY && !opts.json;
        const result = await ingestFiles(pool, clusterId, paths, {
          onProgress: tty ? (p) => process.stderr.write(`\r${p.events} events read (${p.file})`) : undefined,
        });
        if (tty) process.stderr.write('\n');
        const dropped = retention ? await dropExpiredPartitions(pool, retention, new Date()) : [];
        if (opts.json) console.log(JSON.stringify({ ...result, droppedPartitions: dropped }, null, 2));
        else {
          console.log(
            `${result.events} events from ${result.files} file(s) in ${result.seconds.toFixed(1)} s: ${result.inserted} stored, ${result.duplicates} already stored, ${result.rejectedCount} rejected`,
          );
          for (const r of result.rejected.slice(0, 20)) console.log(`  rejected ${r.item}: ${r.reason}`);
          if (result.rejectedCount > 20) console.log(`  … and ${result.rejectedCount - 20} more (--json lists 100)`);
          if (dropped.length) console.log(`  dropped ${dropped.length} day(s) older than ${retention} days`);
        }
        if (result.rejectedCount) process.exitCode = 2;
      });
    });

  program
    .command('events')
    .description('Runtime events, newest first, attributed to identities where the inventory knows them.')
    .option('--identity <ns/name>', 'only the events of this ServiceAccount')
    .option('--cluster <name>', 'only this cluster')
    .option('--limit <n>', 'at most this many items (default 100)')
    .option('--json', 'print JSON: { total, items }')
    .action(async (opts: { identity?: string; cluster?: string; limit?: string; json?: boolean }) => {
      const parsed = eventFilterSchema.safeParse(opts);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw invalidInput(`--${String(issue.path[0])}: ${issue.message}`);
      }
      const page = await withDatabase(({ db }) => listEvents(db, parsed.data));
      if (opts.json) console.log(JSON.stringify(page, null, 2));
      else {
        console.log(`${page.total} events${page.total > page.items.length ? ` (newest ${page.items.length})` : ''}`);
        for (const e of page.items)
          console.log(
            [
              e.at,
              e.source,
              e.username ?? '-',
              e.verb ?? '-',
              [e.resource, e.namespace, e.name].filter(Boolean).join(' '),
              e.responseCode ?? '',
              e.sourceIp ?? '',
            ].join('\t'),
          );
      }
    });
}
