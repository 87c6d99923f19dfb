/**
 * Anomalies as every reader sees them (the Anomalies page, /api/anomalies, `nhi anomalies`, the identity
 * and workload pages), and the workflow on them: acknowledge, false positive (fed back into the identity's
 * baseline), resolve, reopen, each with who and when; and suppression rules with an expiry.
 *
 * Who: the name given by the person acting (`--by`, or the page's "your name" field). Sign-in (issue 13)
 * will put the signed-in user there instead. Every decision and rule is an entry of the activity trail
 * (lib/trail), written in its transaction: no entry, no change.
 */
import { z } from 'zod';
import type { StoredBaseline } from '@/lib/behaviour/baseline';
import { globRegExp } from '@/lib/behaviour/detect';
import { feedBack } from '@/lib/behaviour/engine';
import { DETECTOR_IDS, DETECTORS, type DetectorId, type Severity } from '@/lib/behaviour/catalogue';
import type { PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import type { TeamScope } from '@/lib/auth/roles';
import { subjectInScope } from '@/lib/auth/scope';
import { invalidInput, notFound } from '@/lib/errors';
import { parseFilter } from '@/lib/http/query';
import { sortDirOf, sortFields, type SortColumns } from '@/lib/http/sort';
import { pagesOf } from '@/lib/http/list-export';
import { OBJECT_NAME, serviceAccountRefSchema } from '@/lib/keys';
import { OWASP_NHI_TOP10, type OwaspNhiId } from '@/lib/owasp';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';

export const ANOMALY_STATUSES = ['open', 'acknowledged', 'false_positive', 'resolved', 'suppressed'] as const;
export type AnomalyStatus = (typeof ANOMALY_STATUSES)[number];
/** `active`: open and acknowledged (what still needs a decision or a fix). */
const STATUS_FILTERS = ['active', 'all', ...ANOMALY_STATUSES] as const;
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** The anomalies list's sortable columns, each with its first direction (no `sort`: most severe, then newest first). */
export const ANOMALY_SORTS = {
  severity: 'desc',
  detector: 'asc',
  events: 'desc',
  lastSeen: 'desc',
  status: 'asc',
} as const satisfies SortColumns<string>;
export type AnomalySort = keyof typeof ANOMALY_SORTS;

export const anomalyFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  identity: serviceAccountRefSchema.optional(),
  identityId: z.uuid().optional(),
  workloadId: z.uuid().optional(),
  detector: z.enum(DETECTOR_IDS).optional(),
  severity: z.enum(SEVERITIES).optional(),
  owasp: z.enum(Object.keys(OWASP_NHI_TOP10) as [OwaspNhiId, ...OwaspNhiId[]]).optional(),
  status: z.enum(STATUS_FILTERS).default('active'),
  namespace: z.string().max(253).optional(),
  ...sortFields(ANOMALY_SORTS),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type AnomalyFilter = z.infer<typeof anomalyFilterSchema>;
export const ANOMALY_PAGE_SIZE = 50;
export const parseAnomalyFilter = (params: Record<string, string | string[] | undefined>) =>
  parseFilter(anomalyFilterSchema, params);

export interface AnomalyItem {
  id: string;
  cluster: string;
  clusterId: string;
  /** `namespace/name` of the ServiceAccount. */
  identity: string;
  identityId: string | null;
  workload: { id: string; kind: string; name: string } | null;
  detector: DetectorId;
  title: string;
  severity: Severity;
  owasp: string[];
  summary: string;
  /** Keys of the evidence events (RuntimeEvent keys), earliest first, at most 50. */
  eventIds: string[];
  eventCount: number;
  firstEventAt: string;
  lastEventAt: string;
  status: AnomalyStatus;
  statusBy: string | null;
  statusAt: string | null;
}

export interface AnomalyHistoryEntry {
  status: AnomalyStatus;
  by: string;
  at: string;
  note?: string;
}

export interface AnomalyDetail extends AnomalyItem {
  explanation: string;
  facts: Record<string, string | number>;
  context: { class?: string; classReason?: string; profiles?: string };
  history: AnomalyHistoryEntry[];
  suppression: { id: string; reason: string; createdBy: string; expiresAt: string } | null;
  /** The evidence events, each linkable to /events/<clusterId>/<key>. */
  events: {
    key: string;
    at: string;
    verb: string | null;
    resource: string | null;
    /** The path of a non-resource call (`/version`), without its query. */
    path: string | null;
    namespace: string | null;
    name: string | null;
    responseCode: number | null;
    sourceIp: string | null;
    userAgent: string | null;
    podName: string | null;
  }[];
}

function where(f: AnomalyFilter): Prisma.AnomalyWhereInput {
  const and: Prisma.AnomalyWhereInput[] = [];
  if (f.cluster) and.push({ cluster: { name: f.cluster } });
  if (f.identity) {
    const [saNamespace, saName] = f.identity.split('/') as [string, string];
    and.push({ saNamespace, saName });
  }
  if (f.identityId) and.push({ identityId: f.identityId });
  if (f.workloadId) and.push({ workloadId: f.workloadId });
  if (f.namespace) and.push({ saNamespace: f.namespace });
  if (f.detector) and.push({ detector: f.detector });
  if (f.severity) and.push({ severity: f.severity });
  if (f.owasp) and.push({ owaspIds: { has: f.owasp } });
  if (f.status === 'active') and.push({ status: { in: ['open', 'acknowledged'] } });
  else if (f.status !== 'all') and.push({ status: f.status });
  return { AND: and };
}

const itemSelect = {
  id: true,
  clusterId: true,
  cluster: { select: { name: true } },
  saNamespace: true,
  saName: true,
  identityId: true,
  workload: { select: { id: true, kind: true, name: true } },
  detector: true,
  severity: true,
  owaspIds: true,
  summary: true,
  eventKeys: true,
  eventCount: true,
  firstEventAt: true,
  lastEventAt: true,
  status: true,
  statusBy: true,
  statusAt: true,
} satisfies Prisma.AnomalySelect;

type ItemRow = Prisma.AnomalyGetPayload<{ select: typeof itemSelect }>;

const toItem = (r: ItemRow): AnomalyItem => ({
  id: r.id,
  cluster: r.cluster.name,
  clusterId: r.clusterId,
  identity: `${r.saNamespace}/${r.saName}`,
  identityId: r.identityId,
  workload: r.workload,
  detector: r.detector as DetectorId,
  title: DETECTORS[r.detector as DetectorId]?.title ?? r.detector,
  severity: r.severity,
  owasp: r.owaspIds,
  summary: r.summary,
  eventIds: r.eventKeys,
  eventCount: r.eventCount,
  firstEventAt: r.firstEventAt.toISOString(),
  lastEventAt: r.lastEventAt.toISOString(),
  status: r.status,
  statusBy: r.statusBy,
  statusAt: r.statusAt?.toISOString() ?? null,
});

export interface AnomalyPage {
  total: number;
  page: number;
  pageSize: number;
  items: AnomalyItem[];
  /** Counts per status under the same filter (status aside), for the page's tabs. */
  byStatus: Record<AnomalyStatus, number>;
}

const anomalyOrder: Prisma.AnomalyOrderByWithRelationInput[] = [{ severity: 'desc' }, { lastEventAt: 'desc' }, { id: 'asc' }];

/** The list's order: the chosen column in its direction, then the default order (which ends with the id: a total order). */
export function anomalyOrderOf(f: Pick<AnomalyFilter, 'sort' | 'dir'>): Prisma.AnomalyOrderByWithRelationInput[] {
  if (!f.sort) return anomalyOrder;
  const d = sortDirOf(ANOMALY_SORTS, f.sort, f.dir);
  const first: Record<AnomalySort, Prisma.AnomalyOrderByWithRelationInput> = {
    severity: { severity: d },
    detector: { detector: d },
    events: { eventCount: d },
    lastSeen: { lastEventAt: d },
    status: { status: d },
  };
  return [first[f.sort], ...anomalyOrder];
}

/** The most severe first, then the newest behaviour: (severity, lastEventAt); or the filter's sort. */
export async function listAnomalies(
  db: PrismaClient,
  f: AnomalyFilter,
  pageSize = ANOMALY_PAGE_SIZE,
  scope: TeamScope = null,
): Promise<AnomalyPage> {
  const inScope = (w: Prisma.AnomalyWhereInput): Prisma.AnomalyWhereInput => (scope ? { AND: [w, subjectInScope(scope)] } : w);
  const w = inScope(where(f));
  const [total, rows, grouped] = await Promise.all([
    db.anomaly.count({ where: w }),
    db.anomaly.findMany({
      where: w,
      select: itemSelect,
      orderBy: anomalyOrderOf(f),
      skip: (f.page - 1) * pageSize,
      take: pageSize,
    }),
    db.anomaly.groupBy({ by: ['status'], where: inScope(where({ ...f, status: 'all' })), _count: { _all: true } }),
  ]);
  const byStatus = Object.fromEntries(ANOMALY_STATUSES.map((s) => [s, 0])) as Record<AnomalyStatus, number>;
  for (const g of grouped) byStatus[g.status] = g._count._all;
  return { total, page: f.page, pageSize, items: rows.map(toItem), byStatus };
}

/** Every anomaly under a filter (the CLI), in the list's order. */
export async function allAnomalies(db: PrismaClient, f: Omit<AnomalyFilter, 'page'>, limit = 10_000): Promise<AnomalyItem[]> {
  const rows = await db.anomaly.findMany({
    where: where({ ...f, page: 1 }),
    select: itemSelect,
    orderBy: anomalyOrderOf(f),
    take: limit,
  });
  return rows.map(toItem);
}

/**
 * Every row of the list's view (all pages, in its order, at most `limit`), 1,000 at a time, for its export
 * (the same reads as the page, whose status counts it does not need).
 */
export async function* anomalyViewRows(
  db: PrismaClient,
  f: AnomalyFilter,
  scope: TeamScope,
  limit: number,
): AsyncGenerator<AnomalyItem> {
  const w = scope ? { AND: [where(f), subjectInScope(scope)] } : where(f);
  yield* pagesOf(
    async (page, take) => ({
      rows: (
        await db.anomaly.findMany({ where: w, select: itemSelect, orderBy: anomalyOrderOf(f), skip: (page - 1) * take, take })
      ).map(toItem),
    }),
    limit,
  );
}

/** An export's columns (what the list shows, and the evidence's count; the events themselves are on each anomaly's page). */
export const ANOMALY_EXPORT_COLUMNS = [
  'id',
  'cluster',
  'severity',
  'identity',
  'workload',
  'detector',
  'title',
  'summary',
  'owasp',
  'eventCount',
  'firstEventAt',
  'lastEventAt',
  'status',
  'statusBy',
  'statusAt',
] as const;

/** An anomaly as an export record. */
export const anomalyExportRecord = (a: AnomalyItem): Record<(typeof ANOMALY_EXPORT_COLUMNS)[number], unknown> => ({
  id: a.id,
  cluster: a.cluster,
  severity: a.severity,
  identity: a.identity,
  workload: a.workload ? `${a.workload.kind} ${a.workload.name}` : null,
  detector: a.detector,
  title: a.title,
  summary: a.summary,
  owasp: a.owasp,
  eventCount: a.eventCount,
  firstEventAt: a.firstEventAt,
  lastEventAt: a.lastEventAt,
  status: a.status,
  statusBy: a.statusBy,
  statusAt: a.statusAt,
});

export async function getAnomaly(db: PrismaClient, id: string): Promise<AnomalyDetail | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const r = await db.anomaly.findUnique({
    where: { id },
    select: {
      ...itemSelect,
      explanation: true,
      facts: true,
      context: true,
      history: true,
      eventTimes: true,
      suppression: { select: { id: true, reason: true, createdBy: true, expiresAt: true } },
    },
  });
  if (!r) return null;
  const events = r.eventKeys.length
    ? await db.$queryRaw<AnomalyDetail['events']>`
        SELECT e.key, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, e.verb, e.resource,
               CASE WHEN e.resource IS NULL THEN split_part(e.event->>'requestURI', '?', 1) END AS path, e.namespace, e.name,
               e."responseCode", e."sourceIp", e."userAgent", e."podName"
        FROM unnest(${r.eventKeys}::text[], ${r.eventTimes}::timestamp[]) AS k(key, at)
        JOIN "RuntimeEvent" e ON e."clusterId" = ${r.clusterId}::uuid AND e.at = k.at AND e.key = k.key
        ORDER BY e.at, e.key`
    : [];
  return {
    ...toItem(r),
    explanation: r.explanation,
    facts: (r.facts ?? {}) as AnomalyDetail['facts'],
    context: (r.context ?? {}) as AnomalyDetail['context'],
    history: (Array.isArray(r.history) ? r.history : []) as unknown as AnomalyHistoryEntry[],
    suppression: r.suppression && { ...r.suppression, expiresAt: r.suppression.expiresAt.toISOString() },
    events,
  };
}

