/**
 * Findings, as the identity page and the findings queue (Findings page, /api/findings, `nhi findings`) read them: open ones first, worst first,
 * with their explanation, evidence and fix parsed from the stored JSON.
 */
import type pg from 'pg';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import type { TeamScope } from '@/lib/auth/roles';
import { identityInScope, subjectInScope } from '@/lib/auth/scope';
import { POSTURE_RULE_BY_ID } from '@/lib/findings/rules';
import { listExceptions, type ExceptionView } from '@/lib/findings/exceptions';
import { RUNTIME_RULE } from '@/lib/findings/runtime';
import { parseFilter } from '@/lib/http/query';
import { sortDirOf, sortFields, type SortColumns } from '@/lib/http/sort';
import { pagesOf } from '@/lib/http/list-export';
import { OWASP_NHI_TOP10, type OwaspNhiId } from '@/lib/owasp';
import { parseStored } from './json';

export const remediationSchema = z.object({ text: z.string(), yaml: z.string().optional(), command: z.string().optional() });

export interface FindingView {
  id: string;
  ruleId: string;
  title: string;
  severity: string;
  status: string;
  owasp: { id: string; name: string }[];
  explanation: string;
  evidence: Record<string, unknown>;
  remediation: z.infer<typeof remediationSchema>;
  policy: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  /** `namespace X` when the finding is about the namespace the page's subject runs in, not the subject itself. */
  about: string | null;
}

/** What a namespace- or cluster-scoped finding is about, from its subject key (`namespace:<name>`, `cluster:`). */
export function scopeOfSubjectKey(subjectKey: string): FindingRow['scope'] {
  if (subjectKey.startsWith('namespace:')) return { kind: 'namespace', namespace: subjectKey.slice('namespace:'.length) };
  if (subjectKey === 'cluster:') return { kind: 'cluster' };
  return null;
}

/** `namespace X` for a finding about a namespace, as a workload's page lists it beside the workload's own. */
function aboutOf(subjectKey: string): string | null {
  const scope = scopeOfSubjectKey(subjectKey);
  return scope?.kind === 'namespace' ? `namespace ${scope.namespace}` : null;
}

const severityOrder = ['critical', 'high', 'medium', 'low', 'info'];

/**
 * Findings about an identity: its own, those of its credentials, and those of the workloads running as it. The
 * ids come from one UNION of three index lookups (an OR across the joins read every finding).
 */
export async function findingsOfIdentity(db: PrismaClient, identityId: string): Promise<FindingView[]> {
  if (!z.uuid().safeParse(identityId).success) return [];
  const ids = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Finding" WHERE "identityId" = ${identityId}::uuid
    UNION SELECT f.id FROM "Credential" c JOIN "Finding" f ON f."credentialId" = c.id WHERE c."identityId" = ${identityId}::uuid
    UNION SELECT f.id FROM "WorkloadIdentity" wi JOIN "Finding" f ON f."workloadId" = wi."workloadId"
          WHERE wi."identityId" = ${identityId}::uuid AND wi."deletedAt" IS NULL`;
  return ids.length ? findingsWhere(db, { id: { in: ids.map((r) => r.id) } }) : [];
}

/** Findings about a workload: its own, those of the credentials it uses, and those of the namespace it runs in. */
export async function findingsOfWorkload(db: PrismaClient, workloadId: string): Promise<FindingView[]> {
  if (!z.uuid().safeParse(workloadId).success) return [];
  const ids = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Finding" WHERE "workloadId" = ${workloadId}::uuid
    UNION SELECT f.id FROM "CredentialUse" cu JOIN "Finding" f ON f."credentialId" = cu."credentialId"
          WHERE cu."workloadId" = ${workloadId}::uuid AND cu."deletedAt" IS NULL
    UNION SELECT f.id FROM "Workload" w JOIN "Finding" f ON f."clusterId" = w."clusterId" AND f."subjectKey" = 'namespace:' || w.namespace
          WHERE w.id = ${workloadId}::uuid`;
  return ids.length ? findingsWhere(db, { id: { in: ids.map((r) => r.id) } }) : [];
}

