/**
 * What an identity or a workload did at runtime, from the stored runtime events (lib/runtime): what it
 * called and how often, how much was denied, from where (addresses, agents, pods, nodes), when (a histogram
 * and one line per day for the timeline), its Falco alerts, and its latest events with a link to each.
 *
 * Everything is aggregated in PostgreSQL over a window of event time that ends at the scope's last event
 * (so an imported history reads the same as live traffic, and an identity quiet for a month still shows
 * what it last did, labelled as such). A call is one audit request, counted at its final stage
 * (ResponseComplete, or Panic): the stages before it (RequestReceived; ResponseStarted of a watch or an
 * exec) are listed but not counted again, and a request still running is counted when it ends. Counting by
 * the key's stage is three times cheaper than counting distinct audit IDs (scripts/bench-activity.ts).
 * A Falco alert is counted apart.
 *
 * Scopes:
 * - an identity (ServiceAccount): its audit events, and the Falco alerts of the pods of the workloads that
 *   run as it;
 * - a workload: the audit events of its ServiceAccount made from its pods (pod-bound tokens name the pod),
 *   plus, when it is the only workload running as that ServiceAccount, the ServiceAccount's calls that name
 *   no pod (a legacy token); and the Falco alerts of its pods.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { podNamePattern, type WorkloadRef } from '@/lib/runtime/attribution';

export const activityQuerySchema = z.object({
  /** The window's length in days, ending at the scope's last event. */
  days: z.coerce.number().int().min(1).max(90).default(7),
});
export type ActivityQuery = z.infer<typeof activityQuerySchema>;

/** A page's `?days=`: a bad value falls back to the default window rather than failing the page. */
export const activityQueryOf = (params: Record<string, string | string[] | undefined>): ActivityQuery =>
  activityQuerySchema.safeParse({ days: params.days }).data ?? activityQuerySchema.parse({});

export type ActivityScope =
  | { kind: 'identity'; clusterId: string; namespace: string; name: string; workloads: WorkloadRef[] }
  | {
      kind: 'workload';
      clusterId: string;
      namespace: string;
      workload: WorkloadRef;
      serviceAccount: string | null;
      /** True when no other workload runs as its ServiceAccount (its pod-less calls are its own). */
      soleUserOfAccount: boolean;
    };

export interface ActivityAction {
  verb: string;
  resource: string;
  /** '' for cluster-scoped calls (or calls that name no namespace). */
  namespace: string;
  calls: number;
  denied: number;
  lastAt: string;
  /** The newest event of this action, for the detail link. */
  sampleKey: string;
}

export interface ActivityCount {
  value: string;
  count: number;
  lastAt: string;
}

export interface ActivityEvent {
  key: string;
  at: string;
  source: string;
  stage: string | null;
  verb: string | null;
  resource: string | null;
  namespace: string | null;
  name: string | null;
  responseCode: number | null;
  denied: boolean;
  pod: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  /** Falco: rule and priority. */
  rule: string | null;
  priority: string | null;
}

export interface ActivityBucket {
  at: string;
  calls: number;
  denied: number;
  alerts: number;
}

export interface Activity {
  clusterId: string;
  days: number;
  /** The window, by event time; null when the scope has no event at all. */
  window: { since: string; until: string } | null;
  calls: number;
  denied: number;
  alerts: number;
  actions: ActivityAction[];
  sources: { addresses: ActivityCount[]; userAgents: ActivityCount[]; pods: ActivityCount[]; nodes: ActivityCount[] };
  /** `hour` buckets for windows up to 3 days, else `day`. */
  bucket: 'hour' | 'day';
  histogram: ActivityBucket[];
  /** One entry per UTC day with activity, newest first (the timeline's runtime lines). */
  daily: ActivityBucket[];
  recent: ActivityEvent[];
  deniedRecent: ActivityEvent[];
  alertsRecent: ActivityEvent[];
}

