import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { listClusters } from '@/lib/data/clusters';
import {
  IDENTITY_EXPORT_COLUMNS,
  IDENTITY_SORTS,
  identityFilterSchema,
  identityInventory,
  identityViewRows,
} from '@/lib/data/identities';
import { printCsv } from '@/lib/cli/csv';
import { EXPORT_MAX_ROWS, limitedRecords } from '@/lib/http/list-export';
import {
  listWorkloads,
  WORKLOAD_PAGE_SIZE,
  WORKLOAD_SORTS,
  workloadFilterSchema,
  type WorkloadListRow,
} from '@/lib/data/workloads';

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
    .option('--sort <column>', `with --csv: sort by ${Object.keys(IDENTITY_SORTS).join(', ')} (default: riskiest first)`)
    .option('--dir <dir>', "with --csv: asc or desc (default: the column's natural order)")
    .option('--json', 'print JSON')
    .option('--csv', "print CSV: the Identities page's list (risk, workloads, anomalies, reach, owners), as its export")
    .action(
      async (opts: {
        cluster?: string;
        namespace?: string;
        includeDeleted?: boolean;
        json?: boolean;
        csv?: boolean;
        sort?: string;
        dir?: string;
      }) => {
        const filter = parseOptions(identityFilterSchema, {
          cluster: opts.cluster,
          namespace: opts.namespace,
          builtIn: 'show',
          deleted: opts.includeDeleted ? 'show' : 'hide',
          sort: opts.sort,
          dir: opts.dir,
        });
        if (opts.csv) {
          await withDatabase(({ db, pool }) =>
            printCsv(
              limitedRecords(identityViewRows(db, pool, filter, null, EXPORT_MAX_ROWS), IDENTITY_EXPORT_COLUMNS),
              IDENTITY_EXPORT_COLUMNS,
            ),
          );
          return;
        }
        const rows = await withDatabase(({ db }) => identityInventory(db, filter));
        if (opts.json) console.log(JSON.stringify(rows, null, 2));
        else
          for (const r of rows)
            console.log(
              `${r.cluster}\t${r.kind}\t${r.namespace || '-'}\t${r.name}\t${r.workloads.length} workloads\t${r.credentials.length} credentials${r.owners.length ? `\towner ${r.owners.map((o) => o.team).join(',')}` : ''}`,
            );
      },
    );

  program
    .command('workloads')
    .description(
      'The workloads list of the web page: filtered, sorted, 50 a page (--all: every page), with who they run as, owners, open findings and risk.',
    )
    .option('--cluster <name>', 'only this cluster')
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('--kind <kind>', 'only this kind (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, …)')
    .option('--team <name>', 'only workloads this team owns ("(none)": no owner)')
    .option('-q, --search <text>', 'name or namespace contains')
    .option('--open-findings', 'only workloads with an open finding')
    .option('--cluster-admin', 'only workloads running as a ServiceAccount that can reach cluster-admin')
    .option('--include-deleted', 'also workloads deleted from the cluster')
    .option('--sort <column>', `sort by ${WORKLOAD_SORTS.join(', ')}`, 'name')
    .option('--desc', 'descending order')
    .option('--page <n>', 'page (50 a page)', '1')
    .option('--all', 'every page')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        cluster?: string;
        namespace?: string;
        kind?: string;
        team?: string;
        search?: string;
        openFindings?: boolean;
        clusterAdmin?: boolean;
        includeDeleted?: boolean;
        sort: string;
        desc?: boolean;
        page: string;
        all?: boolean;
        json?: boolean;
      }) => {
        const filter = parseOptions(workloadFilterSchema, {
          cluster: opts.cluster,
          namespace: opts.namespace,
          kind: opts.kind,
          team: opts.team,
          q: opts.search,
          findings: opts.openFindings ? 'open' : undefined,
          risk: opts.clusterAdmin ? 'cluster-admin' : undefined,
          deleted: opts.includeDeleted ? 'show' : 'hide',
          sort: opts.sort,
          dir: opts.desc ? 'desc' : 'asc',
          page: opts.all ? 1 : opts.page,
        });
        const { rows, total } = await withDatabase(async ({ db }) => {
          const first = await listWorkloads(db, filter);
          if (!opts.all) return first;
          const all: WorkloadListRow[] = [...first.rows];
          for (let page = 2; (page - 1) * WORKLOAD_PAGE_SIZE < first.total && page <= 10_000; page++)
            all.push(...(await listWorkloads(db, { ...filter, page })).rows);
          return { rows: all, total: first.total };
        });
        if (opts.json) console.log(JSON.stringify({ total, page: opts.all ? null : filter.page, rows }, null, 2));
        else {
          for (const r of rows)
            console.log(
              [
                r.cluster,
                r.kind,
                r.namespace,
                r.name,
                `runs as ${r.runsAs.map((i) => i.name).join(',') || (r.serviceAccountName ?? 'default')}${r.runsAs.some((i) => i.reachesClusterAdmin) ? ' (can reach cluster-admin)' : ''}`,
                `${r.podCount} pods`,
                `${r.openFindings} open findings`,
                `risk ${r.risk ?? '-'}`,
                r.owners.length ? `owner ${r.owners.join(',')}` : 'unowned',
                ...(r.deleted ? ['deleted'] : []),
              ].join('\t'),
            );
          const pages = Math.max(1, Math.ceil(total / WORKLOAD_PAGE_SIZE));
          console.error(opts.all ? `${total} workloads` : `${total} workloads, page ${filter.page} of ${pages}`);
        }
      },
    );
}
