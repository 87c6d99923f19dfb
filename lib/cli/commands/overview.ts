/**
 * `nhi overview`: what the Overview page shows, in the terminal: identity sprawl (by kind, cluster, namespace and
 * team, the unowned share, identities per workload), risk bands and the riskiest identities, paths to
 * cluster-admin, short-lived credential coverage, open anomalies by severity, the machine and human principals of
 * the audit logs, the last days' trends and each cluster's sync and ingestion status. A block that cannot be read
 * prints its error (the exit code is then 1) and the others still print.
 *
 *   nhi overview
 *   nhi overview --cluster prod --json | jq '.risk.data.top'
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { clusterNameOption, parseOptions } from '@/lib/cli/options';
import { resolveCluster } from '@/lib/data/clusters';
import { overview, overviewQuerySchema, type Block, type Overview } from '@/lib/data/overview';

const pct = (part: number, whole: number) => (whole ? `${Math.round((100 * part) / whole)}%` : '—');

/** One block's lines, or its error. */
function section<T>(title: string, b: Block<T> | null, lines: (data: T) => string[]): string[] {
  if (b === null) return [];
  return [title, ...(b.ok ? lines(b.data) : [`  error: ${b.error}`]), ''];
}

/** The overview as text lines (pure). */
export function overviewLines(o: Overview): string[] {
  return [
    ...section('Identity sprawl', o.sprawl, (s) => [
      `  ${s.total} identities (${s.builtIn} of Kubernetes' own not counted), ${s.unowned} unowned (${pct(s.unowned, s.total)})`,
      `  by kind:      ${s.byKind.map((k) => `${k.kind} ${k.identities}`).join(', ') || '—'}`,
      `  by cluster:   ${s.byCluster.map((c) => `${c.cluster} ${c.identities} (${c.unowned} unowned)`).join(', ') || '—'}`,
      `  by namespace: ${
        [
          ...s.byNamespace.map((n) => `${n.namespace} ${n.identities}`),
          ...(s.otherNamespaces.namespaces ? [`${s.otherNamespaces.namespaces} others ${s.otherNamespaces.identities}`] : []),
        ].join(', ') || '—'
      }`,
      `  by team:      ${s.byTeam.map((t) => `${t.team} ${t.identities}`).join(', ') || '—'}`,
      `  identities per workload: ${s.perWorkload.map((p) => `${p.identities}: ${p.workloads}`).join(', ') || '—'}`,
    ]),
    ...section('Risk', o.risk, (r) => [
      `  ${r.scored} scored: ${r.bands.map((b) => `${b.band} ${b.identities}`).join(', ')}`,
      ...r.top.map(
        (t) => `  ${String(t.score).padStart(3)}  ${t.cluster}  ${t.namespace ? `${t.namespace}/` : ''}${t.name} (${t.kind})`,
      ),
    ]),
    ...section('Paths to cluster-admin', o.escalation, (e) =>
      e.rows.length
        ? [
            `  ${e.total} identities${e.total > e.rows.length ? ` (the first ${e.rows.length})` : ''}`,
            ...e.rows.map(
              (r) =>
                `  ${r.distance === 0 ? 'is cluster-admin' : `${r.distance} step${r.distance === 1 ? '' : 's'}`}  ${r.cluster}  ${r.namespace ? `${r.namespace}/` : ''}${r.name}${r.anomalies ? `  ${r.anomalies} active anomalies` : ''}`,
            ),
          ]
        : ['  none'],
    ),
    ...section('Short-lived credential coverage', o.coverage, (c) => [
      `  ${pct(c.total.shortLived, c.total.shortLived + c.total.longLived)} short-lived: ${c.total.shortLived} short-lived, ${c.total.longLived} long-lived, ${c.total.none} none`,
      ...c.rows.map(
        (r) => `  ${r.cluster}${r.scope ? ` ${r.scope}` : ''}: ${pct(r.shortLived, r.shortLived + r.longLived)} (${r.at})`,
      ),
    ]),
    ...section('Open anomalies', o.anomalies, (a) => [
      `  ${a.open} open: ${a.bySeverity.map((s) => `${s.severity} ${s.open}${s.acknowledged ? ` (+${s.acknowledged} acknowledged)` : ''}`).join(', ')}`,
    ]),
    ...section('Principals in the audit logs', o.principals, (p) =>
      p.clusters.length
        ? [
            `  ${p.machine} machine, ${p.human} human`,
            ...p.clusters.map(
              (c) =>
                `  ${c.cluster}: ${c.classes.map((k) => `${k.class} ${k.principals}`).join(', ')} in ${c.events} events${c.since ? ` (${c.since} – ${c.until})` : ''}`,
            ),
          ]
        : ['  no audit event received'],
    ),
    ...section('Trends (per day: identities, mean risk, coverage, anomalies raised)', o.trends, (t) =>
      t.map(
        (p) =>
          `  ${p.day}  ${String(p.identities).padStart(7)}  ${String(p.riskMean ?? '—').padStart(4)}  ${(p.coverage === null ? '—' : `${p.coverage}%`).padStart(5)}  ${p.anomalies}`,
      ),
    ),
    ...section('Clusters', o.clusters, (cs) =>
      cs.map(
        (c) =>
          `  ${c.name}  ${c.source}  last run ${c.lastRunPhase ?? 'never'}${c.lastRunAt ? ` at ${c.lastRunAt}` : ''}  ${c.identities} identities, ${c.workloads} workloads${c.lastRunProblems.length ? `  (${c.lastRunProblems.length} problems)` : ''}`,
      ),
    ),
    ...section('Runtime ingestion', o.ingestion, (rows) =>
      rows.map((r) =>
        r.status.ok
          ? `  ${r.cluster}  ${r.status.data.verdict}  ${r.status.data.reason}`
          : `  ${r.cluster}  error: ${r.status.error}`,
      ),
    ),
  ];
}

/** True when a block (or a cluster's ingestion status) could not be read. */
export function overviewFailed(o: Overview): boolean {
  return (
    Object.values(o).some((b) => b !== null && !b.ok) || (o.ingestion?.ok === true && o.ingestion.data.some((r) => !r.status.ok))
  );
}

export function registerOverviewCommand(program: Command): void {
  program
    .command('overview')
    .description(
      'What the Overview page shows: identity sprawl, risk, paths to cluster-admin, coverage, anomalies, audit principals, trends, cluster status.',
    )
    .option('--cluster <name>', 'only this cluster')
    .option('--days <n>', 'days of the trends (default 30)')
    .option('--json', 'print JSON: every block as { ok: true, data } or { ok: false, error }')
    .action(async (opts: { cluster?: string; days?: string; json?: boolean }) => {
      clusterNameOption(opts.cluster);
      const query = parseOptions(overviewQuerySchema, { cluster: opts.cluster, days: opts.days });
      const o = await withDatabase(async ({ db }) => {
        if (query.cluster) await resolveCluster(db, query.cluster);
        return overview(db, { ...query, now: new Date() });
      });
      if (opts.json) console.log(JSON.stringify(o, null, 2));
      else console.log(overviewLines(o).join('\n').trimEnd());
      if (overviewFailed(o)) process.exitCode = 1;
    });
}
