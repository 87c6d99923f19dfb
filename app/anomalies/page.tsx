import type { Metadata } from 'next';
import Link from 'next/link';
import { AnomalyTable } from '@/components/anomaly-list';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { RevokeSuppression, SuppressionForm } from '@/components/suppression-form';
import { DETECTOR_IDS, DETECTORS } from '@/lib/behaviour/catalogue';
import {
  ANOMALY_SORTS,
  ANOMALY_STATUSES,
  listAnomalies,
  listSuppressions,
  parseAnomalyFilter,
  type AnomalyFilter,
  type AnomalySort,
} from '@/lib/data/anomalies';
import { ariaSort, nextSort } from '@/lib/http/sort';
import { SortHeader } from '@/components/sort-header';
import { SortInputs } from '@/components/sort-inputs';
import { ExportLinks } from '@/components/export-links';
import { prisma } from '@/lib/db/client';
import { utcTime } from '@/lib/format';
import { filterHref } from '@/lib/http/query';
import { OWASP_NHI_TOP10 } from '@/lib/owasp';
import { FilterError } from '@/components/filter-error';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Anomalies' };

const DEFAULTS = { page: 1, status: 'active' };
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
const href = (f: AnomalyFilter, over: Partial<AnomalyFilter>) => filterHref('/anomalies', { ...f, page: 1, ...over }, DEFAULTS);
/** A sortable column's header (no `sort`: the default order, most severe then newest, marks none). */
function sortHeader(f: AnomalyFilter) {
  return function SortableColumn(column: AnomalySort, label: string) {
    return (
      <SortHeader
        key={column}
        label={label}
        testId={`sort-${column}`}
        sorted={ariaSort(ANOMALY_SORTS, f, column)}
        href={href(f, nextSort(ANOMALY_SORTS, f, column))}
      />
    );
  };
}
const TABS: [AnomalyFilter['status'], string][] = [
  ['active', 'Open and acknowledged'],
  ...ANOMALY_STATUSES.map((s): [AnomalyFilter['status'], string] => [s, s.replace('_', ' ')]),
  ['all', 'All'],
];

export default async function AnomaliesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/anomalies', '/anomalies');
  const scope = teamScope(viewer);
  const { filter, error } = parseAnomalyFilter(await searchParams);
  const db = prisma();
  // Suppression rules are cluster-wide: a service owner sees their teams' anomalies only.
  const [page, suppressions] = await Promise.all([
    listAnomalies(db, filter, undefined, scope),
    scope ? [] : listSuppressions(db),
  ]);
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const count = (s: string) =>
    s === 'all'
      ? Object.values(page.byStatus).reduce((a, b) => a + b, 0)
      : s === 'active'
        ? page.byStatus.open + page.byStatus.acknowledged
        : page.byStatus[s as keyof typeof page.byStatus];
  return (
    <section>
      <h1>Anomalies</h1>
      <p className="muted">
        What the behaviour detectors found in the runtime events: each identity is compared with what it did during its learning
        window and with what its workload class is expected to do. Most severe first.
      </p>
      <nav className="tabs" aria-label="Status">
        {TABS.map(([s, label]) => (
          <Link key={s} href={href(filter, { status: s })} aria-current={filter.status === s ? 'page' : undefined}>
            {label} ({count(s)})
          </Link>
        ))}
      </nav>
      <form className="filters" method="get" action="/anomalies">
        <input type="hidden" name="status" value={filter.status} />
        <input name="identity" placeholder="Identity NS/NAME" defaultValue={filter.identity ?? ''} aria-label="Identity" />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <input name="cluster" placeholder="Cluster" defaultValue={filter.cluster ?? ''} aria-label="Cluster" />
        <FilterSelect
          name="detector"
          label="Detector"
          any="All detectors"
          value={filter.detector}
          options={DETECTOR_IDS.map((d) => [d, DETECTORS[d].title])}
        />
        <FilterSelect
          name="severity"
          label="Severity"
          any="Any severity"
          value={filter.severity}
          options={SEVERITIES.map((s) => [s, s])}
        />
        <FilterSelect
          name="owasp"
          label="OWASP item"
          any="Any OWASP item"
          value={filter.owasp}
          options={Object.entries(OWASP_NHI_TOP10).map(([id, name]) => [id, `${id} ${name}`])}
        />
        <SortInputs sort={filter.sort} dir={filter.dir} />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="anomaly-count">
        {page.total} anomalies
      </p>
      <ExportLinks route="/api/anomalies/export" values={filter} defaults={DEFAULTS} />
      <AnomalyTable items={page.items} sortHeader={sortHeader(filter)} />
      <Pager page={filter.page} pages={pages} href={(p) => filterHref('/anomalies', { ...filter, page: p }, DEFAULTS)} />

      <h2 id="suppressions">Suppression rules ({suppressions.filter((s) => s.active).length} active)</h2>
      <p className="muted">
        A rule keeps matching anomalies out of the open list until it expires (judged by the events&apos; time); they stay listed
        under &quot;suppressed&quot;. Every rule ends.
      </p>
      <SuppressionForm />
      {suppressions.length > 0 && (
        <table className="data" data-testid="suppressions">
          <thead>
            <tr>
              <th>Matches</th>
              <th>Why</th>
              <th>By</th>
              <th>Until</th>
              <th>Anomalies</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {suppressions.map((s) => (
              <tr key={s.id} className={s.active ? '' : 'muted'}>
                <td>
                  {[
                    s.cluster && `cluster ${s.cluster}`,
                    s.detector && DETECTORS[s.detector as keyof typeof DETECTORS]?.title,
                    s.namespace && `namespace ${s.namespace}`,
                    s.name && `name ${s.name}`,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </td>
                <td>{s.reason}</td>
                <td>
                  {s.createdBy} <span className="muted">{utcTime(s.createdAt)}</span>
                </td>
                <td>{s.revokedAt ? `revoked by ${s.revokedBy} ${utcTime(s.revokedAt)}` : utcTime(s.expiresAt)}</td>
                <td>{s.anomalies}</td>
                <td>{s.active && <RevokeSuppression id={s.id} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
