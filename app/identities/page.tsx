import type { Metadata } from 'next';
import Link from 'next/link';
import { RiskScorePill } from '@/components/risk-panel';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { SeverityPill } from '@/components/severity';
import {
  IDENTITY_SORTS,
  identityKinds,
  listIdentities,
  PAGE_SIZE,
  parseIdentityFilter,
  type IdentityFilter,
  type IdentitySort,
} from '@/lib/data/identities';
import { ariaSort, nextSort } from '@/lib/http/sort';
import { SortHeader } from '@/components/sort-header';
import { ExportLinks } from '@/components/export-links';
import { SortInputs } from '@/components/sort-inputs';
import { prisma } from '@/lib/db/client';
import { filterHref } from '@/lib/http/query';
import { FilterError } from '@/components/filter-error';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Identities' };

const DEFAULTS = { page: 1, builtIn: 'hide', deleted: 'hide' };
const pageHref = (f: IdentityFilter, page: number) => filterHref('/identities', { ...f, page }, DEFAULTS);

/** A sortable column's header: no `sort` is the riskiest-first order, shown as Risk descending. */
function Sortable({
  f,
  column,
  label,
  className,
}: {
  f: IdentityFilter;
  column: IdentitySort;
  label: string;
  className?: string;
}) {
  const current = { sort: f.sort ?? 'risk', dir: f.sort ? f.dir : ('desc' as const) };
  return (
    <SortHeader
      label={label}
      className={className}
      testId={`sort-${column}`}
      sorted={ariaSort(IDENTITY_SORTS, current, column)}
      href={filterHref('/identities', { ...f, ...nextSort(IDENTITY_SORTS, current, column), page: 1 }, DEFAULTS)}
    />
  );
}

export default async function IdentitiesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/identities', '/identities');
  const { filter, error } = parseIdentityFilter(await searchParams);
  const { rows, total } = await listIdentities(prisma(), filter, teamScope(viewer));
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <section>
      <h1>Identities</h1>
      <form className="filters" method="get" action="/identities">
        <input name="q" placeholder="Search name or namespace" defaultValue={filter.q ?? ''} aria-label="Search" />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <FilterSelect name="kind" label="Kind" any="All kinds" value={filter.kind} options={identityKinds.map((k) => [k, k])} />
        <FilterSelect
          name="risk"
          label="Risk"
          any="Any risk"
          value={filter.risk}
          options={[
            ['cluster-admin', 'Can become cluster-admin'],
            ['critical', 'Critical capabilities'],
            ['high', 'High or critical'],
            ['any', 'Any sensitive capability'],
          ]}
        />
        <label className="check">
          <input type="checkbox" name="builtIn" value="show" defaultChecked={filter.builtIn === 'show'} /> include built-in
        </label>
        <SortInputs sort={filter.sort} dir={filter.dir} />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="identity-count">
        {total} identities
      </p>
      <ExportLinks route="/api/identities/export" values={filter} defaults={DEFAULTS} />
      <table className="data" data-testid="identity-table">
        <thead>
          <tr>
            <Sortable f={filter} column="risk" label="Risk" className="num" />
            <Sortable f={filter} column="name" label="Identity" />
            <Sortable f={filter} column="namespace" label="Namespace" />
            <th>Kind</th>
            <Sortable f={filter} column="cluster" label="Cluster" />
            <th>Owner</th>
            <Sortable f={filter} column="workloads" label="Workloads" />
            <th>Sensitive capabilities</th>
            <th>Worst</th>
            <th>Path to cluster-admin</th>
            <Sortable f={filter} column="anomalies" label="Anomalies" />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td className="num">{r.risk === null ? <span className="muted">—</span> : <RiskScorePill score={r.risk} />}</td>
              <td>
                <Link href={`/identities/${r.id}`}>
                  {r.namespace ? `${r.namespace}/` : ''}
                  {r.name}
                </Link>
                {r.builtIn && <span className="pill pill-muted"> built-in</span>}
              </td>
              <td>{r.namespace || <span className="muted">—</span>}</td>
              <td>{r.kind}</td>
              <td>{r.cluster}</td>
              <td>{r.owners.length ? r.owners.join(', ') : <span className="muted">unowned</span>}</td>
              <td>{r.workloads}</td>
              <td>{r.capabilityCount ?? <span className="muted">—</span>}</td>
              <td>
                <SeverityPill severity={r.maxSeverity} />
              </td>
              <td>
                {r.reachesClusterAdmin ? (
                  <span className="pill sev-critical">
                    {r.escalationDistance === 0
                      ? 'is cluster-admin'
                      : `${r.escalationDistance} step${r.escalationDistance === 1 ? '' : 's'}`}
                  </span>
                ) : r.reachesClusterAdmin === false ? (
                  <span className="muted">none</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                {r.anomalies > 0 ? (
                  <Link href={`/anomalies?identityId=${r.id}`} className="pill sev-high" title="open and acknowledged anomalies">
                    {r.anomalies}
                  </Link>
                ) : (
                  <span className="muted">0</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!rows.length && <p className="empty-state">No identity matches.</p>}
      <Pager page={filter.page} pages={pages} href={(p) => pageHref(filter, p)} />
    </section>
  );
}
