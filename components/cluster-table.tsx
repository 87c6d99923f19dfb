import type { ClusterSummary } from '@/lib/data/list-clusters';

export function ClusterTable({ clusters }: { clusters: ClusterSummary[] }) {
  return (
    <table className="data" data-testid="cluster-table">
      <thead>
        <tr>
          <th>Cluster</th>
          <th>Source</th>
          <th>Identities</th>
          <th>Workloads</th>
          <th>Last sync</th>
          <th>Last run</th>
        </tr>
      </thead>
      <tbody>
        {clusters.map((c) => (
          <tr key={c.id}>
            <td>{c.name}</td>
            <td>{c.source}</td>
            <td>{c.identities}</td>
            <td>{c.workloads}</td>
            <td>{c.lastSyncAt ? new Date(c.lastSyncAt).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : <span className="muted">never</span>}</td>
            <td>{c.lastRunPhase ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
