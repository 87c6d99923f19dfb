/**
 * `nhi ingest FILE…` (audit logs as JSON lines, .gz, folders, `-`; Falco JSON output) and `nhi events`.
 * Replaying the same files stores nothing twice; malformed items are listed with their place and reason.
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { clusterNameOption, parseOptions } from '@/lib/cli/options';
import { clusterIdNamed } from '@/lib/collect/store';
import { eventFilterSchema, listEvents, listIngestTokens } from '@/lib/data/events';
import { resolveCluster } from '@/lib/data/clusters';
import { invalidInput } from '@/lib/errors';
import { detectDays } from '@/lib/behaviour/engine';
import { afterDetection } from '@/lib/findings/runtime';
import { loadProfiles } from '@/lib/behaviour/profiles';
import { ingestFiles } from '@/lib/runtime/ingest';
import { recordIngestBatch } from '@/lib/runtime/status';
import { dropExpiredPartitions } from '@/lib/runtime/store';
import { createIngestToken, revokeIngestToken } from '@/lib/runtime/tokens';
import { cliActor } from '@/lib/trail/cli-actor';

/** A kubeconfig-format webhook configuration pointing at /api/ingest/audit with the token. */
export function auditWebhookConfig(baseUrl: string, token: string): string {
  const server = `${baseUrl.replace(/\/$/, '')}/api/ingest/audit`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: nhi-dashboard',
    '    cluster:',
    `      server: ${server}`,
    'users:',
    '  - name: nhi-ingest',
    '    user:',
    `      token: ${token}`,
    'contexts:',
    '  - name: default',
    '    context: { cluster: nhi-dashboard, user: nhi-ingest }',
    'current-context: default',
  ].join('\n');
}

