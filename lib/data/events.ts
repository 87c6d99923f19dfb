/**
 * Runtime events as readers see them (`nhi events`, later the identity and workload pages): newest first,
 * attributed to the inventory's identity by ServiceAccount namespace and name when it is known.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { workloadOfPod } from '@/lib/runtime/attribution';

export const eventFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  /** A ServiceAccount as `NAMESPACE/NAME`. */
  identity: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected NAMESPACE/NAME of a ServiceAccount')
    .optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
export type EventFilter = z.infer<typeof eventFilterSchema>;

export interface EventItem {
  cluster: string;
  at: string;
  source: string;
  key: string;
  verb: string | null;
  resource: string | null;
  namespace: string | null;
  name: string | null;
  responseCode: number | null;
  username: string | null;
  serviceAccount: string | null;
  /** The inventory's identity, when the ServiceAccount is in it. */
  identityId: string | null;
  pod: string | null;
  node: string | null;
  credentialId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

export async function listEvents(db: PrismaClient, f: EventFilter): Promise<{ total: number; items: EventItem[] }> {
  // Events have no relation to Cluster (no foreign key: prisma/schema.prisma), so clusters are read apart.
  const clusters = await db.cluster.findMany({ where: f.cluster ? { name: f.cluster } : {}, select: { id: true, name: true } });
  const nameOf = new Map(clusters.map((c) => [c.id, c.name]));
  const where: Prisma.RuntimeEventWhereInput = {
    ...(f.cluster ? { clusterId: { in: clusters.map((c) => c.id) } } : {}),
    ...(f.identity ? { saNamespace: f.identity.split('/')[0], saName: f.identity.split('/')[1] } : {}),
  };
  const [total, rows] = await Promise.all([
    db.runtimeEvent.count({ where }),
    db.runtimeEvent.findMany({ where, orderBy: [{ at: 'desc' }, { key: 'asc' }], take: f.limit }),
  ]);
  const accounts = [
    ...new Set(rows.filter((r) => r.saNamespace && r.saName).map((r) => `${r.clusterId}/${r.saNamespace}/${r.saName}`)),
  ];
  const identities = accounts.length
    ? await db.identity.findMany({
        where: {
          kind: 'ServiceAccount',
          OR: accounts.map((a) => {
            const [clusterId, namespace, name] = a.split('/');
            return { clusterId, namespace, name };
          }),
        },
        select: { id: true, clusterId: true, namespace: true, name: true },
      })
    : [];
  const idOf = new Map(identities.map((i) => [`${i.clusterId}/${i.namespace}/${i.name}`, i.id]));
  return {
    total,
    items: rows.map((r) => ({
      cluster: nameOf.get(r.clusterId) ?? r.clusterId,
      at: r.at.toISOString(),
      source: r.source,
      key: r.key,
      verb: r.verb,
      resource: r.resource,
      namespace: r.namespace,
      name: r.name,
      responseCode: r.responseCode,
      username: r.username,
      serviceAccount: r.saNamespace && r.saName ? `${r.saNamespace}/${r.saName}` : null,
      identityId: idOf.get(`${r.clusterId}/${r.saNamespace}/${r.saName}`) ?? null,
      pod: r.podName,
      node: r.node,
      credentialId: r.credentialId,
      sourceIp: r.sourceIp,
      userAgent: r.userAgent,
    })),
  };
}

/** The ingest tokens (never the tokens themselves: only their names, clusters and use). */
export async function listIngestTokens(db: PrismaClient, cluster?: string) {
  const rows = await db.ingestToken.findMany({
    where: cluster ? { cluster: { name: cluster } } : {},
    orderBy: [{ cluster: { name: 'asc' } }, { name: 'asc' }],
    include: { cluster: { select: { name: true } } },
  });
  return rows.map((t) => ({
    cluster: t.cluster.name,
    name: t.name,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  }));
}

// ---- one event (the detail page) ------------------------------------------------------------------

export const eventKeySchema = z.object({
  clusterId: z.uuid(),
  /** `audit:<auditID>:<stage>` or `falco:<sha256>` (lib/runtime/types.ts). */
  key: z.string().regex(/^(audit:[^:\s]{1,200}:[A-Za-z]{1,40}|falco:[0-9a-f]{64})$/, 'not an event key'),
});

/** The event's time as eventHref puts it in a link (ISO). */
const eventTimeSchema = z.iso.datetime();

/** The stages an audit request is logged at (lib/runtime/audit.ts). */
const AUDIT_STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];
/**
 * How far apart the stages of one request are looked for: a watch's ResponseComplete comes when it ends
 * (the API server ends watches within an hour); a longer exec session's other stages are not found.
 */
