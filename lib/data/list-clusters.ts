import { prisma } from '@/lib/db/client';

export interface ClusterSummary {
  id: string;
  name: string;
  source: string;
  lastSyncAt: string | null;
  identities: number;
  workloads: number;
  lastRunPhase: string | null;
}

/** Every cluster with its identity and workload counts (live objects only) and its latest collection run. */
export async function listClusters(): Promise<ClusterSummary[]> {
  const db = prisma();
  const clusters = await db.cluster.findMany({
    orderBy: { name: 'asc' },
    include: {
      _count: { select: { identities: { where: { deletedAt: null } }, workloads: { where: { deletedAt: null } } } },
      collectionRuns: { orderBy: { startedAt: 'desc' }, take: 1, select: { phase: true } },
    },
  });
  return clusters.map((c) => ({
    id: c.id,
    name: c.name,
    source: c.source,
    lastSyncAt: c.lastSyncAt?.toISOString() ?? null,
    identities: c._count.identities,
    workloads: c._count.workloads,
    lastRunPhase: c.collectionRuns[0]?.phase ?? null,
  }));
}