const DAY_MS = 86_400_000;
const TOP = 10;
/** Latest events listed, and denied calls or alerts listed. */
const RECENT = 50;
const LISTED = 20;

/** The SQL condition for a scope's events (table alias `e`). */
function scopeSql(scope: ActivityScope): Prisma.Sql {
  const falcoOf = (patterns: string[]) =>
    patterns.length
      ? Prisma.sql`(e.source = 'falco' AND e.namespace = ${scope.namespace} AND e."podName" ~ ANY(${patterns}::text[]))`
      : Prisma.sql`FALSE`;
  if (scope.kind === 'identity') {
    const patterns = scope.workloads.map(podNamePattern).filter((p): p is string => p !== null);
    return Prisma.sql`e."clusterId" = ${scope.clusterId}::uuid AND (
      (e."saNamespace" = ${scope.namespace} AND e."saName" = ${scope.name}) OR ${falcoOf(patterns)})`;
  }
  const pattern = podNamePattern(scope.workload);
  const patterns = pattern ? [pattern] : [];
  const audit = scope.serviceAccount
    ? Prisma.sql`(e.source = 'audit' AND e."saNamespace" = ${scope.namespace} AND e."saName" = ${scope.serviceAccount} AND (
        ${patterns.length ? Prisma.sql`e."podName" ~ ANY(${patterns}::text[])` : Prisma.sql`FALSE`}
        ${scope.soleUserOfAccount ? Prisma.sql`OR e."podName" IS NULL` : Prisma.empty}))`
    : Prisma.sql`FALSE`;
  return Prisma.sql`e."clusterId" = ${scope.clusterId}::uuid AND (${audit} OR ${falcoOf(patterns)})`;
}

/** The final stage of an audit request (the key ends with its stage, lib/runtime/types.ts). */
const CALL = Prisma.sql`(e.source = 'audit' AND (e.key LIKE '%:ResponseComplete' OR e.key LIKE '%:Panic'))`;
const DENIED = Prisma.sql`(e."responseCode" IN (401, 403) OR e.event->>'decision' = 'forbid')`;

/** An ActivityEvent as read (the time as a Date, the pod by its column's name). */
type EventRow = Omit<ActivityEvent, 'at' | 'pod'> & { at: Date; podName: string | null };

const EVENT_COLUMNS = Prisma.sql`e.key, e.at, e.source, e.event->>'stage' AS stage, e.verb, e.resource, e.namespace, e.name,
  e."responseCode", ${DENIED} AS denied, e."podName", e."sourceIp", e."userAgent",
  e.event->'falco'->>'rule' AS rule, e.event->'falco'->>'priority' AS priority`;

const toEvent = ({ at, podName, ...rest }: EventRow): ActivityEvent => ({ ...rest, at: at.toISOString(), pod: podName });

/**
 * Newest first, one line per request: a request logged at several stages (ResponseStarted and
 * ResponseComplete of a watch or an exec) is shown by its newest stage. Rows come newest first, up to
 * four stages per request, so `limit` requests are among them.
 */
function perRequest(rows: EventRow[], limit: number): ActivityEvent[] {
  const seen = new Set<string>();
  const out: ActivityEvent[] = [];
  for (const r of rows) {
    const request = r.source === 'audit' ? r.key.split(':')[1]! : r.key;
    if (seen.has(request)) continue;
    seen.add(request);
    out.push(toEvent(r));
    if (out.length === limit) break;
  }
  return out;
}