const STAGES_APART_MS = 3_600_000;

/**
 * One stored event with everything kept about it (never a body or a token: the store keeps none), the
 * identity and workload it is attributed to, and the other stages of the same audit request.
 *
 * `at`, its time, is a hint that makes the lookup one index probe of one day partition (events are keyed
 * by cluster, time and key). Without it, or when it is not the event's (a link from before, an API client),
 * the event is looked up by key in every day partition of the cluster, which takes longer on a large one.
 */
export async function getRuntimeEvent(db: PrismaClient, clusterId: string, key: string, at?: string | null) {
  const parsed = eventKeySchema.safeParse({ clusterId, key });
  if (!parsed.success) return null;
  const where = parsed.data;
  const when = eventTimeSchema.safeParse(at);
  const row =
    (when.success ? await db.runtimeEvent.findFirst({ where: { ...where, at: new Date(when.data) } }) : null) ??
    (await db.runtimeEvent.findFirst({ where }));
  if (!row) return null;
  const cluster = await db.cluster.findUnique({ where: { id: clusterId }, select: { name: true } });
  const namespace = row.saNamespace ?? (row.source === 'falco' ? row.namespace : null);
  const [, auditID, stage] = key.split(':');
  const t = row.at.getTime();
  const [identity, workloads, stages] = await Promise.all([
    row.saNamespace && row.saName
      ? db.identity.findFirst({
          where: { clusterId, kind: 'ServiceAccount', namespace: row.saNamespace, name: row.saName },
          select: { id: true, namespace: true, name: true },
        })
      : null,
    row.podName && namespace
      ? db.workload.findMany({ where: { clusterId, namespace, deletedAt: null }, select: { id: true, kind: true, name: true } })
      : [],
    // The other stages have the same user: by the ServiceAccount index when there is one, else by time.
    row.source === 'audit'
      ? db.runtimeEvent.findMany({
          where: {
            clusterId,
            key: { in: AUDIT_STAGES.filter((s) => s !== stage).map((s) => `audit:${auditID}:${s}`) },
            at: { gte: new Date(t - STAGES_APART_MS), lte: new Date(t + STAGES_APART_MS) },
            ...(row.saNamespace ? { saNamespace: row.saNamespace, saName: row.saName } : {}),
          },
          select: { key: true, at: true },
          orderBy: { at: 'asc' },
        })
      : [],
  ]);
  const workload = row.podName ? workloadOfPod(row.podName, workloads) : null;
  const { event, ...columns } = row;
  return {
    ...columns,
    clusterName: cluster?.name ?? clusterId,
    at: row.at.toISOString(),
    receivedAt: row.receivedAt.toISOString(),
    detail: eventDetailSchema.parse(event),
    identity,
    workload,
    otherStages: stages.map((s) => ({ key: s.key, at: s.at.toISOString() })),
  };
}

export type RuntimeEventDetail = NonNullable<Awaited<ReturnType<typeof getRuntimeEvent>>>;

/** What store.ts keeps in the `event` column (lib/runtime/store.ts detailJson), all optional. */
const eventDetailSchema = z.record(z.string(), z.unknown());
