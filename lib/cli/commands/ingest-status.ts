/**
 * `nhi ingest-status`: each cluster's runtime ingestion status, as the overview shows it: a verdict with
 * its reason, last event, rate, rejected items with their reasons, and the gaps of the last 24 hours.
 *
 *   nhi ingest-status
 *   nhi ingest-status --cluster prod --gap-minutes 30 --json
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { clusterNameOption, parseOptions } from '@/lib/cli/options';
import { ingestionQuerySchema, ingestionStatus, type ClusterIngestion } from '@/lib/data/ingestion';
import { durationText } from '@/lib/runtime/status';
import { utcTime } from '@/lib/format';

const utc = (iso: string) => utcTime(iso, 'second');
/** Events per minute: `0`, `<0.01`, `0.42`, `6.7`, `120`. */
const rate = (n: number) =>
  n === 0 ? '0' : n < 0.01 ? '<0.01' : n < 1 ? n.toFixed(2) : n < 10 ? n.toFixed(1) : String(Math.round(n));

/** The lines of one cluster (pure, for the terminal). */
export function ingestionLines(c: ClusterIngestion, now: Date): string[] {
  const lines = [`${c.cluster}\t${c.verdict}\t${c.reason}`];
  if (c.lastEventAt)
    lines.push(
      `  last event   ${utc(c.lastEventAt)} (${durationText(Math.max(0, now.getTime() - Date.parse(c.lastEventAt)))} ago)`,
    );
  lines.push(
    `  rate         ${rate(c.rate.perMinute15m)}/min over 15 min, ${rate(c.rate.perMinute24h)}/min over 24 h (event time)`,
  );
  if (c.lastBatch) {
    const b = c.lastBatch;
    lines.push(
      `  last batch   ${utc(b.receivedAt)} ${b.channel} (${b.source}): ${b.events} events, ${b.inserted} new, ${b.duplicates} duplicates, ${b.rejected} rejected`,
    );
  }
  const d = c.last24h;
  lines.push(`  last 24 h    ${d.batches} batches, ${d.events} events, ${d.duplicates} duplicates, ${d.rejected} rejected`);
  for (const r of c.latestRejections) lines.push(`    rejected ${r.item}: ${r.reason}`);
  for (const g of c.gaps) lines.push(`  gap          ${utc(g.from)} – ${utc(g.to)} (${durationText(g.minutes * 60_000)})`);
  if (c.silentNow) lines.push(`  silent now   since ${utc(c.silentNow.since)} (${durationText(c.silentNow.minutes * 60_000)})`);
  return lines;
}

export function registerIngestStatusCommand(program: Command): void {
  program
    .command('ingest-status')
    .description("Each cluster's runtime ingestion: verdict, last event, rate, rejected items and gaps of the last 24 hours.")
    .option('--cluster <name>', 'only this cluster')
    .option(
      '--gap-minutes <n>',
      'a stretch without events longer than this is a gap, and a last event older is silence (default 10)',
    )
    .option('--rejecting-percent <n>', 'more than this share of the last hour rejected is "rejecting" (default 10)')
    .option('--json', 'print JSON')
    .action(async (opts: { cluster?: string; gapMinutes?: string; rejectingPercent?: string; json?: boolean }) => {
      clusterNameOption(opts.cluster);
      const query = parseOptions(ingestionQuerySchema, {
        cluster: opts.cluster,
        gapMinutes: opts.gapMinutes,
        rejectingPercent: opts.rejectingPercent,
      });
      const now = new Date();
      const status = await withDatabase(({ db }) => ingestionStatus(db, { ...query, now }));
      if (opts.json) console.log(JSON.stringify(status, null, 2));
      else if (!status.clusters.length) console.log('No cluster in the inventory yet.');
      else console.log(status.clusters.map((c) => ingestionLines(c, now).join('\n')).join('\n\n'));
    });
}