export function registerRuntimeCommands(program: Command): void {
  program
    .command('ingest')
    .description('Ingest runtime events: audit logs (JSON lines, .gz, folders, "-" for stdin) and Falco JSON output.')
    .argument('<paths...>', 'files or folders')
    .option('--cluster <name>', 'the cluster the events come from (default: the only one in the inventory)')
    .option('--retention-days <days>', 'also drop the days of events older than this')
    .option('--no-detect', 'store the events without running the behaviour detectors over them')
    .option('--profiles <file>', 'behaviour profiles (default: NHI_BEHAVIOUR_PROFILES, else the built-in ones)')
    .option('--json', 'print the outcome as JSON')
    .action(
      async (
        paths: string[],
        opts: { cluster?: string; retentionDays?: string; json?: boolean; detect: boolean; profiles?: string },
      ) => {
        clusterNameOption(opts.cluster);
        const retention = opts.retentionDays === undefined ? undefined : Number(opts.retentionDays);
        if (retention !== undefined && !(Number.isInteger(retention) && retention >= 1))
          throw invalidInput(`--retention-days must be a whole number ≥ 1 (got "${opts.retentionDays}")`);
        // A bad profiles file is refused before any work.
        const profiles = opts.detect ? loadProfiles(opts.profiles) : null;
        await withDatabase(async ({ db, pool }) => {
          const clusterId = opts.cluster ? await clusterIdNamed(pool, opts.cluster) : (await resolveCluster(db)).id;
          const tty = process.stderr.isTTY && !opts.json;
          const result = await ingestFiles(pool, clusterId, paths, {
            onProgress: tty ? (p) => process.stderr.write(`\r${p.events} events read (${p.file})`) : undefined,
          });
          if (tty) process.stderr.write('\n');
          // One IngestBatch row per run, for the cluster's ingestion status. The run's event times are not known
          // here (IngestResult has none): firstEventAt/lastEventAt stay null; the status reads event times from
          // the events. The source is `mixed`: files may hold audit events and Falco alerts alike.
          await recordIngestBatch(pool, clusterId, {
            channel: 'file',
            source: 'mixed',
            events: result.events,
            inserted: result.inserted,
            duplicates: result.duplicates,
            rejected: result.rejectedCount,
            rejectedSample: result.rejected,
            firstEventAt: null,
            lastEventAt: null,
            receivedAt: new Date(),
          }).catch((e: unknown) =>
            process.stderr.write(
              `nhi: the events are stored, but the run could not be recorded for the ingestion status: ${e instanceof Error ? e.message : e}\n`,
            ),
          );
          const anomalies = profiles && result.inserted ? await detectDays(pool, clusterId, result.days, profiles) : null;
          if (anomalies) await afterDetection(pool, clusterId, anomalies.changed, new Date());
          const dropped = retention ? await dropExpiredPartitions(pool, retention, new Date()) : [];
          if (opts.json) console.log(JSON.stringify({ ...result, anomalies, droppedPartitions: dropped }, null, 2));
          else {
            console.log(
              `${result.events} events from ${result.files} file(s) in ${result.seconds.toFixed(1)} s: ${result.inserted} stored, ${result.duplicates} already stored, ${result.rejectedCount} rejected`,
            );
            for (const r of result.rejected.slice(0, 20)) console.log(`  rejected ${r.item}: ${r.reason}`);
            if (result.rejectedCount > 20) console.log(`  … and ${result.rejectedCount - 20} more (--json lists 100)`);
            if (anomalies)
              console.log(
                `  behaviour: ${anomalies.subjects} identities checked, ${anomalies.raised} anomalies raised or given new evidence (${anomalies.created} new)`,
              );
            if (dropped.length) console.log(`  dropped ${dropped.length} day(s) older than ${retention} days`);
          }
          if (result.rejectedCount) process.exitCode = 2;
        });
      },
    );

  const tokens = program
    .command('ingest-token')
    .description("Tokens with which a cluster's audit webhook or Falco forwarder posts to /api/ingest/* (shown once).");
  tokens
    .command('create')
    .description('Make a token for a cluster and print it with the audit webhook configuration that uses it.')
    .requiredOption('--cluster <name>', 'the cluster the token speaks for')
    .option('--name <name>', 'a name for the token', 'audit-webhook')
    .option('--url <url>', 'the dashboard URL the API server posts to', 'https://nhi.example.internal')
    .option('--by <name>', 'who asks, for the activity trail (default: os:<your account>)')
    .action(async (opts: { cluster: string; name: string; url: string; by?: string }) => {
      clusterNameOption(opts.cluster);
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(opts.name))
        throw invalidInput(`--name must be lower-case letters, digits and - (got "${opts.name}")`);
      const token = await withDatabase(async ({ pool }) => {
        const clusterId = await clusterIdNamed(pool, opts.cluster);
        return createIngestToken(pool, clusterId, opts.name, cliActor(opts.by));
      });
      console.log(`Ingest token "${opts.name}" for cluster ${opts.cluster} (shown once; only its hash is kept):\n\n${token}\n`);
      console.log('An audit webhook configuration for the API server (--audit-webhook-config-file):\n');
      console.log(auditWebhookConfig(opts.url, token));
    });
  tokens
    .command('list')
    .description('The ingest tokens: cluster, name, last use, revocation (never the tokens).')
    .option('--cluster <name>', 'only this cluster')
    .option('--json', 'print JSON')
    .action(async (opts: { cluster?: string; json?: boolean }) => {
      const rows = await withDatabase(({ db }) => listIngestTokens(db, opts.cluster));
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else
        for (const t of rows)
          console.log(
            [t.cluster, t.name, `last used ${t.lastUsedAt ?? 'never'}`, t.revokedAt ? `revoked ${t.revokedAt}` : 'live'].join(
              '\t',
            ),
          );
    });
  tokens
    .command('revoke')
    .description('Revoke an ingest token at once.')
    .requiredOption('--cluster <name>', 'its cluster')
    .requiredOption('--name <name>', 'its name')
    .option('--by <name>', 'who revokes, for the activity trail (default: os:<your account>)')
    .action(async (opts: { cluster: string; name: string; by?: string }) => {
      await withDatabase(async ({ db, pool }) =>
        revokeIngestToken(pool, (await resolveCluster(db, opts.cluster)).id, opts.name, new Date(), cliActor(opts.by)),
      );
      console.log(`Revoked ingest token "${opts.name}" of cluster ${opts.cluster}.`);
    });

  program
    .command('events')
    .description('Runtime events, newest first, attributed to identities where the inventory knows them.')
    .option('--identity <ns/name>', 'only the events of this ServiceAccount')
    .option('--cluster <name>', 'only this cluster')
    .option('--limit <n>', 'at most this many items (default 100)')
    .option('--json', 'print JSON: { total, items }')
    .action(async (opts: { identity?: string; cluster?: string; limit?: string; json?: boolean }) => {
      const filter = parseOptions(eventFilterSchema, opts);
      const page = await withDatabase(({ db }) => listEvents(db, filter));
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
