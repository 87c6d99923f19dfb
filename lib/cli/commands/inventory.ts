import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { listClusters } from '@/lib/data/clusters';
import { identityFilterSchema, identityInventory } from '@/lib/data/identities';

export function registerInventoryCommands(program: Command): void {
  program
    .command('clusters')
    .description('List the clusters in the inventory with their last collection.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withDatabase(({ db }) => listClusters(db));
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else if (!rows.length) console.log('No cluster collected yet. Run `npx nhi collect --once` or `npx nhi import PATH`.');
      else
        for (const r of rows)
          console.log(
            `${r.name}\t${r.source}\tlast sync ${r.lastSyncAt ?? 'never'}\t${r.lastRunPhase ?? '-'}\t${r.identities} identities\t${r.workloads} workloads${r.agent ? `\tagent ${r.agent.state}, last push ${r.agent.lastPushAt}` : ''}`,
          );
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
      const filter = parseOptions(identityFilterSchema, {
        cluster: opts.cluster,
        namespace: opts.namespace,
        builtIn: 'show',
        deleted: opts.includeDeleted ? 'show' : 'hide',
      });
      const rows = await withDatabase(({ db }) => identityInventory(db, filter));
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          console.log(
            `${r.cluster}\t${r.kind}\t${r.namespace || '-'}\t${r.name}\t${r.workloads.length} workloads\t${r.credentials.length} credentials${r.owners.length ? `\towner ${r.owners.map((o) => o.team).join(',')}` : ''}`,
          );
    });
}
