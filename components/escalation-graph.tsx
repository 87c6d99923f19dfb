'use client';

/**
 * The identity page's escalation graph: its paths from GET /api/identities/[id]/paths, drawn by
 * escalation-graph-view.tsx (React Flow + dagre), which is loaded in the browser only, on this page only.
 * The frame has a fixed height whatever state it is in (loading, error, empty, drawn), so nothing below moves.
 * The step lists of the escalation section stay the text equivalent.
 */
import { useQuery } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import type { IdentityPathGraph } from '@/lib/data/escalation-graph';
import { AppError } from '@/lib/errors';
import type { ErrorBody } from '@/lib/http/route';
import styles from './escalation-graph.module.css';

export type PathGraphResponse = Omit<IdentityPathGraph, 'stored'>;

function Placeholder({ children }: { children: React.ReactNode }) {
  return (
    <div className={styles.frame}>
      <div className={styles.placeholder} role="status">
        {children}
      </div>
    </div>
  );
}

const EscalationGraphView = dynamic(() => import('./escalation-graph-view'), {
  ssr: false,
  loading: () => <Placeholder>Loading the graph…</Placeholder>,
});

async function fetchGraph(identityId: string): Promise<PathGraphResponse> {
  const res = await fetch(`/api/identities/${encodeURIComponent(identityId)}/paths`, { cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as ErrorBody | null;
    throw new AppError('unavailable', body?.error ?? `the server answered HTTP ${res.status}`);
  }
  return (await res.json()) as PathGraphResponse;
}

export function EscalationGraph({ identityId }: { identityId: string }) {
  const { data, error, isPending, dataUpdatedAt } = useQuery({
    queryKey: ['identity-paths', identityId],
    queryFn: () => fetchGraph(identityId),
  });
  return (
    <section aria-labelledby="escalation-graph-title" data-testid="escalation-graph-section">
      <h3 id="escalation-graph-title">Escalation graph</h3>
      {isPending ? (
        <Placeholder>Loading the paths…</Placeholder>
      ) : error ? (
        <Placeholder>The paths could not be loaded ({error.message}).</Placeholder>
      ) : !data.nodes.length ? (
        <Placeholder>
          {data.computed ? 'No escalation path to draw from this identity.' : 'No RBAC reach computed for this identity yet.'}
        </Placeholder>
      ) : (
        <>
          <p className="small muted" data-testid="escalation-graph-count">
            Showing {data.shownPaths} of {data.totalPaths} path{data.totalPaths === 1 ? '' : 's'}
            {data.shownPaths < data.totalPaths
              ? ` (at most ${data.maxNodes} nodes; the most severe first — every path is listed in the text above and below)`
              : ''}
            . Thick solid arrows: the shortest path to the most severe target; dashed: the other paths. Scroll or pinch to zoom,
            drag to pan; the buttons fit the view.
          </p>
          <EscalationGraphView key={dataUpdatedAt} graph={data} />
        </>
      )}
    </section>
  );
}
