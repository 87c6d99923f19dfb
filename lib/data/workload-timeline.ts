/**
 * One workload's timeline: everything recorded about it, in one list and one chart. Read from where each
 * fact is already kept, nothing is written here:
 *
 * - TimelineEvent (lib/collect/changes.ts, lib/collect/store.ts, lib/findings/exceptions.ts, lib/ownership/claims.ts,
 *   lib/runtime/credential-use.ts, lib/data/workloads.ts): its own changes (images, ServiceAccount, class),
 *   those of the identities it runs or ran as (bindings granted or taken away, account created or deleted,
 *   claims approved, exceptions), of the credentials it uses (rotations, legacy or stale token use), and the
 *   rule changes of the roles bound to its ServiceAccount;
 * - the workload itself: first collected, deleted;
 * - Anomaly: raised about it (or about its account, when no workload was told);
 * - RuntimeEvent: the Falco alerts of its pods (told by pod name, as the activity panel: lib/data/activity.ts);
 * - Claim: requested, rejected, withdrawn (an approval is the TimelineEvent ownership.claimed);
 * - AdmissionDecision: the webhook's decisions about it (lib/admission).
 *
 * Bounded: the chart counts at most POINTS_PER_SOURCE events of each source over all time, the list shows the
 * latest `limit` (500) events in the window.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { decisionSummary } from '@/lib/data/admission';
import { podNamePattern } from '@/lib/runtime/attribution';
import {
  bucketize,
  bucketUnitOf,
  CATEGORY_RULES,
  categoryOf,
  countByCategory,
  inWindow,
  latest,
  TIMELINE_CATEGORIES,
  type BucketCounts,
  type BucketUnit,
  type TimelineBucket,
  type TimelineCategory,
  type TimelineQuery,
} from './timeline-window';

export const TIMELINE_LIMIT = 500;
/** Events of each source the chart counts (the newest ones), over all time. */
export const POINTS_PER_SOURCE = 2_000;

export interface TimelineEntry {
  /** Unique in the timeline: `<source>:<id>`. */
  id: string;
  at: string;
  /** e.g. workload.image_changed, binding.added, falco.alert, admission.denied. */
  kind: string;
  category: TimelineCategory;
  summary: string;
  /** A page with more about it (an anomaly, a runtime event, a finding), when there is one. */
  href: string | null;
}

export interface WorkloadTimelineView {
  query: { from: string | null; to: string | null; types: TimelineCategory[] };
  /** The span of the chart: every event counted; null when nothing was ever recorded. */
  extent: { from: string; to: string } | null;
  unit: BucketUnit;
  /** Events per category per bucket over the extent (every category: the chart shows the selected ones). */
  buckets: TimelineBucket[];
  /** Events in the window per category (every category, for the toggles' counts). */
  counts: BucketCounts;
  /** True when a source had more events than the chart counts (its counts are the newest ones only). */
  countsCapped: boolean;
  /** The latest `limit` events of the selected types in the window, newest first. */
  events: TimelineEntry[];
  /** True when the window holds more events of the selected types than `events`. */
  truncated: boolean;
  limit: number;
}

interface Subject {
  id: string;
  clusterId: string;
  namespace: string;
  kind: string;
  name: string;
  firstSeenAt: Date;
  deletedAt: Date | null;
  identityIds: string[];
  credentialIds: string[];
  roleKeys: string[];
  podPattern: string | null;
}

interface Range {
  from: Date | null;
  to: Date | null;
}

/** SQL: the category of a TimelineEvent kind, from the same rules as `categoryOf`. */
function categorySql(kind: Prisma.Sql): Prisma.Sql {
  const whens = CATEGORY_RULES.map((r) => {
    const tests = [
      ...(r.kinds ?? []).map((k) => Prisma.sql`${kind} = ${k}`),
      ...(r.prefixes ?? []).map((p) => Prisma.sql`left(${kind}, ${p.length}::int) = ${p}`),
    ];
    return Prisma.sql`WHEN ${Prisma.join(tests, ' OR ')} THEN ${r.category}`;
  });
  return Prisma.sql`(CASE ${Prisma.join(whens, ' ')} ELSE 'other' END)`;
}

const rangeSql = (col: Prisma.Sql, r: Range) =>
  Prisma.join(
    [Prisma.sql`TRUE`, ...(r.from ? [Prisma.sql`${col} >= ${r.from}`] : []), ...(r.to ? [Prisma.sql`${col} < ${r.to}`] : [])],
    ' AND ',
  );

