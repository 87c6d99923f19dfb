/**
 * One workload as its page shows it: what it is, which identities it runs as, who owns it, and its
 * recorded changes (its own and those of the credentials it uses). Its credentials, findings and runtime
 * activity come from lib/data/credentials.ts, findings.ts and activity.ts.
 */
import { z } from 'zod';
import { WORKLOAD_CLASSES } from '@/lib/behaviour/workload-class';
import type { PrismaClient } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { parseStored, stringListSchema, stringMapSchema } from './json';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';

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

export const classChangeSchema = z.object({
  /** A class, or `auto` to go back to the one decided from the workload's facts. */
  class: z.enum([...WORKLOAD_CLASSES, 'auto']),
  reason: z.string().trim().max(500).optional(),
  by: z.string().trim().min(1, 'say who you are').max(100),
});
export type ClassChange = z.infer<typeof classChangeSchema>;

/**
 * An owner's choice of the workload's class (or `auto`), recorded with who and why and on its timeline. The
 * behaviour engine relearns its ServiceAccount's baseline under the new class's profile at the next events.
 */
export async function setWorkloadClass(db: PrismaClient, id: string, change: ClassChange, now = new Date()): Promise<void> {
  if (!z.uuid().safeParse(id).success) throw notFound('no such workload');
  const w = await db.workload.findUnique({
    where: { id },
    select: {
      clusterId: true,
      classOverride: true,
      namespace: true,
      kind: true,
      name: true,
      cluster: { select: { name: true } },
    },
  });
  if (!w) throw notFound('no such workload');
  const next = change.class === 'auto' ? null : change.class;
  await db.$transaction(async (tx) => {
    await tx.workload.update({
      where: { id },
      data: {
        classOverride: next,
        classOverrideReason: next ? (change.reason ?? null) : null,
        classOverrideBy: change.by,
        classOverrideAt: now,
      },
    });
    await tx.timelineEvent.create({
      data: {
        clusterId: w.clusterId,
        workloadId: id,
        at: now,
        kind: 'workload.class_set',
        summary: next
          ? `${change.by} set its class to ${next}${change.reason ? `: ${change.reason}` : ''}`
          : `${change.by} let its class be decided from its facts again`,
        details: { from: w.classOverride, to: next, by: change.by },
      },
    });
    // The activity trail, in this transaction: no entry, no change (lib/trail).
    await appendTrail(prismaExecutor(tx), {
      actor: change.by,
      action: 'workload.class',
      target: `workload:${w.cluster.name}/${w.namespace}/${w.kind}/${w.name}`,
      before: { class: w.classOverride },
      after: { class: next, reason: next ? (change.reason ?? null) : null },
      at: now,
    });
  });
}
