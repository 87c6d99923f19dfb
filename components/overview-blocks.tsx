/**
 * The overview's blocks as the page shows them (app/page.tsx): each has a heading, and a loading, an empty and an
 * error state. Charts come from overview-chart.tsx (client) with a table of the same numbers.
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import type {
  AnomalySummary,
  CoverageSummary,
  IngestionBlock,
  PrincipalSummary,
  RiskSummary,
  Sprawl,
  TrendPoint,
} from '@/lib/data/overview';
import { utcTime } from '@/lib/format';
import { RiskScorePill } from './risk-panel';
import { SeverityPill } from './severity';
import { OverviewBars, OverviewTrends } from './overview-chart';

const pct = (part: number, whole: number) => (whole ? Math.round((100 * part) / whole) : 0);

/** A block: its heading, then its content. */
export function OverviewBlock({ title, id, children }: { title: string; id: string; children: ReactNode }) {
  return (
    <section className="overview-block" aria-labelledby={`${id}-title`} data-testid={`overview-${id}`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

export function BlockError({ what, error }: { what: string; error: string }) {
  return (
    <div className="panel" role="alert" data-testid="block-error">
      <p>
        <strong>The {what} could not be shown.</strong> {error}
      </p>
      <p className="muted small">
        The other parts of the page are not affected. Reload to try again; <a href="/api/health">/api/health</a> says whether the
        database is reachable.
      </p>
    </div>
  );
}

export function SprawlView({ s }: { s: Sprawl }) {
  if (s.total === 0) return <p className="muted">No identity to count (Kubernetes&apos; own are left out).</p>;
  const namespaces = [
    ...s.byNamespace.map((n) => ({
      label: s.byCluster.length > 1 ? `${n.cluster}/${n.namespace}` : n.namespace,
      value: n.identities,
    })),
    ...(s.otherNamespaces.namespaces
      ? [{ label: `${s.otherNamespaces.namespaces} other namespaces`, value: s.otherNamespaces.identities }]
      : []),
  ];
  return (
    <>
      <p data-testid="sprawl-summary">
        <strong>{s.total}</strong> identities
        {s.builtIn > 0 && <span className="muted"> (and {s.builtIn} of Kubernetes&apos; own, not counted)</span>};{' '}
        <Link href="/ownership">
          <strong>{s.unowned}</strong> unowned ({pct(s.unowned, s.total)}%)
        </Link>
        : no team answers for them.
      </p>
      <div className="grid-3">
        <OverviewBars
          title="Identities by kind"
          unit="identities"
          testId="sprawl-kind"
          bars={s.byKind.map((k) => ({ label: k.kind, value: k.identities }))}
        />
        <OverviewBars
          title="Identities by cluster"
          unit="identities"
          testId="sprawl-cluster"
          bars={s.byCluster.map((c) => ({ label: c.cluster, value: c.identities }))}
        />
        <OverviewBars title="Identities by namespace" unit="identities" testId="sprawl-namespace" bars={namespaces} />
        <OverviewBars
          title="Identities by team"
          unit="identities"
          testId="sprawl-team"
          color="var(--chart-5)"
          bars={[
            ...s.byTeam.map((t) => ({ label: t.team, value: t.identities })),
            ...(s.unowned ? [{ label: '(no owner)', value: s.unowned }] : []),
          ]}
        />
        <OverviewBars
          title="Workloads by number of identities"
          unit="workloads"
          testId="sprawl-per-workload"
          color="var(--chart-4)"
          bars={s.perWorkload.map((p) => ({
            label: `${p.identities} identit${p.identities === '1' ? 'y' : 'ies'}`,
            value: p.workloads,
          }))}
        />
      </div>
      <p className="muted small">
        A workload&apos;s identities: the ServiceAccounts it runs as and the cloud identities and SPIFFE IDs those are federated
        to.
      </p>
    </>
  );
}

export function RiskView({ r }: { r: RiskSummary }) {
  if (r.scored === 0) return <p className="muted">No identity is scored yet (scores are computed after each collection).</p>;
  return (
    <div className="grid-3">
      <OverviewBars
        title="Identities by risk band"
        unit="identities"
        testId="risk-bands"
        color="var(--chart-2)"
        bars={r.bands.map((b) => ({ label: `${b.band} (${b.min}–${b.max})`, value: b.identities }))}
      />
      <div>
        <h3 className="small muted">The {r.top.length} riskiest identities</h3>
        <table className="data compact" data-testid="top-risks">
          <thead>
            <tr>
              <th scope="col">Score</th>
              <th scope="col">Identity</th>
              <th scope="col">Cluster</th>
            </tr>
          </thead>
          <tbody>
            {r.top.map((t) => (
              <tr key={t.id}>
                <td>
                  <RiskScorePill score={t.score} />
                </td>
                <td>
                  <Link href={`/identities/${t.id}`}>
                    {t.namespace ? `${t.namespace}/` : ''}
                    {t.name}
                  </Link>{' '}
                  <span className="muted small">{t.kind}</span>
                </td>
                <td>{t.cluster}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="small">
          <Link href="/risk">Every score, with its factors</Link>
        </p>
      </div>
    </div>
  );
}

export function CoverageView({ c, scoped }: { c: CoverageSummary; scoped: boolean }) {
  if (!c.rows.length)
    return <p className="muted">No coverage yet: it is computed after each collection{scoped ? ' for your teams' : ''}.</p>;
  const withApi = c.total.shortLived + c.total.longLived;
  return (
    <>
      <p data-testid="coverage-summary">
        <strong>{pct(c.total.shortLived, withApi)}%</strong> of the {withApi} workloads that get a Kubernetes API credential get a
        short-lived one ({c.total.shortLived} short-lived, {c.total.longLived} long-lived token Secrets; {c.total.none} get none).
      </p>
      <table className="data compact" data-testid="coverage-rows">
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            {scoped && <th scope="col">Team</th>}
            <th scope="col">Short-lived</th>
            <th scope="col">Long-lived</th>
            <th scope="col">None</th>
            <th scope="col">Coverage</th>
            <th scope="col">Collected</th>
          </tr>
        </thead>
        <tbody>
          {c.rows.map((r) => (
            <tr key={`${r.cluster}/${r.scope}`}>
              <td>{r.cluster}</td>
              {scoped && <td>{r.scope}</td>}
              <td>{r.shortLived}</td>
              <td>{r.longLived}</td>
              <td>{r.none}</td>
              <td>{pct(r.shortLived, r.shortLived + r.longLived)}%</td>
              <td className="small">{utcTime(r.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small">
        <Link href="/credentials">Credentials and coverage per namespace and team</Link>
      </p>
    </>
  );
}

export function AnomalyView({ a }: { a: AnomalySummary }) {
  const acknowledged = a.bySeverity.reduce((n, s) => n + s.acknowledged, 0);
  if (a.open + acknowledged === 0) return <p className="muted">No open anomaly.</p>;
  return (
    <table className="data compact" data-testid="anomaly-severities">
      <caption className="small muted">
        {a.open} open, {acknowledged} acknowledged
      </caption>
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">Open</th>
          <th scope="col">Acknowledged</th>
        </tr>
      </thead>
      <tbody>
        {a.bySeverity.map((s) => (
          <tr key={s.severity}>
            <td>
              <SeverityPill severity={s.severity} />
            </td>
            <td>
              {s.open ? (
                <Link href={`/anomalies?status=open&severity=${s.severity}`}>{s.open}</Link>
              ) : (
                <span className="muted">0</span>
              )}
            </td>
            <td>{s.acknowledged || <span className="muted">0</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const CLASS_TITLE = {
  serviceaccount: 'ServiceAccounts',
  node: 'nodes',
  system: "Kubernetes' own (system:*)",
  human: 'people and other users',
} as const;

export function PrincipalsView({ p }: { p: PrincipalSummary }) {
  if (!p.clusters.length) return <p className="muted">No audit event has been received yet (see Runtime ingestion below).</p>;
  return (
    <>
      <p data-testid="principals-summary">
        <strong>{p.machine}</strong> machine principals and <strong>{p.human}</strong> human ones called the API servers.
      </p>
      <table className="data compact" data-testid="principals">
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            <th scope="col">Window read</th>
            {Object.values(CLASS_TITLE).map((t) => (
              <th key={t} scope="col">
                {t}
              </th>
            ))}
            <th scope="col">Most active people</th>
          </tr>
        </thead>
        <tbody>
          {p.clusters.map((c) => (
            <tr key={c.cluster}>
              <td>{c.cluster}</td>
              <td className="small">
                {c.events} events{c.since && c.until ? `, ${utcTime(c.since)} – ${utcTime(c.until)}` : ''}
              </td>
              {c.classes.map((k) => (
                <td key={k.class}>
                  {k.principals} <span className="muted small">({k.events} calls)</span>
                </td>
              ))}
              <td className="small">
                {c.topHumans.length ? (
                  c.topHumans.map((h) => `${h.username} (${h.events})`).join(', ')
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        Read from each cluster&apos;s newest audit events (at most 20,000, within a day of its last event), counted by user name.
      </p>
    </>
  );
}

export function TrendsView({ t }: { t: TrendPoint[] }) {
  if (!t.length) return <p className="muted">No day to show.</p>;
  return <OverviewTrends points={t} />;
}

/** The clusters whose ingestion status could not be read, each with its error. */
export function IngestionErrors({ rows }: { rows: IngestionBlock[] }) {
  const failed = rows.flatMap((r) => (r.status.ok ? [] : [{ cluster: r.cluster, error: r.status.error }]));
  if (!failed.length) return null;
  return (
    <ul className="panel" role="alert" data-testid="ingestion-errors">
      {failed.map((f) => (
        <li key={f.cluster}>
          <strong>{f.cluster}</strong>: its ingestion status could not be read. {f.error}
        </li>
      ))}
    </ul>
  );
}