async function subjectOf(db: PrismaClient, id: string): Promise<Subject | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const w = await db.workload.findUnique({
    where: { id },
    select: {
      id: true,
      clusterId: true,
      namespace: true,
      kind: true,
      name: true,
      serviceAccountName: true,
      firstSeenAt: true,
      deletedAt: true,
      identities: { select: { identityId: true } },
      credentialUses: { select: { credentialId: true } },
    },
  });
  if (!w) return null;
  const sa = w.serviceAccountName ?? 'default';
  // The roles bound to its ServiceAccount: their rule changes change what it may do. The first containment is
  // what the GIN index on subjects answers; a subject without namespace is in the binding's.
  const named = JSON.stringify([{ kind: 'ServiceAccount', name: sa }]);
  const namespaced = JSON.stringify([{ kind: 'ServiceAccount', name: sa, namespace: w.namespace }]);
  const roles = await db.$queryRaw<{ key: string }[]>`
    SELECT DISTINCT b."roleRefKind" || '/' || CASE WHEN b."roleRefKind" = 'Role' THEN b.namespace ELSE '' END || '/' || b."roleRefName" AS key
    FROM "RbacBinding" b
    WHERE b."clusterId" = ${w.clusterId}::uuid AND b."deletedAt" IS NULL AND b.subjects @> ${named}::jsonb
      AND (b.subjects @> ${namespaced}::jsonb OR b.namespace = ${w.namespace})
    LIMIT 200`;
  return {
    id: w.id,
    clusterId: w.clusterId,
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    firstSeenAt: w.firstSeenAt,
    deletedAt: w.deletedAt,
    identityIds: [...new Set(w.identities.map((i) => i.identityId))],
    credentialIds: [...new Set(w.credentialUses.map((c) => c.credentialId))],
    roleKeys: roles.map((r) => r.key),
    podPattern: podNamePattern({ kind: w.kind, name: w.name }),
  };
}

const wants = (types: readonly TimelineCategory[], ...c: TimelineCategory[]) => c.some((x) => types.includes(x));

/** Recorded changes (TimelineEvent) of the workload, its identities, its credentials and its roles. */
async function recordedChanges(db: PrismaClient, s: Subject, r: Range, types: TimelineCategory[], limit: number) {
  const category = categorySql(Prisma.sql`t.kind`);
  const about = Prisma.join(
    [
      Prisma.sql`t."workloadId" = ${s.id}::uuid`,
      ...(s.identityIds.length ? [Prisma.sql`t."identityId" = ANY(${s.identityIds}::uuid[])`] : []),
      ...(s.credentialIds.length ? [Prisma.sql`t."credentialId" = ANY(${s.credentialIds}::uuid[])`] : []),
    ],
    ' OR ',
  );
  const rows = await db.$queryRaw<{ id: string; at: Date; kind: string; summary: string; findingId: string | null }[]>`
    SELECT t.id, t.at, t.kind, t.summary, t.details->>'findingId' AS "findingId" FROM "TimelineEvent" t
    WHERE (${about}) AND ${rangeSql(Prisma.sql`t.at`, r)} AND ${category} = ANY(${types}::text[])
    ORDER BY t.at DESC, t.id LIMIT ${limit}`;
  const roleRows =
    s.roleKeys.length && wants(types, 'rbac')
      ? await db.$queryRaw<{ id: string; at: Date; kind: string; summary: string }[]>`
          SELECT t.id, t.at, t.kind, t.summary FROM "TimelineEvent" t
          WHERE t."clusterId" = ${s.clusterId}::uuid AND t.kind = 'role.rules_changed' AND ${rangeSql(Prisma.sql`t.at`, r)}
            AND t.details->>'role' = ANY(${s.roleKeys}::text[])
          ORDER BY t.at DESC, t.id LIMIT ${limit}`
      : [];
  const seen = new Set<string>();
  return [...rows, ...roleRows].flatMap((e): TimelineEntry[] => {
    if (seen.has(e.id)) return [];
    seen.add(e.id);
    const findingId = 'findingId' in e ? e.findingId : null;
    return [
      {
        id: `change:${e.id}`,
        at: e.at.toISOString(),
        kind: e.kind,
        category: categoryOf(e.kind),
        summary: e.summary,
        href: findingId && z.uuid().safeParse(findingId).success ? `/findings/${findingId}` : null,
      },
    ];
  });
}

