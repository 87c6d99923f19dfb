import type { Metadata } from 'next';
import Link from 'next/link';
import { CoverageTrend } from '@/components/coverage-trend';
import { CredentialTable } from '@/components/credential-table';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { systemClock } from '@/lib/clock';
import { shortLivedShare } from '@/lib/credentials/assess';
import { CLASS_INFO, CREDENTIAL_CLASSES } from '@/lib/credentials/classify';
import {
  CREDENTIAL_PAGE_SIZE,
  credentialCoverage,
  FEDERATED_PAGE_SIZE,
  federatedCredentialPage,
  listCredentials,
  CREDENTIAL_SORTS,
  parseCredentialFilter,
  type CredentialFilter,
  type CredentialSort,
} from '@/lib/data/credentials';
import { ariaSort, nextSort } from '@/lib/http/sort';
import { SortHeader } from '@/components/sort-header';
import { SortInputs } from '@/components/sort-inputs';
import { ExportLinks } from '@/components/export-links';
import { prisma } from '@/lib/db/client';
import { filterHref } from '@/lib/http/query';
import { FilterError } from '@/components/filter-error';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Credentials' };

const PAGE_DEFAULTS = { page: 1, federatedPage: 1 };
const pageHref = (f: CredentialFilter, page: number) => filterHref('/credentials', { ...f, page }, PAGE_DEFAULTS);
const federatedHref = (f: CredentialFilter, federatedPage: number) =>
  `${filterHref('/credentials', { ...f, federatedPage }, PAGE_DEFAULTS)}#federated`;