export async function activityOf(db: PrismaClient, scope: ActivityScope, query: ActivityQuery): Promise<Activity> {
  const where = scopeSql(scope);
  const bucket = query.days <= 3 ? 'hour' : 'day';
  const empty: Activity = {
    clusterId: scope.clusterId,
    days: query.days,
    window: null,
    calls: 0,
    denied: 0,
    alerts: 0,
    actions: [],
    sources: { addresses: [], userAgents: [], pods: [], nodes: [] },
    bucket,
    histogram: [],
    daily: [],
    recent: [],
    deniedRecent: [],
    alertsRecent: [],
  };
  const [last] = await db.$queryRaw<{ until: Date | null }[]>`SELECT max(e.at) AS until FROM "RuntimeEvent" e WHERE ${where}`;
  if (!last?.until) return empty;
  const until = last.until;
  const since = new Date(until.getTime() - query.days * DAY_MS);
  const inWindow = Prisma.sql`${where} AND e.at > ${since} AND e.at <= ${until}`;
  const perBucket = (unit: 'hour' | 'day') => db.$queryRaw<{ at: Date; calls: number; denied: number; alerts: number }[]>`
    SELECT date_trunc(${unit}, e.at) AS at, count(*) FILTER (WHERE ${CALL})::int AS calls,
           count(*) FILTER (WHERE ${CALL} AND ${DENIED})::int AS denied, count(*) FILTER (WHERE e.source = 'falco')::int AS alerts
    FROM "RuntimeEvent" e WHERE ${inWindow} GROUP BY 1 ORDER BY 1`;

  const [actions, sources, histogram, daily, recent, deniedRecent, alertsRecent] = await Promise.all([
    // The newest event of each action is looked up for the 100 actions shown only (by its time, indexed).
    db.$queryRaw<
      { verb: string; resource: string; namespace: string; calls: number; denied: number; lastAt: Date; sampleKey: string }[]
    >`
      WITH actions AS (
        SELECT coalesce(e.verb, '') AS verb, coalesce(e.resource, '') AS resource, coalesce(e.namespace, '') AS namespace,
               count(*) FILTER (WHERE ${CALL})::int AS calls, count(*) FILTER (WHERE ${CALL} AND ${DENIED})::int AS denied,
               max(e.at) AS "lastAt"
        FROM "RuntimeEvent" e WHERE ${inWindow} AND e.source = 'audit'
        GROUP BY 1, 2, 3 ORDER BY calls DESC, 1, 2, 3 LIMIT 100)
      SELECT a.*, (SELECT e.key FROM "RuntimeEvent" e WHERE ${inWindow} AND e.source = 'audit' AND e.at = a."lastAt"
                     AND coalesce(e.verb, '') = a.verb AND coalesce(e.resource, '') = a.resource
                     AND coalesce(e.namespace, '') = a.namespace ORDER BY e.key DESC LIMIT 1) AS "sampleKey"
      FROM actions a ORDER BY a.calls DESC, a.verb, a.resource, a.namespace`,
    db.$queryRaw<{ dim: string; value: string; count: number; lastAt: Date }[]>`
      WITH scoped AS (SELECT e.* FROM "RuntimeEvent" e WHERE ${inWindow} AND (${CALL} OR e.source = 'falco')),
      counted AS (
        SELECT 'address' AS dim, "sourceIp" AS value, count(*)::int AS count, max(at) AS "lastAt" FROM scoped WHERE "sourceIp" IS NOT NULL GROUP BY 2
        UNION ALL SELECT 'agent', "userAgent", count(*)::int, max(at) FROM scoped WHERE "userAgent" IS NOT NULL GROUP BY 2
        UNION ALL SELECT 'pod', "podName", count(*)::int, max(at) FROM scoped WHERE "podName" IS NOT NULL GROUP BY 2
        UNION ALL SELECT 'node', node, count(*)::int, max(at) FROM scoped WHERE node IS NOT NULL GROUP BY 2)
      SELECT dim, value, count, "lastAt" FROM (
        SELECT *, row_number() OVER (PARTITION BY dim ORDER BY count DESC, value) AS rank FROM counted) ranked
      WHERE rank <= ${TOP} ORDER BY dim, count DESC, value`,
    perBucket(bucket),
    bucket === 'day' ? null : perBucket('day'),
    db.$queryRaw<
      EventRow[]
    >`SELECT ${EVENT_COLUMNS} FROM "RuntimeEvent" e WHERE ${inWindow} ORDER BY e.at DESC, e.key LIMIT ${4 * RECENT}`,
    db.$queryRaw<EventRow[]>`SELECT ${EVENT_COLUMNS} FROM "RuntimeEvent" e WHERE ${inWindow} AND e.source = 'audit' AND ${DENIED}
      ORDER BY e.at DESC, e.key LIMIT ${4 * LISTED}`,
    db.$queryRaw<EventRow[]>`SELECT ${EVENT_COLUMNS} FROM "RuntimeEvent" e WHERE ${inWindow} AND e.source = 'falco'
      ORDER BY e.at DESC, e.key LIMIT ${LISTED}`,
  ]);
  const dim = (d: string): ActivityCount[] =>
    sources.filter((s) => s.dim === d).map((s) => ({ value: s.value, count: s.count, lastAt: s.lastAt.toISOString() }));
  const toBucket = (b: { at: Date; calls: number; denied: number; alerts: number }): ActivityBucket => ({
    at: b.at.toISOString(),
    calls: b.calls,
    denied: b.denied,
    alerts: b.alerts,
  });
  // The totals are the histogram's sums (one scan fewer).
  const sum = (k: 'calls' | 'denied' | 'alerts') => histogram.reduce((n, b) => n + b[k], 0);
  return {
    ...empty,
    window: { since: since.toISOString(), until: until.toISOString() },
    calls: sum('calls'),
    denied: sum('denied'),
    alerts: sum('alerts'),
    actions: actions.map((a) => ({ ...a, lastAt: a.lastAt.toISOString() })),
    sources: { addresses: dim('address'), userAgents: dim('agent'), pods: dim('pod'), nodes: dim('node') },
    histogram: histogram.map(toBucket),
    daily: (daily ?? histogram).map(toBucket).reverse(),
    recent: perRequest(recent, RECENT),
    deniedRecent: perRequest(deniedRecent, LISTED),
    alertsRecent: alertsRecent.map(toEvent),
  };
}