/** What a person may set: `open` reopens. */
export const STATUS_ACTIONS = ['open', 'acknowledged', 'false_positive', 'resolved'] as const;
export const statusChangeSchema = z.object({
  status: z.enum(STATUS_ACTIONS),
  by: z.string().trim().min(1, 'say who you are').max(100),
  note: z.string().trim().max(1000).optional(),
});
export type StatusChange = z.infer<typeof statusChangeSchema>;

/**
 * Changes an anomaly's status, recording who, when and why. A false positive feeds the identity's
 * baseline: its fingerprint is accepted (never raised again) and what it was about (an action, a
 * namespace, an address, a client) becomes part of what the identity does.
 */
export async function setAnomalyStatus(
  db: PrismaClient,
  id: string,
  change: StatusChange,
  now = new Date(),
): Promise<AnomalyDetail> {
  if (!z.uuid().safeParse(id).success) throw notFound('no such anomaly');
  await db.$transaction(async (tx) => {
    const a = await tx.anomaly.findUnique({
      where: { id },
      select: { status: true, history: true, clusterId: true, saNamespace: true, saName: true, fingerprint: true },
    });
    if (!a) throw notFound('no such anomaly');
    if (a.status === change.status) throw invalidInput(`the anomaly is already ${change.status.replace('_', ' ')}`);
    const entry: AnomalyHistoryEntry = {
      status: change.status,
      by: change.by,
      at: now.toISOString(),
      ...(change.note ? { note: change.note } : {}),
    };
    await tx.anomaly.update({
      where: { id },
      data: {
        status: change.status,
        statusBy: change.by,
        statusAt: now,
        history: [...(Array.isArray(a.history) ? a.history : []), entry] as unknown as Prisma.InputJsonValue,
      },
    });
    // The activity trail, in this transaction: no entry, no change (lib/trail).
    await appendTrail(prismaExecutor(tx), {
      actor: change.by,
      action: 'anomaly.status',
      target: `anomaly:${id}`,
      before: { status: a.status, identity: `${a.saNamespace}/${a.saName}` },
      after: { status: change.status, identity: `${a.saNamespace}/${a.saName}`, note: change.note ?? null },
      at: now,
    });
    const key = { clusterId_saNamespace_saName: { clusterId: a.clusterId, saNamespace: a.saNamespace, saName: a.saName } };
    const baseline = await tx.baseline.findUnique({ where: key });
    if (!baseline) return;
    if (change.status === 'false_positive') {
      const b = {
        ...baseline,
        actions: [...baseline.actions],
        namespaces: [...baseline.namespaces],
        sources: [...baseline.sources],
        userAgents: [...baseline.userAgents],
      };
      feedBack(b, a.fingerprint);
      await tx.baseline.update({
        where: key,
        data: {
          accepted: [...new Set([...baseline.accepted, a.fingerprint])].sort(),
          actions: b.actions,
          namespaces: b.namespaces,
          sources: b.sources,
          userAgents: b.userAgents,
          podless: b.podless,
        },
      });
    } else if (a.status === 'false_positive') {
      // Taken back: the fingerprint is raised again (what it taught the baseline stays until it is relearned).
      await tx.baseline.update({ where: key, data: { accepted: baseline.accepted.filter((f) => f !== a.fingerprint) } });
    }
  });
  return (await getAnomaly(db, id))!;
}

