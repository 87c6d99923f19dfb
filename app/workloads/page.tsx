import type { Metadata } from 'next';
import Link from 'next/link';
import { RiskScorePill } from '@/components/risk-panel';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { FilterError } from '@/components/filter-error';
import { SortHeader } from '@/components/sort-header';
import {
  listWorkloads,
  parseWorkloadFilter,
  WORKLOAD_FILTER_DEFAULTS,
  WORKLOAD_PAGE_SIZE,
  workloadKinds,
  type WorkloadFilter,
  type WorkloadSort,
} from '@/lib/data/workloads';
import { prisma } from '@/lib/db/client';
import { filterHref } from '@/lib/http/query';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Workloads' };

const href = (f: WorkloadFilter, change: Partial<WorkloadFilter>) =>
  filterHref('/workloads', { ...f, ...change }, WORKLOAD_FILTER_DEFAULTS);

/** A sortable column's header: sorts by it (again: the other way; numbers first highest, names A to Z). */
function Sortable({ f, sort, label, num }: { f: WorkloadFilter; sort: WorkloadSort; label: string; num?: boolean }) {
  const active = f.sort === sort;
  const dir = active ? (f.dir === 'asc' ? 'desc' : 'asc') : num ? 'desc' : 'asc';
  return (
    <SortHeader
      label={label}
      href={href(f, { sort, dir, page: 1 })}
      sorted={active ? (f.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
      className={num ? 'num' : undefined}
      testId={`sort-${sort}`}
    />
  );
}

export default async function WorkloadsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/workloads', '/workloads');
  const { filter, error } = parseWorkloadFilter(await searchParams);
  const db = prisma();
  const [{ rows, total }, teams, clusters] = await Promise.all([
    listWorkloads(db, filter, teamScope(viewer)),
    db.team.findMany({ select: { name: true }, orderBy: { name: 'asc' }, take: 500 }),
    db.cluster.findMany({ select: { name: true }, orderBy: { name: 'asc' }, take: 500 }),
  ]);
  const pages = Math.max(1, Math.ceil(total / WORKLOAD_PAGE_SIZE));
  return (
    <section>
      <h1>Workloads</h1>
      <form className="filters" method="get" action="/workloads" data-testid="workload-filters">
        <input name="q" placeholder="Search name or namespace" defaultValue={filter.q ?? ''} aria-label="Search" />
        <FilterSelect
          name="cluster"
          label="Cluster"
          any="All clusters"
          value={filter.cluster}
          options={clusters.map((c) => [c.name, c.name])}
        />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <FilterSelect name="kind" label="Kind" any="All kinds" value={filter.kind} options={workloadKinds.map((k) => [k, k])} />
        <FilterSelect
          name="team"
          label="Owner"
          any="Any owner"
          value={filter.team}
          options={[['(none)', 'Unowned'], ...teams.map((t) => [t.name, t.name] as const)]}
        />
        <label className="check">
          <input type="checkbox" name="findings" value="open" defaultChecked={filter.findings === 'open'} /> with open findings
        </label>
        <label className="check">
          <input type="checkbox" name="risk" value="cluster-admin" defaultChecked={filter.risk === 'cluster-admin'} /> runs as an
          account that can reach cluster-admin
        </label>
        <label className="check">
          <input type="checkbox" name="deleted" value="show" defaultChecked={filter.deleted === 'show'} /> include deleted
        </label>
        {filter.sort !== 'name' && <input type="hidden" name="sort" value={filter.sort} />}
        {filter.dir !== 'asc' && <input type="hidden" name="dir" value={filter.dir} />}
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="workload-count">
        {total.toLocaleString('en')} workload{total === 1 ? '' : 's'}
      </p>
      {rows.length === 0 ? (
        <p className="empty-state" data-testid="workload-empty">
          {total === 0 ? 'No workload matches this filter.' : 'No workload on this page.'}{' '}
          <Link href="/workloads">Show all workloads</Link>
        </p>
      ) : (
        <table className="data" data-testid="workload-table">
          <caption className="sr-only">Workloads, sorted by {filter.sort}</caption>
          <thead>
            <tr>
              <Sortable f={filter} sort="risk" label="Risk" num />
              <Sortable f={filter} sort="name" label="Workload" />
              <Sortable f={filter} sort="kind" label="Kind" />
              <Sortable f={filter} sort="cluster" label="Cluster" />
              <th>Runs as</th>
              <th>Owner</th>
              <Sortable f={filter} sort="pods" label="Pods" num />
              <Sortable f={filter} sort="findings" label="Open findings" num />
              <Sortable f={filter} sort="seen" label="Last seen" />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} className={r.deleted ? 'muted' : undefined}>
                <td className="num">{r.risk === null ? <span className="muted">—</span> : <RiskScorePill score={r.risk} />}</td>
                <td>
                  <Link href={`/workloads/${r.id}`}>
                    {r.namespace}/{r.name}
                  </Link>
                  {r.deleted && <span className="pill pill-down"> deleted</span>}
                </td>
                <td>{r.kind}</td>
                <td>{r.cluster}</td>
                <td>
                  {r.runsAs.length === 0 ? (
                    <span className="muted">{r.serviceAccountName ?? 'default'} (not in the inventory)</span>
                  ) : (
                    r.runsAs.map((i, n) => (
                      <span key={i.id}>
                        {n > 0 && ', '}
                        <Link href={`/identities/${i.id}`}>{i.name}</Link>
                        {i.reachesClusterAdmin && <span className="pill sev-critical"> can reach cluster-admin</span>}
                      </span>
                    ))
                  )}
                </td>
                <td>{r.owners.length ? r.owners.join(', ') : <span className="muted">unowned</span>}</td>
                <td className="num">{r.podCount}</td>
                <td className="num">
                  {r.openFindings > 0 ? (
                    <Link href={`/workloads/${r.id}#findings`} className="pill sev-high">
                      {r.openFindings}
                    </Link>
                  ) : (
                    <span className="muted">0</span>
                  )}
                </td>
                <td className="small">{r.lastSeenAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={filter.page} pages={pages} href={(p) => href(filter, { page: p })} />
    </section>
  );
}
