/**
 * Workloads: the filtered, sorted, paged list (workloads page, GET /api/workloads, `nhi workloads`), and
 * one workload as its page shows it: what it is, which identities it runs as, who owns it. Its timeline comes
 * from lib/data/workload-timeline.ts; its credentials, findings and runtime activity from lib/data/credentials.ts,
 * findings.ts and activity.ts.
 */
import { z } from 'zod';
import { WORKLOAD_CLASSES } from '@/lib/behaviour/workload-class';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import type { TeamScope } from '@/lib/auth/roles';
import { workloadInScopeSql } from '@/lib/auth/scope';
import { parseFilter } from '@/lib/http/query';
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
  const where = `Workload ${workload.namespace}/${workload.name}`;
  return {
    ...workload,
    images: parseStored(stringListSchema, workload.images, `${where} images`),
    labels: parseStored(stringMapSchema, workload.labels, `${where} labels`),
    identities: workload.identities.map((i) => i.identity),
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

// ---- the list page ------------------------------------------------------------------------------

/** The workload kinds the collector records (lib/collect/resources.ts: pod controllers and bare Pods). */
export const workloadKinds = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'Pod',
] as const;

/** The columns the list sorts by (`sort=` in the URL). */
export const WORKLOAD_SORTS = ['name', 'kind', 'cluster', 'pods', 'findings', 'risk', 'seen'] as const;
export type WorkloadSort = (typeof WORKLOAD_SORTS)[number];

