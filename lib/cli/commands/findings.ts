/**
 * `nhi findings`: the findings of the inventory, open and worst first (posture rules NHI-POS-… and
 * credential rules NHI-CRED-…). Evidence is metadata only: no finding holds a Secret's value.
 *
 *   nhi findings --cluster prod --severity critical
 *   nhi findings --json | jq '.[] | select(.rule == "NHI-POS-004")'
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { printCsv } from '@/lib/cli/csv';
import {
  allFindings,
  FINDING_EXPORT_COLUMNS,
  FINDING_SORTS,
  findingExportRecord,
  findingFilterSchema,
  type FindingRow,
} from '@/lib/data/findings';

interface Options {
  cluster?: string;
  severity?: string;
  rule?: string;
  status?: string;
  sort?: string;
  dir?: string;
  json?: boolean;
  csv?: boolean;
}

const subjectOf = (f: FindingRow) =>
  f.identity
    ? `${f.identity.namespace}/${f.identity.name}`
    : f.workload
      ? `${f.workload.namespace}/${f.workload.kind}/${f.workload.name}`
      : f.credential
        ? `${f.credential.namespace}/${f.credential.name}`
        : scopeText(f);

/** A namespace- or cluster-scoped finding's subject: `namespace <name>` or `cluster`. */
const scopeText = (f: FindingRow) =>
  f.scope?.kind === 'namespace' ? `namespace ${f.scope.namespace}` : f.scope?.kind === 'cluster' ? 'cluster' : '-';

/** One item of `--json`: the named fields first, then the details. */
export function findingJson(f: FindingRow) {
  return {
    rule: f.ruleId,
    severity: f.severity,
    owasp: f.owasp.map((o) => o.id),
    ...(f.identity ? { identity: `${f.identity.namespace}/${f.identity.name}` } : {}),
    ...(f.workload ? { workload: `${f.workload.namespace}/${f.workload.kind}/${f.workload.name}` } : {}),
    ...(f.credential ? { credential: `${f.credential.namespace}/${f.credential.name}` } : {}),
    ...(f.scope ? { scope: scopeText(f) } : {}),
    evidence: f.evidence,
    status: f.status,
    id: f.id,
    cluster: f.cluster,
    title: f.title,
    ...(f.cis ? { cis: f.cis } : {}),
    aliases: f.aliases,
    explanation: f.explanation,
    firstSeenAt: f.firstSeenAt,
    lastSeenAt: f.lastSeenAt,
    resolvedAt: f.resolvedAt,
  };
}

export function registerFindingsCommand(program: Command): void {
  program
    .command('findings')
    .description('Findings (posture and credential rules), open and worst first, with their OWASP NHI item and evidence.')
    .option('--cluster <name>', 'only this cluster')
    .option('--severity <severity>', 'only this severity (critical, high, medium, low, info)')
    .option('--rule <id>', 'only this rule, e.g. NHI-POS-004')
    .option('--status <status>', 'open (default), excepted, resolved or all')
    .option('--sort <column>', `sort by ${Object.keys(FINDING_SORTS).join(', ')} (default: open first, worst first)`)
    .option('--dir <dir>', "asc or desc (default: the column's natural order)")
    .option('--json', 'print JSON')
    .option('--csv', "print CSV (the columns of the Findings page's export)")
    .action(async (opts: Options) => {
      const filter = parseOptions(findingFilterSchema, {
        cluster: opts.cluster,
        severity: opts.severity,
        rule: opts.rule,
        status: opts.status,
        sort: opts.sort,
        dir: opts.dir,
      });
      const rows = await withDatabase(({ db }) => allFindings(db, filter));
      if (opts.csv) {
        await printCsv(rows.map(findingExportRecord), FINDING_EXPORT_COLUMNS);
        return;
      }
      if (opts.json) {
        console.log(JSON.stringify(rows.map(findingJson), null, 2));
        return;
      }
      for (const f of rows) console.log([f.cluster, f.severity, f.ruleId, subjectOf(f), f.title, f.status].join('\t'));
      if (!rows.length) console.log('No finding matches.');
    });
}
