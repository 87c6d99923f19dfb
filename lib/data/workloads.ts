/**
 * One workload as its page shows it: what it is, which identities it runs as, who owns it, and its
 * recorded changes (its own and those of the credentials it uses). Its credentials, findings and runtime
 * activity come from lib/data/credentials.ts, findings.ts and activity.ts.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { parseStored, stringListSchema, stringMapSchema } from './json';

export async function getWorkload(db: PrismaClient, id: string) {
  if (!z.uuid().safeParse(id).success) return null;
  const workload = await db.workload.findUnique({
    where: { id },
    include: {
      cluster: { select: { name: true } },
      identities: {
        where: { deletedAt: null },
        include: { identity: { select: { id: true, kind: true, namespace: true, name: true, builtIn: true } } },
      },
      ownerships: { include: { team: true } },
    },
  });
  if (!workload) return null;
  const timeline = await db.timelineEvent.findMany({
    where: { OR: [{ workloadId: id }, { credential: { uses: { some: { workloadId: id } } } }] },
    orderBy: { at: 'desc' },
    take: 50,
  });
  const where = `Workload ${workload.namespace}/${workload.name}`;
  return {
    ...workload,
    images: parseStored(stringListSchema, workload.images, `${where} images`),
    labels: parseStored(stringMapSchema, workload.labels, `${where} labels`),
    identities: workload.identities.map((i) => i.identity),
    timeline,
  };
}
export type WorkloadDetail = NonNullable<Awaited<ReturnType<typeof getWorkload>>>;