export const suppressionSchema = z.object({
  cluster: z.string().max(253).optional(),
  detector: z.enum(DETECTOR_IDS).optional(),
  namespace: z
    .string()
    .regex(new RegExp(`^${OBJECT_NAME}$`), 'is not a namespace name')
    .optional(),
  /** A ServiceAccount name; `*` matches any run of characters. */
  name: z
    .string()
    .regex(/^[-a-z0-9.*]{1,253}$/, 'is not a name (letters, digits, - . and *)')
    .optional(),
  reason: z.string().trim().min(3, 'say why').max(1000),
  by: z.string().trim().min(1, 'say who you are').max(100),
  /** Days from now, 1 to 365: a suppression always ends. */
  days: z.coerce.number().int().min(1).max(365),
});
export type SuppressionInput = z.infer<typeof suppressionSchema>;

export interface SuppressionItem {
  id: string;
  cluster: string | null;
  detector: string | null;
  namespace: string | null;
  name: string | null;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  /** Anomalies it keeps out of the open list. */
  anomalies: number;
  active: boolean;
}

/**
 * Makes a suppression rule; the open and acknowledged anomalies it matches (last seen before its expiry)
 * are suppressed at once, with the rule in their history.
 */
export async function createSuppression(db: PrismaClient, input: SuppressionInput, now = new Date()): Promise<SuppressionItem> {
  const cluster = input.cluster ? await db.cluster.findUnique({ where: { name: input.cluster }, select: { id: true } }) : null;
  if (input.cluster && !cluster) throw notFound(`no cluster named ${input.cluster}`);
  if (!input.detector && !input.namespace && !input.name)
    throw invalidInput('a suppression names a detector, a namespace or a ServiceAccount name (it would hide everything)');
  const expiresAt = new Date(now.getTime() + input.days * 86_400_000);
  const rule = await db.$transaction(async (tx) => {
    const rule = await tx.anomalySuppression.create({
      data: {
        clusterId: cluster?.id ?? null,
        detector: input.detector ?? null,
        namespace: input.namespace ?? null,
        name: input.name ?? null,
        reason: input.reason,
        createdBy: input.by,
        createdAt: now,
        expiresAt,
      },
    });
    const nameLike = input.name ? globRegExp(input.name) : null;
    const matched = await tx.anomaly.findMany({
      where: {
        status: { in: ['open', 'acknowledged'] },
        lastEventAt: { lt: expiresAt },
        ...(cluster ? { clusterId: cluster.id } : {}),
        ...(input.detector ? { detector: input.detector } : {}),
        ...(input.namespace ? { saNamespace: input.namespace } : {}),
      },
      select: { id: true, saName: true, history: true },
    });
    const matching = matched.filter((m) => !nameLike || nameLike.test(m.saName));
    for (const a of matching)
      await tx.anomaly.update({
        where: { id: a.id },
        data: {
          status: 'suppressed',
          statusBy: input.by,
          statusAt: now,
          suppressionId: rule.id,
          history: [
            ...(Array.isArray(a.history) ? a.history : []),
            { status: 'suppressed', by: input.by, at: now.toISOString(), note: `suppression rule: ${input.reason}` },
          ] as unknown as Prisma.InputJsonValue,
        },
      });
    await appendTrail(prismaExecutor(tx), {
      actor: input.by,
      action: 'suppression.create',
      target: `suppression:${rule.id}`,
      before: null,
      after: {
        cluster: input.cluster ?? null,
        detector: input.detector ?? null,
        namespace: input.namespace ?? null,
        name: input.name ?? null,
        reason: input.reason,
        expiresAt: expiresAt.toISOString(),
        suppressed: matching.length,
      },
      at: now,
    });
    return rule;
  });
  return (await listSuppressions(db, now)).find((s) => s.id === rule.id)!;
}