async function findingsWhere(db: PrismaClient, where: Prisma.FindingWhereInput): Promise<FindingView[]> {
  const rows = await db.finding.findMany({
    where,
    orderBy: [{ status: 'asc' }, { lastSeenAt: 'desc' }],
    take: 200,
  });
  return rows
    .map((f) => ({
      id: f.id,
      ruleId: f.ruleId,
      title: f.title,
      severity: f.severity,
      status: f.status,
      owasp: f.owaspIds.map((id) => ({ id, name: OWASP_NHI_TOP10[id as OwaspNhiId] ?? id })),
      explanation: f.explanation,
      evidence: parseStored(z.record(z.string(), z.unknown()), f.evidence, `Finding.evidence of ${f.id}`),
      remediation: parseStored(remediationSchema, f.remediation, `Finding.remediation of ${f.id}`),
      policy: f.policy,
      firstSeenAt: f.firstSeenAt.toISOString(),
      lastSeenAt: f.lastSeenAt.toISOString(),
      resolvedAt: f.resolvedAt?.toISOString() ?? null,
      about: aboutOf(f.subjectKey),
    }))
    .sort(
      (a, b) =>
        Number(a.status !== 'open') - Number(b.status !== 'open') ||
        severityOrder.indexOf(a.severity) - severityOrder.indexOf(b.severity) ||
        a.ruleId.localeCompare(b.ruleId),
    );
}

// ---- the findings queue (Findings page, /api/findings, `nhi findings`) ----------------------------

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
const OWASP_IDS = Object.keys(OWASP_NHI_TOP10) as [OwaspNhiId, ...OwaspNhiId[]];

/** The findings list's sortable columns, each with its first direction (no `sort`: open first, worst first). */
export const FINDING_SORTS = {
  severity: 'desc',
  rule: 'asc',
  status: 'asc',
  firstSeen: 'desc',
  lastSeen: 'desc',
} as const satisfies SortColumns<string>;
export type FindingSort = keyof typeof FINDING_SORTS;

/** The Findings page's query string (and the CLI's options), validated. */
export const findingFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  severity: z.enum(SEVERITIES).optional(),
  owasp: z.enum(OWASP_IDS).optional(),
  rule: z
    .string()
    .regex(/^NHI-[A-Z]+-\d{3}$/, 'a rule id such as NHI-POS-004')
    .optional(),
  namespace: z.string().max(253).optional(),
  /** Owning team's name, or `(none)` for subjects nobody owns. */
  owner: z.string().max(253).optional(),
  status: z.enum(['open', 'excepted', 'resolved', 'all']).default('open'),
  ...sortFields(FINDING_SORTS),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type FindingFilter = z.infer<typeof findingFilterSchema>;

export const FINDING_PAGE_SIZE = 50;

export const parseFindingFilter = (params: Record<string, string | string[] | undefined>) =>
  parseFilter(findingFilterSchema, params);