/** The workloads list's query string, validated: anything else is rejected with a message naming the field. */
export const workloadFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  kind: z.enum(workloadKinds).optional(),
  /** Owning team's name, or `(none)` for workloads no team owns. */
  team: z.string().max(253).optional(),
  q: z.string().max(200).optional(),
  /** `open`: only workloads with at least one open finding. */
  findings: z.enum(['open']).optional(),
  /** `cluster-admin`: only workloads running as a ServiceAccount that can reach cluster-admin. */
  risk: z.enum(['cluster-admin']).optional(),
  deleted: z.enum(['hide', 'show']).default('hide'),
  sort: z.enum(WORKLOAD_SORTS).default('name'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type WorkloadFilter = z.infer<typeof workloadFilterSchema>;

export const parseWorkloadFilter = (params: Record<string, string | string[] | undefined>) =>
  parseFilter(workloadFilterSchema, params);

/** The defaults a shared link leaves out (filterHref). */
export const WORKLOAD_FILTER_DEFAULTS = { page: 1, deleted: 'hide', sort: 'name', dir: 'asc' } as const;

export const WORKLOAD_PAGE_SIZE = 50;

export interface WorkloadListRow {
  id: string;
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  deleted: boolean;
  podCount: number;
  /** The identities it runs as (live links), with whether each can reach cluster-admin. */
  runsAs: { id: string; kind: string; namespace: string; name: string; reachesClusterAdmin: boolean }[];
  /** The ServiceAccount named by its pod template (also when the inventory does not know it). */
  serviceAccountName: string | null;
  owners: string[];
  openFindings: number;
  risk: number | null;
  lastSeenAt: Date;
}

/** A LIKE pattern that matches `s` literally (`%`, `_` and the backslash escaped). */
const likeText = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Open findings about a workload (the list's filter, count and sort). */
const OPEN_FINDINGS = Prisma.sql`(SELECT "workloadId" FROM "Finding" WHERE status = 'open' AND "workloadId" IS NOT NULL)`;

/** The list's filter (and team scope) as SQL over `"Workload" w`. */
function workloadWhereSql(f: WorkloadFilter, scope: TeamScope): Prisma.Sql {
  const and: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.deleted === 'hide') and.push(Prisma.sql`w."deletedAt" IS NULL`);
  if (f.cluster) and.push(Prisma.sql`w."clusterId" IN (SELECT id FROM "Cluster" WHERE name = ${f.cluster})`);
  if (f.namespace) and.push(Prisma.sql`w.namespace = ${f.namespace}`);
  if (f.kind) and.push(Prisma.sql`w.kind = ${f.kind}`);
  if (f.q) {
    const like = `%${likeText(f.q)}%`;
    and.push(Prisma.sql`(w.name ILIKE ${like} OR w.namespace ILIKE ${like})`);
  }
  if (f.team === '(none)') and.push(Prisma.sql`NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."workloadId" = w.id)`);
  else if (f.team)
    and.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."workloadId" = w.id AND t.name = ${f.team})`,
    );
  // A semi-join over the open findings (a correlated EXISTS was planned per workload with the status index).
  if (f.findings === 'open') and.push(Prisma.sql`w.id IN (SELECT fo."workloadId" FROM ${OPEN_FINDINGS} fo)`);
  if (f.risk === 'cluster-admin')
    and.push(Prisma.sql`EXISTS (SELECT 1 FROM "WorkloadIdentity" wi JOIN "IdentityReach" r ON r."identityId" = wi."identityId"
      WHERE wi."workloadId" = w.id AND wi."deletedAt" IS NULL AND r."reachesClusterAdmin")`);
  if (scope) and.push(workloadInScopeSql(scope, Prisma.sql`w.id`));
  return Prisma.join(and, ' AND ');
}

/**
 * The joins a sort column needs (`s` holds its key) and the ORDER BY, ties broken by namespace, name, kind and id
 * (a stable page order). Open findings are counted once for all workloads and joined (not counted per row).
 */
function workloadOrderSql(sort: WorkloadSort, dir: 'asc' | 'desc'): { join: Prisma.Sql; order: Prisma.Sql } {
  const d = dir === 'desc' ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const nulls = dir === 'desc' ? Prisma.sql`NULLS LAST` : Prisma.sql`NULLS FIRST`;
  const first: Record<WorkloadSort, { join?: Prisma.Sql; key: Prisma.Sql } | null> = {
    name: null,
    kind: { key: Prisma.sql`w.kind ${d}` },
    cluster: { join: Prisma.sql`JOIN "Cluster" s ON s.id = w."clusterId"`, key: Prisma.sql`s.name ${d}` },
    pods: { key: Prisma.sql`w."podCount" ${d}` },
    findings: {
      join: Prisma.sql`LEFT JOIN (SELECT fo."workloadId", count(*)::int AS n FROM ${OPEN_FINDINGS} fo GROUP BY 1) s ON s."workloadId" = w.id`,
      key: Prisma.sql`COALESCE(s.n, 0) ${d}`,
    },
    risk: { join: Prisma.sql`LEFT JOIN "RiskScore" s ON s."workloadId" = w.id`, key: Prisma.sql`s.score ${d} ${nulls}` },
    seen: { key: Prisma.sql`w."lastSeenAt" ${d}` },
  };
  const tail = [Prisma.sql`w.namespace ${d}`, Prisma.sql`w.name ${d}`, Prisma.sql`w.kind ${d}`, Prisma.sql`w.id ${d}`];
  const head = first[sort];
  return { join: head?.join ?? Prisma.empty, order: Prisma.join(head ? [head.key, ...tail] : tail, ', ') };
}

/**
 * One page of workloads for the filter, in its sort order. The page's ids are chosen in SQL over the narrow
 * columns (and the sort key), then the 50 rows are read with what they show and their open findings counted
 * for those 50 alone (as lib/data/identities.ts listIdentities).
 */
export async function listWorkloads(
  db: PrismaClient,
  f: WorkloadFilter,
  scope: TeamScope = null,
): Promise<{ rows: WorkloadListRow[]; total: number }> {
  const w = workloadWhereSql(f, scope);
  const { join, order } = workloadOrderSql(f.sort, f.dir);
  const [[count], page] = await Promise.all([
    db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "Workload" w WHERE ${w}`,
    db.$queryRaw<{ id: string }[]>`
      SELECT w.id FROM "Workload" w ${join} WHERE ${w}
      ORDER BY ${order} LIMIT ${WORKLOAD_PAGE_SIZE} OFFSET ${(f.page - 1) * WORKLOAD_PAGE_SIZE}`,
  ]);
  const total = count?.n ?? 0;
  const ids = page.map((p) => p.id);
  if (!ids.length) return { total, rows: [] };
  const [rows, findings] = await Promise.all([
    db.workload.findMany({
      where: { id: { in: ids } },
      select: {
        id: true,
        kind: true,
        namespace: true,
        name: true,
        deletedAt: true,
        podCount: true,
        serviceAccountName: true,
        lastSeenAt: true,
        cluster: { select: { name: true } },
        risk: { select: { score: true } },
        ownerships: { select: { team: { select: { name: true } } } },
        identities: {
          where: { deletedAt: null },
          select: {
            identity: {
              select: {
                id: true,
                kind: true,
                namespace: true,
                name: true,
                reach: { select: { reachesClusterAdmin: true } },
              },
            },
          },
        },
      },
    }),
    db.finding.groupBy({
      by: ['workloadId'],
      where: { workloadId: { in: ids }, status: 'open' },
      _count: { _all: true },
    }),
  ]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const open = new Map(findings.map((c) => [c.workloadId, c._count._all]));
  return {
    total,
    rows: ids.flatMap((id) => {
      const r = byId.get(id);
      if (!r) return []; // deleted between the two reads
      return [
        {
          id: r.id,
          cluster: r.cluster.name,
          kind: r.kind,
          namespace: r.namespace,
          name: r.name,
          deleted: r.deletedAt !== null,
          podCount: r.podCount,
          runsAs: r.identities
            .map(({ identity: i }) => ({
              id: i.id,
              kind: i.kind,
              namespace: i.namespace,
              name: i.name,
              reachesClusterAdmin: i.reach?.reachesClusterAdmin ?? false,
            }))
            .sort((a, b) => a.name.localeCompare(b.name)),
          serviceAccountName: r.serviceAccountName,
          owners: [...new Set(r.ownerships.map((o) => o.team.name))].sort(),
          openFindings: open.get(r.id) ?? 0,
          risk: r.risk?.score ?? null,
          lastSeenAt: r.lastSeenAt,
        },
      ];
    }),
  };
}
