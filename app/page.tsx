import Link from 'next/link';
import { ClusterTable } from '@/components/cluster-table';
import { IngestionStatusPanel } from '@/components/ingestion-status';
import { SeverityPill } from '@/components/severity';
import { listClusters } from '@/lib/data/clusters';
import { escalationPaths, type EscalationPathRow } from '@/lib/data/identities';
import { ingestionStatus } from '@/lib/data/ingestion';
import { prisma } from '@/lib/db/client';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';

const ESCALATION_LIMIT = 15;

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
  const [clusters, ingestion, escalation] = await Promise.all([
    listClusters(prisma()),
    // Cluster-wide: not for a service owner, who sees their teams' escalation paths only.
    scope ? null : ingestionStatus(prisma(), { now: new Date() }),
    escalationPaths(prisma(), { limit: ESCALATION_LIMIT }, scope),
  ]);
  if (clusters.length === 0) {
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
  return (
    <section>
      <h1>Clusters</h1>
      <ClusterTable initial={clusters} />
      <h2>Escalation paths (anomalous sources first){scope ? ` of ${viewer.teams.map((t) => t.name).join(', ')}` : ''}</h2>
      <EscalationPaths rows={escalation.rows} total={escalation.total} />
      {ingestion && (
        <>
          <h2>Runtime ingestion</h2>
          <IngestionStatusPanel initial={ingestion} />
        </>
      )}
    </section>
  );
}