/** First collected and deleted: the workload's own start and end. */
function lifecycle(s: Subject, r: Range, types: TimelineCategory[]): TimelineEntry[] {
  if (!wants(types, 'deploy')) return [];
  const what = `${s.kind} ${s.namespace}/${s.name}`;
  const out: TimelineEntry[] = [
    {
      id: `workload:first_seen`,
      at: s.firstSeenAt.toISOString(),
      kind: 'workload.first_seen',
      category: 'deploy',
      summary: `${what} first collected`,
      href: null,
    },
  ];
  if (s.deletedAt)
    out.push({
      id: `workload:deleted`,
      at: s.deletedAt.toISOString(),
      kind: 'workload.deleted',
      category: 'deploy',
      summary: `${what} deleted from the cluster`,
      href: null,
    });
  return out.filter((e) => inWindow(e.at, r));
}

async function anomalies(db: PrismaClient, s: Subject, r: Range, types: TimelineCategory[], limit: number) {
  if (!wants(types, 'runtime')) return [];
  const rows = await db.anomaly.findMany({
    where: {
      OR: [{ workloadId: s.id }, ...(s.identityIds.length ? [{ workloadId: null, identityId: { in: s.identityIds } }] : [])],
      firstEventAt: { ...(r.from ? { gte: r.from } : {}), ...(r.to ? { lt: r.to } : {}) },
    },
    select: { id: true, firstEventAt: true, severity: true, summary: true, status: true },
    orderBy: [{ firstEventAt: 'desc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map((a): TimelineEntry => ({
    id: `anomaly:${a.id}`,
    at: a.firstEventAt.toISOString(),
    kind: 'anomaly.raised',
    category: 'runtime',
    summary: `Anomaly (${a.severity}, ${a.status.replace('_', ' ')}): ${a.summary}`,
    href: `/anomalies/${a.id}`,
  }));
}

async function falcoAlerts(
  db: PrismaClient,
  s: Subject,
  r: Range,
  types: TimelineCategory[],
  limit: number,
): Promise<TimelineEntry[]> {
  if (!wants(types, 'runtime') || !s.podPattern) return [];
  const rows = await db.$queryRaw<{ key: string; at: Date; rule: string | null; priority: string | null; pod: string | null }[]>`
    SELECT e.key, e.at, e.event->'falco'->>'rule' AS rule, e.event->'falco'->>'priority' AS priority, e."podName" AS pod
    FROM "RuntimeEvent" e
    WHERE e."clusterId" = ${s.clusterId}::uuid AND ${rangeSql(Prisma.sql`e.at`, r)} AND e.source = 'falco'
      AND e.namespace = ${s.namespace} AND e."podName" ~ ${s.podPattern}
    ORDER BY e.at DESC, e.key LIMIT ${limit}`;
  return rows.map((e) => ({
    id: `falco:${e.key}`,
    at: e.at.toISOString(),
    kind: 'falco.alert',
    category: 'runtime',
    summary: `Falco alert: ${e.rule ?? 'unnamed rule'}${e.priority ? ` (${e.priority})` : ''}${e.pod ? ` in pod ${e.pod}` : ''}`,
    href: `/events/${s.clusterId}/${encodeURIComponent(e.key)}`,
  }));
}

async function claims(db: PrismaClient, s: Subject, r: Range, types: TimelineCategory[], limit: number) {
  if (!wants(types, 'claims')) return [];
  const rows = await db.claim.findMany({
    where: {
      workloadId: s.id,
      OR: [
        { createdAt: { ...(r.from ? { gte: r.from } : {}), ...(r.to ? { lt: r.to } : {}) } },
        { decidedAt: { ...(r.from ? { gte: r.from } : { not: null }), ...(r.to ? { lt: r.to } : {}) } },
      ],
    },
    select: {
      id: true,
      status: true,
      createdAt: true,
      decidedAt: true,
      note: true,
      decisionNote: true,
      team: { select: { name: true } },
      user: { select: { email: true } },
      decidedBy: { select: { email: true } },
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.flatMap((c) => {
    const out: TimelineEntry[] = [
      {
        id: `claim:${c.id}:requested`,
        at: c.createdAt.toISOString(),
        kind: 'claim.requested',
        category: 'claims',
        summary: `${c.user.email} claimed it for ${c.team.name}${c.note ? `: ${c.note}` : ''}`,
        href: null,
      },
    ];
    // An approval is recorded as ownership.claimed (a TimelineEvent); rejections and withdrawals only here.
    if (c.decidedAt && (c.status === 'rejected' || c.status === 'withdrawn'))
      out.push({
        id: `claim:${c.id}:${c.status}`,
        at: c.decidedAt.toISOString(),
        kind: `claim.${c.status}`,
        category: 'claims',
        summary:
          c.status === 'rejected'
            ? `Claim for ${c.team.name} rejected${c.decidedBy ? ` by ${c.decidedBy.email}` : ''}${c.decisionNote ? `: ${c.decisionNote}` : ''}`
            : `Claim for ${c.team.name} withdrawn${c.decisionNote ? `: ${c.decisionNote}` : ''}`,
        href: null,
      });
    return out.filter((e) => inWindow(e.at, r));
  });
}

async function admission(db: PrismaClient, s: Subject, r: Range, types: TimelineCategory[], limit: number) {
  if (!wants(types, 'admission')) return [];
  const rows = await db.admissionDecision.findMany({
    where: {
      clusterId: s.clusterId,
      namespace: s.namespace,
      workloadKind: s.kind,
      workloadName: s.name,
      at: { ...(r.from ? { gte: r.from } : {}), ...(r.to ? { lt: r.to } : {}) },
    },
    select: {
      id: true,
      at: true,
      decision: true,
      operation: true,
      kind: true,
      namespace: true,
      name: true,
      user: true,
      rules: true,
      mode: true,
    },
    orderBy: [{ at: 'desc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map((d): TimelineEntry => ({
    id: `admission:${d.id}`,
    at: d.at.toISOString(),
    kind: `admission.${d.decision}`,
    category: 'admission',
    summary: decisionSummary(d),
    href: null,
  }));
}

/** Every source's events of the types in the range, at most `limit` of each (the newest); and whether one had more. */
async function collect(db: PrismaClient, s: Subject, r: Range, types: TimelineCategory[], limit: number) {
  const parts = await Promise.all([
    recordedChanges(db, s, r, types, limit + 1),
    anomalies(db, s, r, types, limit + 1),
    falcoAlerts(db, s, r, types, limit + 1),
    claims(db, s, r, types, limit + 1),
    admission(db, s, r, types, limit + 1),
  ]);
  return {
    events: [...parts.flat(), ...lifecycle(s, r, types)].filter((e) => types.includes(e.category)),
    capped: parts.some((p) => p.length > limit),
  };
}

/**
 * The workload's timeline for a view (window and types), or null when there is no such workload. The chart's
 * buckets cover everything counted (all types: hidden ones are toggled off in the chart), the list the latest
 * `limit` events of the selected types in the window.
 */
export async function workloadTimeline(
  db: PrismaClient,
  id: string,
  query: TimelineQuery,
  { limit = TIMELINE_LIMIT }: { limit?: number } = {},
): Promise<WorkloadTimelineView | null> {
  const s = await subjectOf(db, id);
  if (!s) return null;
  const all = [...TIMELINE_CATEGORIES];
  const window: Range = { from: query.from, to: query.to };
  const everything = await collect(db, s, { from: null, to: null }, all, POINTS_PER_SOURCE);
  const listed =
    window.from || window.to || query.types.length < all.length
      ? (await collect(db, s, window, query.types, limit)).events
      : everything.events;
  const { events, truncated } = latest(listed, limit);

  // The chart spans the events (a window far before or after them would squeeze them into one bar).
  const times = everything.events.map((e) => Date.parse(e.at));
  const extent = times.length ? { from: new Date(Math.min(...times)), to: new Date(Math.max(...times)) } : null;
  const unit = extent ? bucketUnitOf(extent.to.getTime() - extent.from.getTime()) : 'day';
  return {
    query: { from: query.from?.toISOString() ?? null, to: query.to?.toISOString() ?? null, types: query.types },
    extent: extent && { from: extent.from.toISOString(), to: extent.to.toISOString() },
    unit,
    buckets: extent ? bucketize(everything.events, extent, unit) : [],
    counts: countByCategory(everything.events.filter((e) => inWindow(e.at, window))),
    countsCapped: everything.capped,
    events,
    truncated,
    limit,
  };
}
