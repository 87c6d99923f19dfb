/**
 * `nhi credentials`: every machine credential of the inventory with its class, age, expiry, last use and
 * who holds and uses it (metadata only: no command ever prints a Secret's value).
 *
 *   nhi credentials --cluster prod --lifetime long-lived
 *   nhi credentials --json | jq '.[] | select(.ageDays > 365)'
 */
import type { Command } from 'commander';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { printCsv } from '@/lib/cli/csv';
import { identityKey } from '@/lib/keys';
import { systemClock } from '@/lib/clock';
import { CREDENTIAL_CLASSES } from '@/lib/credentials/classify';
import { shortLivedShare } from '@/lib/credentials/assess';
import {
  CREDENTIAL_EXPORT_COLUMNS,
  CREDENTIAL_SORTS,
  credentialExportRecord,
  allCredentials,
  credentialCoverage,
  credentialFilterSchema,
  federatedCredentials,
  type CredentialRow,
  type FederatedCredential,
} from '@/lib/data/credentials';

interface Options {
  cluster?: string;
  namespace?: string;
  class?: string;
  lifetime?: string;
  olderThan?: string;
  json?: boolean;
  sort?: string;
  dir?: string;
  csv?: boolean;
}

/** One line of `--json`: the named fields first, then the details. */
export function credentialJson(c: CredentialRow) {
  return {
    cluster: c.cluster,
    namespace: c.namespace,
    name: c.name,
    class: c.class,
    ageDays: c.ageDays,
    expiresAt: c.expiresAt,
    lastUsedAt: c.lastUsedAt,
    identities: c.identities.map(identityKey),
    workloads: c.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`),
    lifetime: c.lifetime,
    kind: c.kind,
    secretType: c.secretType,
    classReason: c.classReason,
    createdAt: c.createdAt,
    rotatedAt: c.rotatedAt,
    lastUsedSource: c.lastUsedSource,
    owners: c.owners,
    openFindings: c.findings.open,
    ...(c.certificate ? { certificate: c.certificate } : {}),
    ...(c.token ? { token: c.token } : {}),
  };
}

export function federatedJson(f: FederatedCredential) {
  return {
    cluster: f.cluster,
    namespace: f.serviceAccount.namespace,
    name: f.target,
    class: f.class,
    ageDays: null,
    expiresAt: null,
    lastUsedAt: null,
    identities: [identityKey({ kind: 'ServiceAccount', ...f.serviceAccount })],
    workloads: f.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`),
    lifetime: 'short-lived' as const,
    link: f.link,
    provider: f.provider,
    source: f.source,
  };
}

const dayText = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');

export function registerCredentialCommands(program: Command): void {
  program
    .command('credentials')
    .description(
      'Every machine credential (metadata only): class, age, expiry, last use, and the identities and workloads that hold it.',
    )
    .option('--cluster <name>', 'only this cluster')
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('--class <class>', `only this class (${CREDENTIAL_CLASSES.join(', ')})`)
    .option('--lifetime <lifetime>', 'only short-lived, long-lived or expiring credentials')
    .option('--older-than <days>', 'only credentials created or last rotated more than this many days ago')
    .option('--sort <column>', `sort by ${Object.keys(CREDENTIAL_SORTS).join(', ')} (default: most findings, then oldest)`)
    .option('--dir <dir>', "asc or desc (default: the column's natural order)")
    .option('--json', 'print JSON')
    .option('--csv', "print CSV of the credentials (the Credentials page's export columns; metadata only)")
    .action(async (opts: Options) => {
      const filter = parseOptions(credentialFilterSchema, {
        cluster: opts.cluster,
        namespace: opts.namespace,
        class: opts.class,
        lifetime: opts.lifetime,
        olderThan: opts.olderThan,
        sort: opts.sort,
        dir: opts.dir,
      });
      const now = systemClock();
      if (opts.csv) {
        const rows = await withDatabase(({ db }) => allCredentials(db, filter, now));
        await printCsv(rows.map(credentialExportRecord), CREDENTIAL_EXPORT_COLUMNS);
        return;
      }
      const { rows, federated, coverage } = await withDatabase(async ({ db }) => ({
        rows: await allCredentials(db, filter, now),
        federated:
          !filter.class || filter.class === 'workload-identity-federation' || filter.class === 'spiffe-svid'
            ? (await federatedCredentials(db, filter)).filter((f) => !filter.class || f.class === filter.class)
            : [],
        coverage: await credentialCoverage(db, filter.cluster),
      }));
      const fed = filter.lifetime && filter.lifetime !== 'short-lived' ? [] : federated;
      if (opts.json) {
        console.log(JSON.stringify([...rows.map(credentialJson), ...fed.map(federatedJson)], null, 2));
        return;
      }
      for (const c of coverage) {
        const cluster = c.scopes.find((s) => s.scopeKind === 'cluster');
        const share = cluster ? shortLivedShare(cluster) : null;
        if (cluster)
          console.log(
            `${c.cluster}: ${share === null ? 'no workload has an API credential' : `${Math.round(share * 100)}% of workloads with an API credential get a short-lived one`} (${cluster.shortLived} short-lived, ${cluster.longLived} long-lived, ${cluster.none} none)`,
          );
      }
      for (const c of rows)
        console.log(
          [
            c.cluster,
            `${c.namespace}/${c.name}`,
            c.class,
            c.ageDays === null ? 'age -' : `${c.ageDays}d`,
            `expires ${dayText(c.expiresAt)}`,
            `last used ${dayText(c.lastUsedAt)}`,
            c.identities.map((i) => `${i.namespace}/${i.name}`).join(',') || '-',
            `${c.workloads.length} workload(s)`,
            c.findings.open ? `${c.findings.open} finding(s)` : '',
          ]
            .join('\t')
            .trimEnd(),
        );
      for (const f of fed)
        console.log(
          [
            f.cluster,
            `${f.serviceAccount.namespace}/${f.serviceAccount.name} → ${f.target}`,
            f.class,
            `${f.workloads.length} workload(s)`,
          ].join('\t'),
        );
      if (!rows.length && !fed.length) console.log('No credential matches.');
    });
}
