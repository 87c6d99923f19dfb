import type { Metadata } from 'next';
import Link from 'next/link';
import { Pager } from '@/components/pager';
import { FactorTable, RiskScorePill } from '@/components/risk-panel';
import { RiskTrend } from '@/components/risk-trend';
import { HIGH_RISK, listRisk, parseRiskFilter, riskRollups, type RiskFilter, type RiskRollup } from '@/lib/data/risk';
import { prisma } from '@/lib/db/client';
import { filterHref } from '@/lib/http/query';
import { FilterError } from '@/components/filter-error';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Risk' };

const DEFAULTS = { page: 1, pageSize: 50, subject: 'identity', builtIn: false };
const href = (f: RiskFilter, change: Partial<RiskFilter>) => filterHref('/risk', { ...f, page: 1, ...change }, DEFAULTS);

function Rollup({
  title,
  rows,
  link,
  multiCluster = false,
}: {
  title: string;
  rows: RiskRollup[];
  link: (r: RiskRollup) => string;
  multiCluster?: boolean;
}) {
  return (
    <div className="scroll-x">
      <h3>{title}</h3>
      {rows.length ? (
        <table className="data" data-testid={`rollup-${title.toLowerCase()}`}>
          <thead>
            <tr>
              <th scope="col">{title.replace(/s$/, '')}</th>
              <th scope="col" className="num">
                Identities
              </th>
              <th scope="col" className="num">
                Mean
              </th>
              <th scope="col" className="num">
                p90
              </th>
              <th scope="col" className="num">
                Max
              </th>
              <th scope="col" className="num">
                ≥{HIGH_RISK}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, 10).map((r) => (
              <tr key={`${r.cluster ?? ''}/${r.name}`}>
                <td>
                  <Link href={link(r)}>{r.name}</Link>
                  {r.cluster && multiCluster && <span className="muted"> {r.cluster}</span>}
                </td>
                <td className="num">{r.identities}</td>
                <td className="num">{r.mean}</td>
                <td className="num">{r.p90}</td>
                <td className="num">{r.max}</td>
                <td className="num">{r.high}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">Nothing scored yet.</p>
      )}
    </div>
  );
}

export default async function RiskPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/risk', '/risk');
  const scope = teamScope(viewer);
  const { filter, error } = parseRiskFilter(await searchParams);
  const db = prisma();
  const [{ rows, total }, rollups] = await Promise.all([
    listRisk(db, filter, scope),
    riskRollups(db, { cluster: filter.cluster }, scope),
  ]);
  const pages = Math.max(1, Math.ceil(total / filter.pageSize));
  const trend = rollups.trend.filter((t) => !filter.cluster || t.cluster === filter.cluster);
  const clusters = new Set(trend.map((t) => t.cluster));
  return (
    <section>
      <h1>Risk</h1>
      <p className="muted">
        Each score (0–100) is the sum of its factors, each with its points and evidence; weights are versioned in
        public/risk-weights.yaml. Kubernetes&apos; own identities are left out unless asked for.
      </p>
      <div className="grid-3">
        <Rollup title="Clusters" rows={rollups.clusters} link={(r) => href(filter, { cluster: r.name })} />
        <Rollup
          title="Namespaces"
          rows={rollups.namespaces}
          multiCluster={rollups.clusters.length > 1}
          link={(r) => href(filter, { cluster: r.cluster ?? undefined, namespace: r.name })}
        />
        <Rollup title="Teams" rows={rollups.teams} link={(r) => href(filter, { team: r.name })} />
      </div>
      {clusters.size === 1 && (
        <>
          <h3>Trend (identities: mean and max score per day)</h3>
          <RiskTrend
            points={trend.map(({ day, mean, max }) => ({ day, mean, max }))}
            label="Mean and max identity score per day"
          />
        </>
      )}
      <h2>{filter.subject === 'identity' ? 'Identities' : 'Workloads'}, riskiest first</h2>
      <form className="filters" method="get" action="/risk">
        <select name="subject" defaultValue={filter.subject} aria-label="Subjects">
          <option value="identity">Identities</option>
          <option value="workload">Workloads</option>
        </select>
        <input name="cluster" placeholder="Cluster" defaultValue={filter.cluster ?? ''} aria-label="Cluster" />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <input name="team" placeholder="Team, or (none)" defaultValue={filter.team ?? ''} aria-label="Team" />
        <input
          name="min"
          type="number"
          min={0}
          max={100}
          placeholder="Min score"
          defaultValue={filter.min ?? ''}
          aria-label="Minimum score"
        />
        <label>
          <input type="checkbox" name="builtIn" value="true" defaultChecked={filter.builtIn} /> Kubernetes&apos; own
        </label>
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="risk-count">
        {total} scored
      </p>
      <table className="data" data-testid="risk-table">
        <thead>
          <tr>
            <th scope="col" className="num">
              Score
            </th>
            <th scope="col">{filter.subject === 'identity' ? 'Identity' : 'Workload'}</th>
            <th scope="col">Cluster</th>
            <th scope="col">Owner</th>
            <th scope="col">Factors</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td className="num">
                <RiskScorePill score={r.score} />
              </td>
              <td>
                <Link href={`/${r.subject === 'identity' ? 'identities' : 'workloads'}/${r.id}#risk`}>{r.name}</Link>
                {r.kind !== 'ServiceAccount' && <span className="pill pill-muted">{r.kind}</span>}
              </td>
              <td>{r.cluster}</td>
              <td>{r.teams.length ? r.teams.join(', ') : <span className="muted">none</span>}</td>
              <td>
                <details>
                  <summary>
                    {r.factors.length} factor{r.factors.length === 1 ? '' : 's'}
                    {r.factors[0] ? `: ${r.factors[0].name} +${r.factors[0].points}` : ''}
                  </summary>
                  <FactorTable factors={r.factors} score={r.score} />
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!rows.length && <p>No score matches.</p>}
      <Pager page={filter.page} pages={pages} href={(p) => href(filter, { page: p })} />
    </section>
  );
}
