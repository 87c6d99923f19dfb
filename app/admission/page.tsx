import type { Metadata } from 'next';
import Link from 'next/link';
import { FilterError } from '@/components/filter-error';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { pageViewer } from '@/lib/auth/page';
import { ADMISSION_DECISIONS, listAdmissionDecisions, parseAdmissionFilter, workloadIdsOf } from '@/lib/data/admission';
import { listClusters } from '@/lib/data/clusters';
import { prisma } from '@/lib/db/client';
import { utcTime } from '@/lib/format';
import { filterHref } from '@/lib/http/query';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Admission decisions' };

const PILL: Record<string, string> = { denied: 'pill pill-down', warned: 'pill pill-degraded', allowed: 'pill pill-ok' };

export default async function AdmissionPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await pageViewer('/admission', '/admission');
  const db = prisma();
  const { filter, error } = parseAdmissionFilter(await searchParams);
  const [page, clusters] = await Promise.all([listAdmissionDecisions(db, filter), listClusters(db)]);
  const workloads = await workloadIdsOf(db, page.items);
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const { page: _page, ...rest } = filter;
  return (
    <section>
      <h1>Admission decisions</h1>
      <p className="muted">
        What the admission webhook (<code>POST /api/admission/&lt;cluster&gt;</code>) answered the API server: every CREATE and
        UPDATE of ServiceAccounts, roles, bindings and pod controllers, judged with the rules of the deploy-time{' '}
        <Link href="/check">check</Link> in the context of the cluster. In <strong>enforce</strong> mode an open finding at or
        above the threshold is denied with the rule and its fix; in <strong>audit</strong> mode it is allowed with a warning. Dry
        runs are not recorded. Set it up with <code>npx nhi admission config</code> (README, “Admission webhook”).
      </p>
      <form className="filters" method="get" aria-label="Filter the decisions">
        <FilterSelect
          name="cluster"
          label="Cluster"
          any="any cluster"
          value={filter.cluster}
          options={clusters.map((c) => [c.name, c.name] as const)}
        />
        <FilterSelect
          name="decision"
          label="Decision"
          any="any decision"
          value={filter.decision}
          options={ADMISSION_DECISIONS.map((d) => [d, d] as const)}
        />
        <input name="namespace" defaultValue={filter.namespace ?? ''} placeholder="Namespace" aria-label="Namespace" />
        <input name="kind" defaultValue={filter.kind ?? ''} placeholder="Kind" aria-label="Kind" />
        <input name="name" defaultValue={filter.name ?? ''} placeholder="Name starts with" aria-label="Name" />
        <input name="rule" defaultValue={filter.rule ?? ''} placeholder="Rule (NHI-POS-001)" aria-label="Rule" />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="admission-count">
        {page.total} decision{page.total === 1 ? '' : 's'}
      </p>
      {page.items.length ? (
        <table data-testid="admission-decisions">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Cluster</th>
              <th>Decision</th>
              <th>Object</th>
              <th>By</th>
              <th>Rules</th>
              <th>Findings and fixes</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((d) => {
              const workloadId = d.workloadKind
                ? workloads.get(`${d.cluster.id}/${d.namespace}/${d.workloadKind}/${d.workloadName}`)
                : undefined;
              const object = `${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}`;
              return (
                <tr key={d.id} data-decision={d.decision}>
                  <td className="small">{utcTime(d.at)}</td>
                  <td>{d.cluster.name}</td>
                  <td>
                    <span className={PILL[d.decision]}>{d.decision}</span>{' '}
                    <span className="muted small">
                      {d.operation} · {d.mode} ≥ {d.failOn}
                    </span>
                  </td>
                  <td>
                    {workloadId ? <Link href={`/workloads/${workloadId}?timeline=admission#timeline`}>{object}</Link> : object}
                    {d.workloadKind && !workloadId && d.workloadKind !== d.kind && (
                      <span className="muted small">
                        {' '}
                        ({d.workloadKind} {d.workloadName})
                      </span>
                    )}
                  </td>
                  <td className="small">{d.user || '—'}</td>
                  <td>
                    {d.rules.length
                      ? d.rules.map((r, n) => (
                          <span key={r}>
                            {n > 0 && ', '}
                            <Link href={filterHref('/admission', { ...rest, rule: r, page: 1 }, { page: 1, pageSize: 50 })}>
                              {r}
                            </Link>
                          </span>
                        ))
                      : '—'}
                  </td>
                  <td>
                    {d.findings.length ? (
                      <details>
                        <summary>
                          {d.findings.length} finding{d.findings.length === 1 ? '' : 's'}
                        </summary>
                        <ul className="small">
                          {d.findings.map((f, n) => (
                            <li key={n}>
                              <strong>{f.rule}</strong> {f.title} ({f.severity}
                              {f.status === 'excepted' ? ', excepted' : ''}
                              {f.preexisting ? ', already there' : ''}) — {f.subject}. Fix: {f.fix}
                            </li>
                          ))}
                        </ul>
                      </details>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p>No decision matches.</p>
      )}
      <Pager
        page={page.page}
        pages={pages}
        href={(p) => filterHref('/admission', { ...rest, page: p }, { page: 1, pageSize: 50 })}
      />
    </section>
  );
}
