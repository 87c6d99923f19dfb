/**
 * The admission webhook's recorded decisions (lib/admission): the recent ones of every cluster, filtered (the
 * Admission page, GET /api/admission/decisions), and those of one workload (its timeline), matched by the cluster,
 * namespace, kind and name the webhook keyed them by, so that decisions taken before the workload was first
 * collected show once it is.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { SEVERITIES } from '@/lib/rbac/capabilities';
import { parseFilter } from '@/lib/http/query';
import { parseStored } from './json';

export const ADMISSION_DECISIONS = ['allowed', 'denied', 'warned'] as const;
export type AdmissionDecisionValue = (typeof ADMISSION_DECISIONS)[number];

const decisionFindingSchema = z.object({
  rule: z.string(),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  subject: z.string(),
  status: z.enum(['open', 'excepted']),
  preexisting: z.boolean(),
  fix: z.string(),
});
export type DecisionFindingView = z.infer<typeof decisionFindingSchema>;

export const admissionFilterSchema = z.object({
  cluster: z.string().trim().min(1).max(253).optional(),
  decision: z.enum(ADMISSION_DECISIONS).optional(),
  namespace: z.string().trim().min(1).max(253).optional(),
  kind: z.string().trim().min(1).max(63).optional(),
  /** A rule id that denied or would have (NHI-POS-001). */
  rule: z
    .string()
    .trim()
    .regex(/^[A-Z0-9-]{3,40}$/, 'must be a rule id such as NHI-POS-001')
    .optional(),
  /** Objects whose name starts with this. */
  name: z.string().trim().min(1).max(253).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});
export type AdmissionFilter = z.infer<typeof admissionFilterSchema>;
export const parseAdmissionFilter = (params: Record<string, string | string[] | undefined>) =>
  parseFilter(admissionFilterSchema, params);

const SELECT = {
  id: true,
  at: true,
  uid: true,
  operation: true,
  kind: true,
  namespace: true,
  name: true,
  workloadKind: true,
  workloadName: true,
  serviceAccounts: true,
  decision: true,
  mode: true,
  failOn: true,
  rules: true,
  findings: true,
  message: true,
  user: true,
  cluster: { select: { id: true, name: true } },
} as const;

type Row = {
  id: string;
  at: Date;
  findings: unknown;
  decision: string;
  cluster: { id: string; name: string };
} & Record<string, unknown>;

function view<R extends Row>(r: R) {
  return {
    ...r,
    decision: r.decision as AdmissionDecisionValue,
    findings: parseStored(z.array(decisionFindingSchema), r.findings, `AdmissionDecision ${r.id} findings`),
  };
}
const findDecisions = (db: PrismaClient, args: Parameters<PrismaClient['admissionDecision']['findMany']>[0]) =>
  db.admissionDecision.findMany({ ...args, select: SELECT });

/** The recorded decisions, newest first: `{ total, page, pageSize, items }`. */
export async function listAdmissionDecisions(db: PrismaClient, f: AdmissionFilter) {
  const where = {
    ...(f.cluster ? { cluster: { name: f.cluster } } : {}),
    ...(f.decision ? { decision: f.decision } : {}),
    ...(f.namespace ? { namespace: f.namespace } : {}),
    ...(f.kind ? { kind: f.kind } : {}),
    ...(f.rule ? { rules: { has: f.rule } } : {}),
    ...(f.name ? { name: { startsWith: f.name } } : {}),
  };
  const [total, rows] = await Promise.all([
    db.admissionDecision.count({ where }),
    findDecisions(db, {
      where,
      orderBy: [{ at: 'desc' }, { id: 'asc' }],
      skip: (f.page - 1) * f.pageSize,
      take: f.pageSize,
    }),
  ]);
  return { total, page: f.page, pageSize: f.pageSize, items: rows.map(view) };
}

/** The decisions about one workload (the object itself, its ReplicaSets, Jobs and Pods), newest first. */
export async function admissionOfWorkload(
  db: PrismaClient,
  w: { clusterId: string; namespace: string; kind: string; name: string },
  take = 50,
) {
  const rows = await findDecisions(db, {
    where: { clusterId: w.clusterId, namespace: w.namespace, workloadKind: w.kind, workloadName: w.name },
    orderBy: [{ at: 'desc' }, { id: 'asc' }],
    take,
  });
  return rows.map(view);
}

/** The decisions about objects that concern a ServiceAccount (itself, bindings naming it, workloads running as it). */
export async function admissionOfServiceAccount(
  db: PrismaClient,
  sa: { clusterId: string; namespace: string; name: string },
  take = 50,
) {
  const rows = await findDecisions(db, {
    where: { clusterId: sa.clusterId, serviceAccounts: { has: `${sa.namespace}/${sa.name}` } },
    orderBy: [{ at: 'desc' }, { id: 'asc' }],
    take,
  });
  return rows.map(view);
}

/** The ids of the collected workloads the decisions belong to, by `clusterId/namespace/Kind/name` (for links). */
export async function workloadIdsOf(
  db: PrismaClient,
  decisions: readonly { cluster: { id: string }; namespace: string; workloadKind: string | null; workloadName: string | null }[],
): Promise<Map<string, string>> {
  const keys = decisions.filter((d) => d.workloadKind && d.workloadName);
  if (!keys.length) return new Map();
  const rows = await db.workload.findMany({
    where: {
      OR: keys.map((d) => ({ clusterId: d.cluster.id, namespace: d.namespace, kind: d.workloadKind!, name: d.workloadName! })),
    },
    select: { id: true, clusterId: true, namespace: true, kind: true, name: true },
  });
  return new Map(rows.map((w) => [`${w.clusterId}/${w.namespace}/${w.kind}/${w.name}`, w.id]));
}

export type AdmissionDecisionView = Awaited<ReturnType<typeof admissionOfWorkload>>[number];

/** One line of a decision for a timeline: `denied CREATE Deployment shop/web by alice: NHI-POS-004`. */
export function decisionSummary(d: {
  decision: string;
  operation: string;
  kind: string;
  namespace: string;
  name: string;
  user: string;
  rules: string[];
  mode: string;
}): string {
  const verb = d.decision === 'denied' ? 'Denied' : d.decision === 'warned' ? 'Allowed with warnings' : 'Allowed';
  return (
    `Admission: ${verb} ${d.operation} ${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}` +
    `${d.user ? ` by ${d.user}` : ''} (${d.mode})${d.rules.length ? `: ${d.rules.join(', ')}` : ''}`
  );
}
