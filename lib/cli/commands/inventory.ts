import type { Command } from 'commander';
import { openStore } from '@/lib/collect/store';
import { resolveDatabase } from '@/lib/db/embedded';
import { preflight } from '@/lib/db/preflight';
import { listClusterRows, listIdentitiesWithLinks } from '@/lib/collect/queries';

export function registerInventoryCommands(program: Command): void {
  program
    .command('clusters')
    .description('List the clusters in the inventory with their last collection.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const database = await resolveDatabase();
      const pool = openStore(database.url);
      try {
        await preflight(database.url);
        const rows = await listClusterRows(pool);
        if (opts.json) console.log(JSON.stringify(rows, null, 2));
        else if (!rows.length) console.log('No cluster collected yet. Run `npx nhi collect --once` or `npx nhi import PATH`.');
        else
          for (const r of rows)
            console.log(
              `${r.name}\t${r.source}\tlast sync ${r.lastSyncAt ?? 'never'}\t${r.lastRunPhase ?? '-'}\t${r.identities} identities\t${r.workloads} workloads`,
            );
      } finally {
        await pool.end();
        await database.stop();
      }
    });

  program
    .command('identities')
    .description(
      'The identity inventory with its links: workloads, credentials (metadata only), linked cloud/SPIFFE identities, owners.',
    )
    .option('--cluster <name>', 'only this cluster')
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('--include-deleted', 'also identities deleted from the cluster')
    .option('--json', 'print JSON')
    .action(async (opts: { cluster?: string; namespace?: string; includeDeleted?: boolean; json?: boolean }) => {
      const database = await resolveDatabase();
      const pool = openStore(database.url);
      try {
        await preflight(database.url);
        const rows = await listIdentitiesWithLinks(pool, opts);
        if (opts.json) console.log(JSON.stringify(rows, null, 2));
        else
          for (const r of rows)
            console.log(
              `${r.cluster}\t${r.kind}\t${r.namespace || '-'}\t${r.name}\t${r.workloads.length} workloads\t${r.credentials.length} credentials${r.owners.length ? `\towner ${r.owners.map((o) => o.team).join(',')}` : ''}`,
            );
      } finally {
        await pool.end();
        await database.stop();
      }
    });
}
