import Link from 'next/link';
import type { ReactNode } from 'react';
import { ClusterTable } from '@/components/cluster-table';
import { IngestionStatusPanel } from '@/components/ingestion-status';
import {
  AnomalyView,
  BlockError,
  CoverageView,
  IngestionErrors,
  OverviewBlock,
  PrincipalsView,
  RiskView,
  SprawlView,
  TrendsView,
} from '@/components/overview-blocks';
import { SeverityPill } from '@/components/severity';
import type { EscalationPathRow } from '@/lib/data/identities';
import { overviewBlocks, type Block } from '@/lib/data/overview';
import { prisma } from '@/lib/db/client';
import { DEFAULT_GAP_MINUTES, DEFAULT_REJECTING_PERCENT } from '@/lib/runtime/status';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

/** Waits for one block (streamed in as it arrives) and shows it, or its error. */
async function Await<T>({ block, what, children }: { block: Promise<Block<T>>; what: string; children: (data: T) => ReactNode }) {
  const b = await block;
  return b.ok ? children(b.data) : <BlockError what={what} error={b.error} />;
}

/**
 * A block of the page. Every block's query runs in parallel and the document is sent once all have answered (no
 * Suspense boundary): streamed blocks arriving one by one pushed the ones below them down (a layout shift of 0.75
 * at 100,000 identities), for a page whose slowest block decides its time anyway. A failed block still shows its
 * error in place, beside the others.
 */
function Streamed<T>({
  id,
  title,
  what,
  block,
  children,
}: {
  id: string;
  title: string;
  what: string;
  block: Promise<Block<T>>;
  children: (data: T) => ReactNode;
}) {
  return (
    <OverviewBlock id={id} title={title}>
      <Await block={block} what={what}>
        {children}
      </Await>
    </OverviewBlock>
  );
}

/** Identities with a path to cluster-admin, those showing active anomalies first. */
function EscalationPaths({ rows, total }: { rows: EscalationPathRow[]; total: number }) {
  if (rows.length === 0) return <p className="muted">No identity has a path to cluster-admin.</p>;
  return (
    <>
      <p className="muted">
        Identities that can reach cluster-admin, ranked: those with open or acknowledged anomalies first (more first), then fewer
        steps, then the worse capability. Built-in identities are listed only when they show anomalies.
        {total > rows.length && ` The first ${rows.length} of ${total}.`}
      </p>
      <table className="data" data-testid="escalation-paths">
        <thead>
          <tr>
            <th>Identity</th>
            <th>Cluster</th>
            <th>Active anomalies</th>
            <th>Path to cluster-admin</th>
            <th>Worst</th>
            <th>First step</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <Link href={`/identities/${r.id}`}>
                  {r.namespace ? `${r.namespace}/` : ''}
                  {r.name}
                </Link>{' '}
                <span className="muted small">{r.kind}</span>
              </td>
              <td>{r.cluster}</td>
              <td>
                {r.anomalies > 0 ? (
                  <Link href={`/anomalies?identityId=${r.id}`} className="pill sev-high">
                    {r.anomalies}
                  </Link>
                ) : (
                  <span className="muted">0</span>
                )}
              </td>
              <td>
                <span className="pill sev-critical">
                  {r.distance === 0 ? 'is cluster-admin' : `${r.distance} step${r.distance === 1 ? '' : 's'}`}
                </span>
              </td>
              <td>
                <SeverityPill severity={r.maxSeverity} />
              </td>
              <td className="small">{r.firstStep ?? <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export default async function OverviewPage() {
  const viewer = await pageViewer('/', '/');
  const scope = teamScope(viewer);
  // Every block's query starts now, in parallel; the page waits only for the clusters (an empty inventory has a page of its own).
  const now = new Date();
  const blocks = overviewBlocks(prisma(), { now }, scope);
  const clusters = await blocks.clusters;
  if (clusters.ok && clusters.data.length === 0) {
    return (
      <section className="panel empty-state" data-testid="empty-state">
        <h1>No cluster has been collected yet</h1>
        <p>
          The dashboard shows the machine identities of the clusters you collect: their service accounts, tokens and secrets, what
          their RBAC lets them reach and how far they could escalate, and who owns them. Nothing is in the database yet.
        </p>
        <h2>Add a cluster</h2>
        <p>
          Collect a live cluster with a read-only kubeconfig (the collector needs only the read-only ClusterRole shipped in{' '}
          <code>public/collector-clusterrole.yaml</code>; it never reads a Secret&apos;s value):
        </p>
        <pre>npx nhi collect --once --kubeconfig ~/.kube/config --context my-cluster</pre>
        <p>
          Or import dumps an operator gave you (<code>kubectl get … -o json</code>, a folder or <code>.json.gz</code> files):
        </p>
        <pre>npx nhi import ./cluster-dump/</pre>
        <p>
          Run <code>npx nhi --help</code> for every command.
        </p>
      </section>
    );
  }
  const of = scope ? ` of ${viewer.teams.map((t) => t.name).join(', ')}` : '';
  return (
    <section>
      <h1>Overview{of}</h1>
      <Streamed id="sprawl" title="Identity sprawl" what="identity counts" block={blocks.sprawl}>
        {(s) => <SprawlView s={s} />}
      </Streamed>
      <Streamed id="risk" title="Risk" what="risk scores" block={blocks.risk}>
        {(r) => <RiskView r={r} />}
      </Streamed>
      <Streamed
        id="escalation"
        title="Escalation paths (anomalous sources first)"
        what="escalation paths"
        block={blocks.escalation}
      >
        {(e) => <EscalationPaths rows={e.rows} total={e.total} />}
      </Streamed>
      <div className="grid-3">
        <Streamed id="coverage" title="Short-lived credential coverage" what="credential coverage" block={blocks.coverage}>
          {(c) => <CoverageView c={c} scoped={scope !== null} />}
        </Streamed>
        <Streamed id="anomalies" title="Open anomalies" what="anomaly counts" block={blocks.anomalies}>
          {(a) => <AnomalyView a={a} />}
        </Streamed>
      </div>
      {blocks.principals && (
        <Streamed id="principals" title="Principals in the audit logs" what="audit principals" block={blocks.principals}>
          {(p) => <PrincipalsView p={p} />}
        </Streamed>
      )}
      <Streamed id="trends" title="Trends (last 30 days)" what="trends" block={blocks.trends}>
        {(t) => <TrendsView t={t} />}
      </Streamed>
      <OverviewBlock id="clusters" title="Clusters">
        {clusters.ok ? <ClusterTable initial={clusters.data} /> : <BlockError what="clusters" error={clusters.error} />}
      </OverviewBlock>
      {blocks.ingestion && (
        <Streamed id="ingestion" title="Runtime ingestion" what="ingestion status" block={blocks.ingestion}>
          {(rows) => (
            <>
              <IngestionErrors rows={rows} />
              <IngestionStatusPanel
                initial={{
                  now: now.toISOString(),
                  gapMinutes: DEFAULT_GAP_MINUTES,
                  rejectingPercent: DEFAULT_REJECTING_PERCENT,
                  clusters: rows.flatMap((r) => (r.status.ok ? [r.status.data] : [])),
                }}
              />
            </>
          )}
        </Streamed>
      )}
    </section>
  );
}
