import { prisma } from '@/lib/db/client';

export interface ClusterSummary {
  id: string;
  name: string;
  source: string;
  lastSyncAt: string | null;
  identities: number;
  workloads: number;
  lastRunPhase: string | null;
  lastRunAt: string | null;
  lastRunSeconds: number | null;
  /** 0..1 while the last run is still running. */
  lastRunProgress: number;
  /** Problems the last run recorded (APIs it could not list, files it could not read). */
  lastRunProblems: string[];
}

/** Every cluster with its identity and workload counts (live objects only) and its latest collection run. */
export async function listClusters(): Promise<ClusterSummary[]> {
  const db = prisma();
  const clusters = await db.cluster.findMany({
    orderBy: { name: 'asc' },
    include: {
      _count: { select: { identities: { where: { deletedAt: null } }, workloads: { where: { deletedAt: null } } } },
      collectionRuns: { orderBy: { startedAt: 'desc' }, take: 1, select: { phase: true, startedAt: true, finishedAt: true, errors: true, progress: true } },
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
    lastRunAt: c.collectionRuns[0]?.startedAt.toISOString() ?? null,
    lastRunSeconds: c.collectionRuns[0]?.finishedAt ? (c.collectionRuns[0].finishedAt.getTime() - c.collectionRuns[0].startedAt.getTime()) / 1000 : null,
    lastRunProgress: c.collectionRuns[0]?.progress ?? 0,
    lastRunProblems: problemsOf(c.collectionRuns[0]?.errors),
  }));
}

function problemsOf(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is { level: string; message: string } => typeof e === 'object' && e !== null && 'message' in e && (e as { level?: string }).level !== 'info')
    .map((e) => `${e.level}: ${e.message}`);
}
