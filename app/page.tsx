import { ClusterTable } from '@/components/cluster-table';
import { IngestionStatusPanel } from '@/components/ingestion-status';
import { listClusters } from '@/lib/data/clusters';
import { ingestionStatus } from '@/lib/data/ingestion';
import { prisma } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const [clusters, ingestion] = await Promise.all([listClusters(prisma()), ingestionStatus(prisma(), { now: new Date() })]);
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
      <h2>Runtime ingestion</h2>
      <IngestionStatusPanel initial={ingestion} />
    </section>
  );
}
