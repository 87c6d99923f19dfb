/**
 * Clusters, as every reader sees them (overview page, /api/clusters, `nhi clusters`, the cluster choice
 * of `nhi can`/`who-can`): one listing, on the one Prisma client.
 */
import type { PrismaClient } from '@/lib/db/client';
import { AppError, invalidInput } from '@/lib/errors';
import { z } from 'zod';
import { parseStored, runNoteSchema } from './json';

export interface ClusterSummary {
  id: string;
  name: string;
  source: string;
  /** API server URL of a live cluster, the dump's file names of an import; never credentials. */
  server: string | null;
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
  /** A cluster pushed by an agent (`nhi collect --watch --push`): its current session's last push, null otherwise. */
  agent: AgentStatus | null;
}

/**
 * An agent's state: `live` when it pushed within AGENT_SILENT_MS (it sends a batch at least every minute),
 * `snapshot` while the parts of its snapshot are arriving, `silent` otherwise.
 */
export interface AgentStatus {
  state: 'live' | 'snapshot' | 'silent';
  lastPushAt: string;
  host: string | null;
  version: string | null;
  /** Objects pushed (the cluster's state as the agent sees it). */
  objects: number;
}

export const AGENT_SILENT_MS = 3 * 60_000;

/** Every cluster by name, with its identity and workload counts (live objects only) and its latest collection run. */
export async function listClusters(db: PrismaClient): Promise<ClusterSummary[]> {
  const clusters = await db.cluster.findMany({
    orderBy: { name: 'asc' },
    include: {
      _count: { select: { identities: { where: { deletedAt: null } }, workloads: { where: { deletedAt: null } } } },
      collectionRuns: {
        orderBy: { startedAt: 'desc' },
        take: 1,
        select: { phase: true, startedAt: true, finishedAt: true, errors: true, progress: true },
      },
      pushCursors: {
        where: { current: true },
        take: 1,
        select: { lastPushAt: true, snapshotAt: true, objects: true, agent: true },
      },
    },
  });
  const now = Date.now();
  return clusters.map((c) => {
    const run = c.collectionRuns[0];
    const push = c.pushCursors[0];
    const info = (push?.agent ?? {}) as { host?: unknown; version?: unknown };
    const notes = run ? parseStored(z.array(runNoteSchema), run.errors, `CollectionRun.errors of cluster ${c.name}`) : [];
    return {
      id: c.id,
      name: c.name,
      source: c.source,
      server: c.server,
      lastSyncAt: c.lastSyncAt?.toISOString() ?? null,
      identities: c._count.identities,
      workloads: c._count.workloads,
      lastRunPhase: run?.phase ?? null,
      lastRunAt: run?.startedAt.toISOString() ?? null,
      lastRunSeconds: run?.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null,
      lastRunProgress: run?.progress ?? 0,
      lastRunProblems: notes.filter((n) => n.level !== 'info').map((n) => `${n.level}: ${n.message}`),
      agent: push
        ? {
            state: now - push.lastPushAt.getTime() > AGENT_SILENT_MS ? 'silent' : push.snapshotAt ? 'live' : 'snapshot',
            lastPushAt: push.lastPushAt.toISOString(),
            host: typeof info.host === 'string' ? info.host : null,
            version: typeof info.version === 'string' ? info.version : null,
            objects: push.objects,
          }
        : null,
    };
  });
}

/**
 * The cluster a question is about: `requested` if given (it must exist), else the only one there is.
 * None at all is `unavailable` (collect or import first); an unknown name is `invalid_input`; several
 * without a choice is `conflict`. `details.clusters` lists the names to choose from.
 */
export function chooseCluster<C extends { name: string }>(clusters: readonly C[], requested?: string): C {
  const names = clusters.map((c) => c.name);
  const details = { clusters: names };
  if (requested !== undefined) {
    const found = clusters.find((c) => c.name === requested);
    if (found) return found;
    throw names.length
      ? invalidInput(`no cluster named "${requested}" in the inventory; clusters: ${names.join(', ')}`, {
          code: 'CLUSTER_UNKNOWN',
          details,
        })
      : invalidInput(
          `no cluster named "${requested}": the inventory is empty (run \`npx nhi collect\` or \`npx nhi import PATH\` first)`,
          { code: 'CLUSTER_UNKNOWN', details },
        );
  }
  if (clusters.length === 0) {
    throw new AppError(
      'unavailable',
      'the inventory holds no cluster yet: run `npx nhi collect` or `npx nhi import PATH` first',
      {
        code: 'INVENTORY_EMPTY',
        details,
      },
    );
  }
  if (clusters.length > 1) {
    throw new AppError(
      'invalid_input',
      `the inventory holds ${clusters.length} clusters; choose one with --cluster NAME: ${names.join(', ')}`,
      { code: 'CLUSTER_AMBIGUOUS', details },
    );
  }
  return clusters[0]!;
}

/** `chooseCluster` over the clusters in the database. */
export async function resolveCluster(db: PrismaClient, requested?: string): Promise<ClusterSummary> {
  return chooseCluster(await listClusters(db), requested);
}