// ---- scopes from the inventory ------------------------------------------------------------------------

/** The scope of an identity page; null for identities that make no Kubernetes API calls of their own. */
export async function identityScope(db: PrismaClient, identityId: string): Promise<ActivityScope | null> {
  if (!z.uuid().safeParse(identityId).success) return null;
  const identity = await db.identity.findUnique({
    where: { id: identityId },
    select: {
      clusterId: true,
      kind: true,
      namespace: true,
      name: true,
      workloads: { where: { deletedAt: null }, select: { workload: { select: { kind: true, name: true, namespace: true } } } },
    },
  });
  if (!identity || identity.kind !== 'ServiceAccount') return null;
  return {
    kind: 'identity',
    clusterId: identity.clusterId,
    namespace: identity.namespace,
    name: identity.name,
    workloads: identity.workloads.map((w) => w.workload).filter((w) => w.namespace === identity.namespace),
  };
}

/** The scope of a workload page. */
export async function workloadScope(db: PrismaClient, workloadId: string): Promise<ActivityScope | null> {
  if (!z.uuid().safeParse(workloadId).success) return null;
  const w = await db.workload.findUnique({
    where: { id: workloadId },
    select: { clusterId: true, namespace: true, kind: true, name: true, serviceAccountName: true },
  });
  if (!w) return null;
  const serviceAccount = w.serviceAccountName ?? 'default';
  const others = await db.workload.count({
    where: {
      clusterId: w.clusterId,
      namespace: w.namespace,
      deletedAt: null,
      NOT: { id: workloadId },
      OR:
        serviceAccount === 'default'
          ? [{ serviceAccountName: 'default' }, { serviceAccountName: null }]
          : [{ serviceAccountName: serviceAccount }],
    },
  });
  return {
    kind: 'workload',
    clusterId: w.clusterId,
    namespace: w.namespace,
    workload: { kind: w.kind, name: w.name },
    serviceAccount,
    soleUserOfAccount: others === 0,
  };
}
