/**
 * `nhi export`: the datasets as CSV or JSON, or the evidence report as PDF, written into a folder with a
 * SHA256SUMS manifest that `sha256sum -c SHA256SUMS` verifies there. Each export is on the activity trail.
 *
 *   nhi export --format csv --out evidence/ --what findings,exceptions --cluster prod --status all
 *   nhi export --format pdf --cluster prod
 */
import path from 'node:path';
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { invalidInput } from '@/lib/errors';
import { DATASETS, type Dataset } from '@/lib/reports/datasets';
import { exportToDir, type FilterBag } from '@/lib/reports/export';
import { FORMATS, type Format } from '@/lib/reports/format';
import { trailHead } from '@/lib/trail/read';
import { cliActor } from '@/lib/trail/cli-actor';

const FILTER_OPTIONS = [
  'cluster',
  'namespace',
  'owner',
  'kind',
  'severity',
  'owasp',
  'rule',
  'status',
  'state',
  'class',
  'lifetime',
  'since',
  'until',
  'action',
  'actor',
] as const;

interface ExportOptions extends Partial<Record<(typeof FILTER_OPTIONS)[number], string>> {
  format: string;
  out?: string;
  what?: string;
  by?: string;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'Write the inventory, findings, credentials, exceptions and activity trail (CSV, JSON) or the evidence report (PDF) with SHA256SUMS.',
    )
    .requiredOption('--format <format>', 'csv, json or pdf (the evidence report)')
    .option('--out <dir>', 'the folder to write (default: a new nhi-export-<UTC time>)')
    .option('--what <list>', `for csv and json: some of ${DATASETS.join(',')} (default: all)`)
    .option('--cluster <name>', 'only this cluster')
    .option('--namespace <ns>', 'only this namespace (inventory, findings, credentials)')
    .option('--owner <team>', 'only what this team owns, or (none)')
    .option('--kind <kind>', 'inventory: one identity kind')
    .option('--severity <s>', 'findings: one severity')
    .option('--owasp <id>', 'findings: one OWASP NHI item, e.g. NHI7')
    .option('--rule <id>', 'findings: one rule, e.g. NHI-POS-004')
    .option('--status <s>', 'findings: open (default), excepted, resolved or all')
    .option('--state <s>', 'exceptions: active, expired, revoked or all (default)')
    .option('--class <c>', 'credentials: one class')
    .option('--lifetime <l>', 'credentials: short-lived, long-lived or expiring')
    .option('--since <when>', 'trail: from this ISO time or duration back (7d)')
    .option('--until <when>', 'trail: until this ISO time or duration back')
    .option('--action <a>', 'trail: one action')
    .option('--actor <name>', 'trail: one actor')
    .option('--by <name>', 'who exports, for the activity trail (default: os:<your account>)')
    .action(async (opts: ExportOptions) => {
      if (!(FORMATS as readonly string[]).includes(opts.format))
        throw invalidInput(`--format must be csv, json or pdf (got "${opts.format}")`);
      const format = opts.format as Format;
      const what = (opts.what ?? DATASETS.join(','))
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean);
      for (const w of what)
        if (!(DATASETS as readonly string[]).includes(w)) throw invalidInput(`--what: ${w} is not one of ${DATASETS.join(', ')}`);
      const filter: FilterBag = {};
      for (const k of FILTER_OPTIONS) if (opts[k] !== undefined) filter[k] = opts[k]!;
      const now = new Date();
      const dir = path.resolve(
        opts.out ??
          `nhi-export-${now
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d{3}Z$/, 'Z')}`,
      );
      const actor = cliActor(opts.by);
      const { files, head } = await withDatabase(async ({ pool }) => {
        const out = await exportToDir(pool, { format, what: what as Dataset[], filter, dir, actor, now });
        return { files: out.files, head: await trailHead(pool) };
      });
      console.log(`Wrote ${files.length} file(s) and SHA256SUMS to ${dir}:`);
      for (const f of files)
        console.log(`${f.sha256}  ${f.file}  (${f.rows} ${format === 'pdf' ? 'report' : 'rows'}, ${f.bytes} bytes)`);
      if (head)
        console.log(
          `Activity trail head: entry ${head.seq} ${head.hash} (later: npx nhi trail verify --anchor ${head.seq}:${head.hash})`,
        );
      console.log(`Verify: cd ${JSON.stringify(dir)} && sha256sum -c SHA256SUMS`);
    });
}
