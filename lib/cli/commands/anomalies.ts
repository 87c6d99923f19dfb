/**
 * `nhi anomalies`: what the behaviour detectors raised (lib/behaviour), and the workflow on it.
 *
 *   nhi anomalies [--json] [--identity NS/NAME] [--cluster NAME] [--status S] [--detector D] [--severity S]
 *   nhi anomalies show ID [--json]
 *   nhi anomalies ack|false-positive|resolve|reopen ID --by NAME [--note TEXT]
 *   nhi anomalies detect [--cluster NAME] [--profiles FILE] [--relearn]
 *   nhi anomalies suppress --by NAME --reason TEXT --days N [--cluster C] [--detector D] [--namespace NS] [--name SA]
 *   nhi anomalies suppressions [--json]  ·  nhi anomalies unsuppress ID --by NAME
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { printCsv } from '@/lib/cli/csv';
import { detectStored } from '@/lib/behaviour/engine';
import { afterAnomalyDecision, afterDetection } from '@/lib/findings/runtime';
import { loadProfiles, profilesLabel } from '@/lib/behaviour/profiles';
import {
  ANOMALY_EXPORT_COLUMNS,
  ANOMALY_SORTS,
  anomalyExportRecord,
  allAnomalies,
  anomalyFilterSchema,
  createSuppression,
  getAnomaly,
  listSuppressions,
  revokeSuppression,
  setAnomalyStatus,
  statusChangeSchema,
  suppressionSchema,
  type AnomalyItem,
  type StatusChange,
} from '@/lib/data/anomalies';
import { resolveCluster } from '@/lib/data/clusters';
import { invalidInput, notFound } from '@/lib/errors';
import { WORKLOAD_CLASSES } from '@/lib/behaviour/workload-class';
import { OBJECT_NAME } from '@/lib/keys';
import { classChangeSchema, setWorkloadClass } from '@/lib/data/workloads';
import { utcTime } from '@/lib/format';

/** The plain table: one line per anomaly. */
export function anomalyTable(items: readonly AnomalyItem[]): string {
  const header = ['SEVERITY', 'STATUS', 'IDENTITY', 'DETECTOR', 'OWASP', 'EVENTS', 'LAST SEEN', 'WHAT', 'ID'];
  const rows = items.map((a) => [
    a.severity,
    a.status,
    a.identity,
    a.detector,
    a.owasp.join(','),
    String(a.eventCount),
    utcTime(a.lastEventAt, 'second'),
    a.summary.length > 70 ? `${a.summary.slice(0, 69)}…` : a.summary,
    a.id,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** What `--json` prints per anomaly: the named fields first. */
const itemJson = (a: AnomalyItem) => ({
  identity: a.identity,
  detector: a.detector,
  severity: a.severity,
  owasp: a.owasp,
  eventIds: a.eventIds,
  status: a.status,
  id: a.id,
  cluster: a.cluster,
  title: a.title,
  summary: a.summary,
  workload: a.workload,
  eventCount: a.eventCount,
  firstEventAt: a.firstEventAt,
  lastEventAt: a.lastEventAt,
  statusBy: a.statusBy,
  statusAt: a.statusAt,
});

const STATUS_COMMANDS: [string, StatusChange['status'], string][] = [
  ['ack', 'acknowledged', 'Acknowledge an anomaly (seen, being looked at).'],
  [
    'false-positive',
    'false_positive',
    "Mark an anomaly a false positive: it feeds the identity's baseline and is not raised again.",
  ],
  ['resolve', 'resolved', 'Mark an anomaly resolved (fixed); it reopens if the behaviour comes back.'],
  ['reopen', 'open', 'Open an anomaly again.'],
];

const WORKLOAD_REF = new RegExp(`^(${OBJECT_NAME})/([A-Za-z]+)/(${OBJECT_NAME})$`);

export function registerAnomalyCommands(program: Command): void {
  program
    .command('workload-class')
    .description(
      "Set a workload's class as its owner (its baseline is then tuned by that class), or `auto` to decide it from its facts.",
    )
    .argument('<workload>', 'NAMESPACE/KIND/NAME, e.g. shop/Deployment/api')
    .argument('<class>', `one of ${WORKLOAD_CLASSES.join(', ')}, or auto`)
    .requiredOption('--by <name>', 'who decides')
    .option('--reason <text>', 'why')
    .option('--cluster <name>', 'its cluster (default: the only one)')
    .action(async (ref: string, cls: string, opts: { by: string; reason?: string; cluster?: string }) => {
      const m = WORKLOAD_REF.exec(ref);
      if (!m) throw invalidInput(`expected NAMESPACE/KIND/NAME, e.g. shop/Deployment/api (got "${ref}")`);
      const change = parseOptions(classChangeSchema, { class: cls, by: opts.by, reason: opts.reason });
      await withDatabase(async ({ db }) => {
        const cluster = await resolveCluster(db, opts.cluster);
        const w = await db.workload.findFirst({
          where: { clusterId: cluster.id, namespace: m[1], kind: m[3], name: m[4], deletedAt: null },
          select: { id: true },
        });
        if (!w) throw notFound(`no workload ${ref} in cluster ${cluster.name}`);
        await setWorkloadClass(db, w.id, change);
      });
      console.log(`${ref}: class ${change.class === 'auto' ? 'decided from its facts' : change.class} (by ${change.by})`);
    });

  const anomalies = program
    .command('anomalies')
    // `nhi anomalies show ID --json`: --json there is show's, not the list's (the program's are positional too).
    .enablePositionalOptions()
    .description('Anomalies the behaviour detectors raised, most severe first (default: open and acknowledged).')
    .option('--identity <ns/name>', 'only this ServiceAccount')
    .option('--cluster <name>', 'only this cluster')
    .option('--status <status>', 'active (default), all, open, acknowledged, false_positive, resolved or suppressed')
    .option('--detector <id>', 'only this detector, e.g. secret-access')
    .option('--severity <s>', 'only this severity')
    .option('--sort <column>', `sort by ${Object.keys(ANOMALY_SORTS).join(', ')} (default: most severe, then newest)`)
    .option('--dir <dir>', "asc or desc (default: the column's natural order)")
    .option('--json', 'print JSON: a list of { identity, detector, severity, owasp, eventIds, status, … }')
    .option('--csv', "print CSV (the Anomalies page's export columns)")
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const { json, csv, ...rest } = opts;
      const f = parseOptions(anomalyFilterSchema.omit({ page: true }), rest);
      const items = await withDatabase(async ({ db }) => {
        if (f.cluster) await resolveCluster(db, f.cluster);
        return allAnomalies(db, f);
      });
      if (csv) await printCsv(items.map(anomalyExportRecord), ANOMALY_EXPORT_COLUMNS);
      else if (json) console.log(JSON.stringify(items.map(itemJson), null, 2));
      else console.log(items.length ? anomalyTable(items) : 'No anomaly matches.');
    });

  anomalies
    .command('show')
    .description('One anomaly: its explanation, facts, history and evidence events.')
    .argument('<id>', 'the anomaly id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const a = await withDatabase(({ db }) => getAnomaly(db, id));
      if (!a) throw notFound(`no anomaly ${id}`);
      if (opts.json) return void console.log(JSON.stringify(a, null, 2));
      console.log(`${a.severity.toUpperCase()} ${a.title}: ${a.identity} (${a.cluster}) — ${a.status}`);
      console.log(`${a.explanation}\nOWASP NHI Top 10: ${a.owasp.join(', ')}`);
      if (a.context.class)
        console.log(`Judged as ${a.context.class} (${a.context.classReason}) under profiles ${a.context.profiles}`);
      for (const h of a.history)
        console.log(`  ${utcTime(h.at, 'second')}  ${h.status} by ${h.by}${h.note ? `: ${h.note}` : ''}`);
      console.log(`\nEvidence (${a.eventCount} events; the first ${a.events.length}):`);
      for (const e of a.events)
        console.log(
          `  ${utcTime(e.at, 'second')}  ${e.verb ?? ''} ${e.resource ?? e.path ?? ''} ${[e.namespace, e.name].filter(Boolean).join('/')} → ${e.responseCode ?? ''}  from ${e.sourceIp ?? '?'} ${e.userAgent ?? ''}  ${e.key}`,
        );
    });

  for (const [name, status, description] of STATUS_COMMANDS)
    anomalies
      .command(name)
      .description(description)
      .argument('<id>', 'the anomaly id')
      .requiredOption('--by <name>', 'who decides (recorded with the time)')
      .option('--note <text>', 'why')
      .action(async (id: string, opts: { by: string; note?: string }) => {
        const change = parseOptions(statusChangeSchema, { status, by: opts.by, note: opts.note });
        const a = await withDatabase(async ({ db, pool }) => {
          const changed = await setAnomalyStatus(db, id, change);
          await afterAnomalyDecision(pool, changed);
          return changed;
        });
        console.log(`${a.id}: ${a.status} by ${a.statusBy} at ${utcTime(a.statusAt!, 'second')}`);
      });

  anomalies
    .command('detect')
    .description('Run the detectors again over every stored event of a cluster (after changing the profiles).')
    .option('--cluster <name>', 'the cluster (default: the only one)')
    .option('--profiles <file>', 'behaviour profiles (default: NHI_BEHAVIOUR_PROFILES, else the built-in ones)')
    .option('--relearn', 'learn every baseline again from its learning window (false positives fed back are kept)')
    .action(async (opts: { cluster?: string; profiles?: string; relearn?: boolean }) => {
      const profiles = loadProfiles(opts.profiles);
      const r = await withDatabase(async ({ db, pool }) => {
        const cluster = await resolveCluster(db, opts.cluster);
        const found = await detectStored(pool, cluster.id, { profiles, relearn: opts.relearn });
        await afterDetection(pool, cluster.id, 'all', new Date());
        return found;
      });
      console.log(
        `${r.subjects} identities checked under profiles ${profilesLabel(profiles)}: ${r.raised} anomalies raised or given new evidence (${r.created} new)`,
      );
    });

  anomalies
    .command('suppress')
    .description('Suppress matching anomalies until an expiry (they stay listed under --status suppressed).')
    .requiredOption('--by <name>', 'who decides')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--days <n>', 'how long, 1–365 days')
    .option('--cluster <name>', 'only this cluster')
    .option('--detector <id>', 'only this detector')
    .option('--namespace <ns>', "only this namespace's ServiceAccounts")
    .option('--name <name>', 'only ServiceAccounts of this name (* as a wildcard)')
    .action(async (opts: Record<string, string | undefined>) => {
      const input = parseOptions(suppressionSchema, opts);
      const s = await withDatabase(({ db }) => createSuppression(db, input));
      console.log(`suppression ${s.id} until ${utcTime(s.expiresAt)}: ${s.anomalies} anomalies suppressed now`);
    });

  anomalies
    .command('suppressions')
    .description('The suppression rules, with who made them, why, and until when.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withDatabase(({ db }) => listSuppressions(db));
      if (opts.json) return void console.log(JSON.stringify(rows, null, 2));
      if (!rows.length) return void console.log('No suppression rule.');
      for (const s of rows)
        console.log(
          `${s.id}  ${s.active ? 'active' : s.revokedAt ? `revoked by ${s.revokedBy}` : 'expired'}  until ${utcTime(s.expiresAt)}  ` +
            `${[s.cluster, s.detector, s.namespace, s.name].map((v) => v ?? '*').join(' ')}  by ${s.createdBy}: ${s.reason} (${s.anomalies} anomalies)`,
        );
    });

  anomalies
    .command('unsuppress')
    .description('Revoke a suppression rule now; what it suppressed is open again.')
    .argument('<id>', 'the rule id')
    .requiredOption('--by <name>', 'who decides')
    .action(async (id: string, opts: { by: string }) => {
      await withDatabase(({ db }) => revokeSuppression(db, id, opts.by));
      console.log(`suppression ${id} revoked`);
    });
}