/** A sortable column's header (no `sort`: the default order, most findings first, marks none). */
function sortHeader(f: CredentialFilter) {
  return function SortableColumn(column: CredentialSort, label: string) {
    return (
      <SortHeader
        key={column}
        label={label}
        testId={`sort-${column}`}
        sorted={ariaSort(CREDENTIAL_SORTS, f, column)}
        href={filterHref(
          '/credentials',
          { ...f, ...nextSort(CREDENTIAL_SORTS, f, column), page: 1, federatedPage: 1 },
          PAGE_DEFAULTS,
        )}
      />
    );
  };
}
const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`);

export default async function CredentialsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/credentials', '/credentials');
  const scope = teamScope(viewer);
  const { filter, error } = parseCredentialFilter(await searchParams);
  const db = prisma();
  const now = systemClock();
  // Coverage and federation are cluster-wide: a service owner sees their teams' credentials only.
  const [{ rows, total }, coverage, federated] = await Promise.all([
    listCredentials(db, filter, now, scope),
    scope ? [] : credentialCoverage(db, filter.cluster),
    scope ? { rows: [], total: 0 } : federatedCredentialPage(db, filter),
  ]);
  const pages = Math.max(1, Math.ceil(total / CREDENTIAL_PAGE_SIZE));
  return (
    <section>
      <h1>Credentials</h1>

      {coverage.map((c) => {
        const cluster = c.scopes.find((s) => s.scopeKind === 'cluster');
        const worst = c.scopes
          .filter((s) => s.scopeKind !== 'cluster' && s.longLived > 0)
          .sort((a, b) => (shortLivedShare(a) ?? 1) - (shortLivedShare(b) ?? 1) || b.longLived - a.longLived)
          .slice(0, 6);
        return (
          <div className="panel coverage" key={c.cluster} data-testid={`coverage-${c.cluster}`}>
            <h2>
              Short-lived API credentials · {c.cluster}{' '}
              <span className="big" data-testid="coverage-share">
                {cluster ? percent(shortLivedShare(cluster)) : '—'}
              </span>
            </h2>
            {cluster && (
              <p className="muted">
                Of {cluster.workloads} workloads, {cluster.shortLived} get a short-lived, pod-bound token, {cluster.longLived} use
                a long-lived token Secret, {cluster.none} have no Kubernetes API credential. Measured{' '}
                {c.at?.slice(0, 16).replace('T', ' ')} UTC.
              </p>
            )}
            <CoverageTrend points={c.trend} />
            {cluster && cluster.longLived === 0 && (
              <p data-testid="coverage-all">No workload uses a long-lived token Secret for the Kubernetes API.</p>
            )}
            {worst.length > 0 && (
              <table className="data compact">
                <thead>
                  <tr>
                    <th>Namespace or team</th>
                    <th>Short-lived</th>
                    <th>Long-lived</th>
                    <th>Share</th>
                  </tr>
                </thead>
                <tbody>
                  {worst.map((s) => (
                    <tr key={`${s.scopeKind}/${s.scope}`}>
                      <td>
                        {s.scopeKind} {s.scope}
                      </td>
                      <td>{s.shortLived}</td>
                      <td>{s.longLived}</td>
                      <td>{percent(shortLivedShare(s))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      })}

      <form className="filters" method="get" action="/credentials">
        <input name="q" placeholder="Search name" defaultValue={filter.q ?? ''} aria-label="Search" />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <input name="owner" placeholder="Owner team" defaultValue={filter.owner ?? ''} aria-label="Owner" />
        <FilterSelect
          name="class"
          label="Class"
          any="All classes"
          value={filter.class}
          options={CREDENTIAL_CLASSES.map((c) => [c, CLASS_INFO[c].title])}
        />
        <FilterSelect
          name="lifetime"
          label="Lifetime"
          any="Any lifetime"
          value={filter.lifetime}
          options={[
            ['long-lived', 'Long-lived'],
            ['expiring', 'Expiring (certificates)'],
            ['short-lived', 'Short-lived'],
          ]}
        />
        <FilterSelect
          name="olderThan"
          label="Age"
          any="Any age"
          value={filter.olderThan}
          options={[30, 90, 180, 365].map((d) => [d, `Older than ${d} days`])}
        />
        <FilterSelect
          name="expiry"
          label="Expiry"
          any="Any expiry"
          value={filter.expiry}
          options={[
            ['expired', 'Expired'],
            ['30d', 'Expires within 30 days'],
            ['90d', 'Expires within 90 days'],
            ['none', 'No expiry'],
          ]}
        />
        <FilterSelect
          name="lastUse"
          label="Last use"
          any="Any last use"
          value={filter.lastUse}
          options={[
            ['recent', 'Used in the last 90 days'],
            ['stale', 'Not used for 90 days'],
            ['unknown', 'Use unknown'],
          ]}
        />
        <label className="check">
          <input type="checkbox" name="findings" value="any" defaultChecked={filter.findings === 'any'} /> with findings
        </label>
        <SortInputs sort={filter.sort} dir={filter.dir} />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="credential-count">
        {total} credentials · metadata only: no value of any Secret is read or stored · last use is known for legacy tokens (the
        API server&apos;s label); for others it shows as unknown until runtime events are ingested
      </p>
      <ExportLinks route="/api/credentials/export" values={{ ...filter, federatedPage: undefined }} defaults={PAGE_DEFAULTS} />
      <CredentialTable rows={rows} sortHeader={sortHeader(filter)} />
      <Pager page={filter.page} pages={pages} href={(p) => pageHref(filter, p)} />

      {federated.total > 0 && (
        <>
          <h2 id="federated">Federated and SPIFFE identities ({federated.total})</h2>
          <p className="muted">
            Short-lived by design: the workload exchanges its projected token for these; no Secret holds them.
          </p>
          <table className="data" data-testid="federated-table">
            <thead>
              <tr>
                <th>ServiceAccount</th>
                <th>Federated to</th>
                <th>Kind</th>
                <th>Workloads</th>
                <th>Read from</th>
              </tr>
            </thead>
            <tbody>
              {federated.rows.map((f) => (
                <tr key={`${f.serviceAccount.id}/${f.link}/${f.target}`}>
                  <td>
                    <Link href={`/identities/${f.serviceAccount.id}`}>
                      {f.serviceAccount.namespace}/{f.serviceAccount.name}
                    </Link>
                  </td>
                  <td>{f.target}</td>
                  <td>{f.link}</td>
                  <td>{f.workloads.map((w) => `${w.kind} ${w.name}`).join(', ') || <span className="muted">none</span>}</td>
                  <td className="muted">{f.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            page={filter.federatedPage}
            pages={Math.max(1, Math.ceil(federated.total / FEDERATED_PAGE_SIZE))}
            href={(p) => federatedHref(filter, p)}
          />
        </>
      )}
    </section>
  );
}