export async function listSuppressions(db: PrismaClient, now = new Date()): Promise<SuppressionItem[]> {
  const rows = await db.anomalySuppression.findMany({
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    include: { cluster: { select: { name: true } }, _count: { select: { anomalies: true } } },
    take: 1000,
  });
  return rows.map((r) => ({
    id: r.id,
    cluster: r.cluster?.name ?? null,
    detector: r.detector,
    namespace: r.namespace,
    name: r.name,
    reason: r.reason,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revokedBy: r.revokedBy,
    anomalies: r._count.anomalies,
    active: !r.revokedAt && r.expiresAt > now,
  }));
}

/** Ends a rule now; the anomalies it suppressed are open again. */
export async function revokeSuppression(db: PrismaClient, id: string, by: string, now = new Date()): Promise<void> {
  if (!z.uuid().safeParse(id).success) throw notFound('no such suppression rule');
  await db.$transaction(async (tx) => {
    const rule = await tx.anomalySuppression.findUnique({ where: { id } });
    if (!rule) throw notFound('no such suppression rule');
    if (rule.revokedAt) throw invalidInput('the rule is already revoked');
    await tx.anomalySuppression.update({ where: { id }, data: { revokedAt: now, revokedBy: by } });
    const suppressed = await tx.anomaly.findMany({
      where: { suppressionId: id, status: 'suppressed' },
      select: { id: true, history: true },
    });
    for (const a of suppressed)
      await tx.anomaly.update({
        where: { id: a.id },
        data: {
          status: 'open',
          statusBy: by,
          statusAt: now,
          history: [
            ...(Array.isArray(a.history) ? a.history : []),
            { status: 'open', by, at: now.toISOString(), note: 'its suppression rule was revoked' },
          ] as unknown as Prisma.InputJsonValue,
        },
      });
    await appendTrail(prismaExecutor(tx), {
      actor: by,
      action: 'suppression.revoke',
      target: `suppression:${id}`,
      before: { revokedAt: null, expiresAt: rule.expiresAt.toISOString(), reason: rule.reason },
      after: { revokedAt: now.toISOString(), revokedBy: by, reopened: suppressed.length },
      at: now,
    });
  });
}