export interface FindingRow {
  id: string;
  cluster: string;
  ruleId: string;
  title: string;
  severity: string;
  status: string;
  owasp: { id: string; name: string }[];
  /** CIS Kubernetes Benchmark control and peer tools' ids of the rule (posture rules only). */
  cis: string | null;
  aliases: string[];
  namespace: string | null;
  /** A namespace- or cluster-scoped finding's subject (no row of its own); null for the others. */
  scope: { kind: 'namespace'; namespace: string } | { kind: 'cluster' } | null;
  identity: { id: string; kind: string; namespace: string; name: string } | null;
  workload: { id: string; kind: string; namespace: string; name: string } | null;
  credential: { id: string; namespace: string; name: string } | null;
  explanation: string;
  evidence: Record<string, unknown>;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

function findingWhere(f: FindingFilter): Prisma.FindingWhereInput {
  const and: Prisma.FindingWhereInput[] = [];
  if (f.cluster) and.push({ cluster: { name: f.cluster } });
  if (f.severity) and.push({ severity: f.severity });
  if (f.owasp) and.push({ owaspIds: { has: f.owasp } });
  if (f.rule) and.push({ ruleId: f.rule });
  if (f.status !== 'all') and.push({ status: f.status });
  if (f.namespace)
    and.push({
      OR: [
        { identity: { namespace: f.namespace } },
        { workload: { namespace: f.namespace } },
        { credential: { namespace: f.namespace } },
        { subjectKey: `namespace:${f.namespace}` },
      ],
    });
  if (f.owner === '(none)')
    and.push({
      OR: [
        { identityId: { not: null }, identity: { ownerships: { none: {} } } },
        { workloadId: { not: null }, workload: { ownerships: { none: {} } } },
      ],
    });
  else if (f.owner) {
    const team = { some: { team: { name: f.owner } } };
    and.push({
      OR: [
        { identity: { ownerships: team } },
        { workload: { ownerships: team } },
        { credential: { identity: { ownerships: team } } },
      ],
    });
  }
  return { AND: and };
}

const findingInclude = {
  cluster: { select: { name: true } },
  identity: { select: { id: true, kind: true, namespace: true, name: true } },
  workload: { select: { id: true, kind: true, namespace: true, name: true } },
  credential: { select: { id: true, namespace: true, name: true } },
} satisfies Prisma.FindingInclude;

type FindingWithSubject = Prisma.FindingGetPayload<{ include: typeof findingInclude }>;

function toFindingRow(f: FindingWithSubject): FindingRow {
  const rule = POSTURE_RULE_BY_ID.get(f.ruleId) ?? (f.ruleId === RUNTIME_RULE.id ? RUNTIME_RULE : undefined);
  const scope = scopeOfSubjectKey(f.subjectKey);
  return {
    id: f.id,
    cluster: f.cluster.name,
    ruleId: f.ruleId,
    title: f.title,
    severity: f.severity,
    status: f.status,
    owasp: f.owaspIds.map((id) => ({ id, name: OWASP_NHI_TOP10[id as OwaspNhiId] ?? id })),
    cis: rule?.cis ?? null,
    aliases: rule?.aliases ?? [],
    namespace:
      f.workload?.namespace ??
      f.identity?.namespace ??
      f.credential?.namespace ??
      (scope?.kind === 'namespace' ? scope.namespace : null),
    scope,
    identity: f.identity ? { ...f.identity, kind: String(f.identity.kind) } : null,
    workload: f.workload,
    credential: f.credential,
    explanation: f.explanation,
    evidence: parseStored(z.record(z.string(), z.unknown()), f.evidence, `Finding.evidence of ${f.id}`),
    firstSeenAt: f.firstSeenAt.toISOString(),
    lastSeenAt: f.lastSeenAt.toISOString(),
    resolvedAt: f.resolvedAt?.toISOString() ?? null,
  };
}

/** Open first, worst first, most recently seen first. */
const findingOrder: Prisma.FindingOrderByWithRelationInput[] = [
  { status: 'asc' },
  { severity: 'desc' },
  { lastSeenAt: 'desc' },
  { firstSeenAt: 'desc' },
  { ruleId: 'asc' },
  { subjectKey: 'asc' },
];

/**
 * The list's order: the chosen column in its direction, then the default order; the id last, so that the
 * order is total and an export read page after page neither repeats nor skips a row.
 */
export function findingOrderOf(f: Pick<FindingFilter, 'sort' | 'dir'>): Prisma.FindingOrderByWithRelationInput[] {
  if (!f.sort) return [...findingOrder, { id: 'asc' }];
  const d = sortDirOf(FINDING_SORTS, f.sort, f.dir);
  const first: Record<FindingSort, Prisma.FindingOrderByWithRelationInput> = {
    severity: { severity: d },
    rule: { ruleId: d },
    status: { status: d },
    firstSeen: { firstSeenAt: d },
    lastSeen: { lastSeenAt: d },
  };
  return [first[f.sort], ...findingOrder, { id: 'asc' }];
}

const findingScopeWhere = (f: FindingFilter, scope: TeamScope): Prisma.FindingWhereInput =>
  scope
    ? {
        AND: [findingWhere(f), { OR: [...subjectInScope(scope).OR!, { credential: { identity: identityInScope(scope) } }] }],
      }
    : findingWhere(f);

/** One page of findings for the filter (`pageSize` and `count: false` for exports, which need no total). */
export async function listFindings(
  db: PrismaClient,
  f: FindingFilter,
  scope: TeamScope = null,
  opts: { pageSize?: number; count?: boolean } = {},
): Promise<{ rows: FindingRow[]; total: number }> {
  const pageSize = opts.pageSize ?? FINDING_PAGE_SIZE;
  const where = findingScopeWhere(f, scope);
  const [total, rows] = await Promise.all([
    opts.count === false ? -1 : db.finding.count({ where }),
    db.finding.findMany({
      where,
      orderBy: findingOrderOf(f),
      skip: (f.page - 1) * pageSize,
      take: pageSize,
      include: findingInclude,
    }),
  ]);
  return { total, rows: rows.map(toFindingRow) };
}

/** Every row of the list's view (all pages, in its order, at most `limit`), 1,000 at a time, for its export. */
export async function* findingViewRows(
  db: PrismaClient,
  f: FindingFilter,
  scope: TeamScope,
  limit: number,
): AsyncGenerator<FindingRow> {
  yield* pagesOf((page, take) => listFindings(db, { ...f, page }, scope, { pageSize: take, count: false }), limit);
}

/** An export's columns (what the list shows, and the subject's names; no credential value anywhere). */
export const FINDING_EXPORT_COLUMNS = [
  'id',
  'cluster',
  'severity',
  'ruleId',
  'title',
  'status',
  'namespace',
  'subjectKind',
  'subject',
  'owasp',
  'cis',
  'firstSeenAt',
  'lastSeenAt',
  'resolvedAt',
] as const;

/** A finding as an export record. */
export function findingExportRecord(r: FindingRow): Record<(typeof FINDING_EXPORT_COLUMNS)[number], string | null | string[]> {
  const subject = r.identity ?? r.workload ?? r.credential;
  return {
    id: r.id,
    cluster: r.cluster,
    severity: r.severity,
    ruleId: r.ruleId,
    title: r.title,
    status: r.status,
    namespace: r.namespace,
    subjectKind: r.identity?.kind ?? r.workload?.kind ?? (r.credential ? 'Credential' : (r.scope?.kind ?? null)),
    subject: subject ? `${subject.namespace ? `${subject.namespace}/` : ''}${subject.name}` : null,
    owasp: r.owasp.map((o) => o.id),
    cis: r.cis,
    firstSeenAt: r.firstSeenAt,
    lastSeenAt: r.lastSeenAt,
    resolvedAt: r.resolvedAt,
  };
}

/** Every finding matching the filter (all pages), for the CLI. */
export async function allFindings(db: PrismaClient, f: FindingFilter): Promise<FindingRow[]> {
  const rows = await db.finding.findMany({ where: findingWhere(f), orderBy: findingOrderOf(f), include: findingInclude });
  return rows.map(toFindingRow);
}

export interface FindingDetail extends FindingRow {
  remediation: z.infer<typeof remediationSchema>;
  policy: string | null;
}

/** One finding with its fix, for its page and `GET /api/findings/<id>`; null when there is none. */
export async function getFinding(db: PrismaClient, id: string): Promise<FindingDetail | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const f = await db.finding.findUnique({ where: { id }, include: findingInclude });
  if (!f) return null;
  return {
    ...toFindingRow(f),
    remediation: parseStored(remediationSchema, f.remediation, `Finding.remediation of ${f.id}`),
    policy: f.policy,
  };
}

/**
 * One finding with its exceptions (finding page, `GET /api/findings/<id>`); null when there is none. The
 * exceptions are listed first: listing ends those past their expiry, so the finding's status is current.
 */
export async function findingWithExceptions(
  db: PrismaClient,
  pool: pg.Pool,
  id: string,
): Promise<(FindingDetail & { exceptions: ExceptionView[] }) | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const exceptions = await listExceptions(pool, { state: 'all', findingId: id });
  const finding = await getFinding(db, id);
  return finding && { ...finding, exceptions };
}
