'use client';

import { useQuery } from '@tanstack/react-query';
import type { ClusterSummary } from '@/lib/data/clusters';
import { AppError } from '@/lib/errors';
import type { ErrorBody } from '@/lib/http/route';
import { utcTime } from '@/lib/format';

async function fetchClusters(): Promise<ClusterSummary[]> {
  const res = await fetch('/api/clusters', { cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as ErrorBody | null;
    throw new AppError('unavailable', body?.error ?? `the server answered HTTP ${res.status}`);
  }
  return (await res.json()) as ClusterSummary[];
}

const utc = (iso: string) => utcTime(iso, 'second');

/**
 * Per-cluster inventory size and sync status: last sync, last run's outcome, duration and problems.
 * Rendered on the server with `initial`, then refreshed every 5 s so a running collector shows live.
 */
export function ClusterTable({ initial }: { initial: ClusterSummary[] }) {
  const {
    data: clusters = initial,
    isError,
    error,
  } = useQuery({
    queryKey: ['clusters'],
    queryFn: fetchClusters,
    initialData: initial,
    refetchInterval: 5_000,
    staleTime: 0,
  });
  return (
    <>
      {isError && (
        <p className="muted" role="status">
          The sync status could not be refreshed ({error?.message}); showing the last one received.
        </p>
      )}
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
            <tr key={c.id} data-testid={`cluster-row-${c.name}`}>
              <td>{c.name}</td>
              <td>{c.source}</td>
              <td>{c.identities}</td>
              <td>{c.workloads}</td>
              <td>
                {c.lastSyncAt ? utc(c.lastSyncAt) : <span className="muted">never</span>}
                {c.agent && (
                  <div data-testid={`cluster-agent-${c.name}`}>
                    <span
                      className={`pill pill-${c.agent.state === 'live' ? 'ok' : c.agent.state === 'silent' ? 'down' : 'degraded'}`}
                    >
                      agent {c.agent.state}
                    </span>
                    <span className="muted">
                      {' '}
                      last push {utc(c.agent.lastPushAt)}
                      {c.agent.host ? ` from ${c.agent.host}` : ''}, {c.agent.objects} objects
                    </span>
                  </div>
                )}
              </td>
              <td>
                {c.lastRunPhase ? (
                  <>
                    <span
                      className={`pill pill-${c.lastRunPhase === 'succeeded' ? 'ok' : c.lastRunPhase === 'failed' ? 'down' : 'degraded'}`}
                    >
                      {c.lastRunPhase}
                    </span>
                    {c.lastRunPhase === 'running' && <span className="muted"> {Math.round(c.lastRunProgress * 100)}%</span>}
                    {c.lastRunSeconds !== null && <span className="muted"> in {c.lastRunSeconds.toFixed(1)} s</span>}
                    {c.lastRunProblems.length > 0 && (
                      <ul className="problems">
                        {c.lastRunProblems.slice(0, 5).map((p) => (
                          <li key={p}>{p}</li>
                        ))}
                        {c.lastRunProblems.length > 5 && <li className="muted">and {c.lastRunProblems.length - 5} more</li>}
                      </ul>
                    )}
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