/** Open and acknowledged anomalies per ServiceAccount (`namespace/name`) of a cluster: for ranking escalation paths. */
export async function activeAnomalyCounts(db: PrismaClient, clusterId: string): Promise<Map<string, number>> {
  const rows = await db.anomaly.groupBy({
    by: ['saNamespace', 'saName'],
    where: { clusterId, status: { in: ['open', 'acknowledged'] } },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [`${r.saNamespace}/${r.saName}`, r._count._all]));
}

export interface BaselineView extends StoredBaseline {
  class: string;
  classReason: string;
  firstEventAt: string;
  learnUntil: string;
  learnedAt: string | null;
  events: number;
  accepted: number;
}

/** A ServiceAccount's baseline (null before its first event was judged). */
export async function baselineOf(
  db: PrismaClient,
  clusterId: string,
  namespace: string,
  name: string,
): Promise<BaselineView | null> {
  const b = await db.baseline.findUnique({
    where: { clusterId_saNamespace_saName: { clusterId, saNamespace: namespace, saName: name } },
  });
  if (!b) return null;
  return {
    class: b.class,
    classReason: b.classReason,
    firstEventAt: b.firstEventAt.toISOString(),
    learnUntil: b.learnUntil.toISOString(),
    learnedAt: b.learnedAt?.toISOString() ?? null,
    actions: b.actions,
    namespaces: b.namespaces,
    sources: b.sources,
    userAgents: b.userAgents,
    podless: b.podless,
    maxPerHour: b.maxPerHour,
    events: b.events,
    accepted: b.accepted.length,
  };
}
