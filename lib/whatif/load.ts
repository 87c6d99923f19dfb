/**
 * What-if from the store (lib/whatif/engine.ts): reads only what one ServiceAccount's simulation needs, never the
 * whole cluster, and writes nothing.
 *
 * - Its bindings (those naming it, those of its groups, as lib/data/rbac.ts loadRbacSubset reads them, on the GIN
 *   index of subjects) and every role (ClusterRoles for aggregation, Roles for the bindings to add and the
 *   super-roles the escalation graph binds to).
 * - The namespaces with their Pod Security level, and per namespace the few ServiceAccounts whose stored paths
 *   go furthest (shortest to cluster-admin, then most targets), with the pods and legacy token Secrets of those
 *   accounts and their stored escalation facts: the engine follows the identity's own edges in that snapshot and
 *   continues with the stored path of the account it reaches.
 * - What its findings and score read: owners, workloads, open (and excepted) findings, open or acknowledged
 *   anomalies, the risk weights and the findings policy in force.
 * - With `leastPrivilege`, the suggested fix of lib/data/least-privilege.ts (its objects and the bindings it
 *   replaces) over its runtime activity.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { invalidInput } from '@/lib/errors';
import { loadFindingsPolicy } from '@/lib/findings/policy';
import { applicationOf } from '@/lib/findings/rules';
import { identityNodeId } from '@/lib/rbac/escalation';
import type { TargetKind } from '@/lib/rbac/escalation-targets';
import { serviceAccountUser } from '@/lib/rbac/subjects';
import type { PodInfo, SecretInfo } from '@/lib/rbac/types';
import type { AnomalyFact, FindingFact } from '@/lib/risk/score';
import { loadWeights } from '@/lib/risk/weights';
import { rbacSnapshotFromRows, type RbacRows } from '@/lib/data/rbac';
import { parseStored, reachBindingSchema } from '@/lib/data/json';
import { leastPrivilegeFix } from '@/lib/data/least-privilege';
import {
  simulate,
  type AddedBinding,
  type BindingKey,
  type OtherIdentityFacts,
  type WhatIfModel,
  type WhatIfResult,
} from './engine';

/** Stronger accounts kept per namespace as targets of the identity's own edges. */
export const OTHERS_PER_NAMESPACE = 3;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/;

export const addBindingSchema = z
  .object({
    roleKind: z.enum(['Role', 'ClusterRole']),
    roleName: z.string().min(1).max(253),
    namespace: z.string().min(1).max(63).regex(DNS_NAME, 'not a namespace name').optional(),
  })
  .refine((b) => b.roleKind === 'ClusterRole' || b.namespace !== undefined, {
    message: 'a Role needs its namespace',
    path: ['namespace'],
  });

/** The body of POST /api/identities/[id]/what-if. */
export const whatIfBodySchema = z.object({
  /** RbacBinding ids (GET /api/identities/[id]/what-if lists the identity's). */
  removeBindings: z.array(z.uuid()).max(100).default([]),
  addBindings: z.array(addBindingSchema).max(20).default([]),
  leastPrivilege: z.boolean().default(false),
  /** Days of runtime activity the least-privilege fix is computed over (as the identity page's). */
  days: z.number().int().min(1).max(90).default(7),
});
export type WhatIfBody = z.output<typeof whatIfBodySchema>;

/** What to simulate, with bindings named by id (API) or by kind, namespace and name (CLI). */
export interface WhatIfRequest {
  removeBindingIds?: readonly string[];
  removeBindings?: readonly BindingKey[];
  addBindings: readonly AddedBinding[];
  leastPrivilege: boolean;
  days?: number;
}

const storedTargetSchema = z.array(
  z
    .object({
      target: z.string(),
      scope: z.string(),
      distance: z.number(),
      steps: z.array(z.object({ text: z.string() }).loose()).default([]),
    })
    .loose(),
);
const storedStepsSchema = z.array(z.object({ text: z.string() }).loose());

interface IdentityRow {
  id: string;
  clusterId: string;
  namespace: string;
  name: string;
  builtIn: boolean;
  bindings: unknown;
}

async function identityOf(db: PrismaClient, identityId: string): Promise<IdentityRow | null> {
  if (!z.uuid().safeParse(identityId).success) return null;
  const i = await db.identity.findFirst({
    where: { id: identityId, kind: 'ServiceAccount', deletedAt: null },
    select: { id: true, clusterId: true, namespace: true, name: true, builtIn: true, reach: { select: { bindings: true } } },
  });
  return i ? { ...i, bindings: i.reach?.bindings ?? [] } : null;
}

/** The identity's bindings as stored with its reach, each with its RbacBinding id (null when the row is gone). */
export async function identityBindings(db: PrismaClient, identity: IdentityRow) {
  const stored = parseStored(z.array(reachBindingSchema), identity.bindings, `IdentityReach.bindings of ${identity.id}`);
  const keyOf = (b: { kind: string; namespace: string; name: string }) =>
    `${b.kind}/${b.kind === 'RoleBinding' ? b.namespace : ''}/${b.name}`;
  const rows = stored.length
    ? await db.rbacBinding.findMany({
        where: {
          clusterId: identity.clusterId,
          deletedAt: null,
          OR: stored.map((b) => ({ kind: b.kind, namespace: b.kind === 'RoleBinding' ? b.namespace : '', name: b.name })),
        },
        select: { id: true, kind: true, namespace: true, name: true },
      })
    : [];
  const ids = new Map(rows.map((r) => [keyOf(r), r.id]));
  return stored.map((b) => ({
    id: ids.get(keyOf(b)) ?? null,
    kind: b.kind,
    namespace: b.kind === 'RoleBinding' ? b.namespace : '',
    name: b.name,
    role: b.role,
    roleMissing: b.roleMissing,
    group: b.group,
  }));
}

/** The identity's bindings (to remove) and the cluster's roles matching `q` (to add), at most `limit`. */
export async function whatIfOptions(db: PrismaClient, identityId: string, q: string, limit = 50) {
  const identity = await identityOf(db, identityId);
  if (!identity) return null;
  const [bindings, roles] = await Promise.all([
    identityBindings(db, identity),
    db.rbacRole.findMany({
      where: {
        clusterId: identity.clusterId,
        deletedAt: null,
        ...(q
          ? { OR: [{ name: { contains: q, mode: 'insensitive' } }, { namespace: { contains: q, mode: 'insensitive' } }] }
          : {}),
      },
      orderBy: [{ kind: 'asc' }, { namespace: 'asc' }, { name: 'asc' }],
      take: limit,
      select: { kind: true, namespace: true, name: true },
    }),
  ]);
  return {
    identity: { id: identity.id, namespace: identity.namespace, name: identity.name },
    bindings,
    roles: roles.map((r) => ({ kind: r.kind as 'Role' | 'ClusterRole', namespace: r.namespace, name: r.name })),
  };
}

/** The model of one ServiceAccount and the changes asked for; null when the id names no live ServiceAccount. */
export async function loadWhatIf(
  db: PrismaClient,
  identityId: string,
  request: WhatIfRequest,
): Promise<{
  model: WhatIfModel;
  removeBindings: BindingKey[];
  leastPrivilege: { documents: unknown[]; replaces: BindingKey[] } | null;
} | null> {
  const identity = await identityOf(db, identityId);
  if (!identity) return null;
  const { clusterId } = identity;
  const mine = await identityBindings(db, identity);

  // The bindings to remove must be among its own (by id or by name).
  const removeBindings: BindingKey[] = [];
  for (const id of request.removeBindingIds ?? []) {
    const b = mine.find((x) => x.id === id);
    if (!b) throw invalidInput(`binding ${id} does not designate ${identity.namespace}/${identity.name}`);
    removeBindings.push({ kind: b.kind as BindingKey['kind'], namespace: b.namespace, name: b.name });
  }
  for (const k of request.removeBindings ?? []) {
    const b = mine.find(
      (x) => x.kind === k.kind && x.name === k.name && (k.kind === 'ClusterRoleBinding' || x.namespace === k.namespace),
    );
    if (!b)
      throw invalidInput(
        `${k.kind} ${k.kind === 'RoleBinding' ? `${k.namespace}/` : ''}${k.name} does not designate ${identity.namespace}/${identity.name}`,
      );
    removeBindings.push({ kind: b.kind as BindingKey['kind'], namespace: b.namespace, name: b.name });
  }

  // Its bindings: those naming it and those of its groups.
  const user = serviceAccountUser(identity.namespace, identity.name);
  const byGroup = user.groups.map((name) => Prisma.sql`b.subjects @> ${JSON.stringify([{ kind: 'Group', name }])}::jsonb`);
  const byName = mine
    .filter((b) => b.group === null)
    .map((b) => Prisma.sql`(b.kind = ${b.kind} AND b.namespace = ${b.namespace} AND b.name = ${b.name})`);
  const which = [...byGroup, ...byName];
  const [bindings, roles, namespaces] = await Promise.all([
    db.$queryRaw<RbacRows['bindings']>`
      SELECT b.kind, b.namespace, b.name, b."roleRefKind", b."roleRefName", b.subjects FROM "RbacBinding" b
      WHERE b."clusterId" = ${clusterId}::uuid AND b."deletedAt" IS NULL AND (${Prisma.join(which, ' OR ')})
      ORDER BY b.kind, b.namespace, b.name`,
    db.$queryRaw<RbacRows['roles']>`
      SELECT r.kind, r.namespace, r.name, r.rules, r."aggregationRule", r.labels FROM "RbacRole" r
      WHERE r."clusterId" = ${clusterId}::uuid AND r."deletedAt" IS NULL ORDER BY r.kind, r.namespace, r.name`,
    db.namespace.findMany({
      where: { clusterId, deletedAt: null },
      orderBy: { name: 'asc' },
      select: { name: true, labels: true },
    }),
  ]);

  // The strongest few other accounts per namespace, with their stored paths.
  const others = await db.$queryRaw<
    {
      id: string;
      namespace: string;
      name: string;
      automountToken: boolean | null;
      distance: number | null;
      steps: unknown;
      targets: unknown;
    }[]
  >`
    SELECT s.id, s.namespace, s.name, s."automountToken", s.distance, s.steps, s.targets FROM (
      SELECT i.id, i.namespace, i.name, i."automountToken", r."escalationDistance" AS distance, r."escalationSteps" AS steps,
             r."escalationTargets" AS targets,
             row_number() OVER (PARTITION BY i.namespace
               ORDER BY r."escalationDistance" ASC NULLS LAST, jsonb_array_length(r."escalationTargets") DESC, i.name) AS n
      FROM "Identity" i JOIN "IdentityReach" r ON r."identityId" = i.id
      WHERE i."clusterId" = ${clusterId}::uuid AND i."deletedAt" IS NULL AND i.kind = 'ServiceAccount' AND i.id <> ${identity.id}::uuid
        AND (r."escalationDistance" IS NOT NULL OR jsonb_array_length(r."escalationTargets") > 0)) s
    WHERE s.n <= ${OTHERS_PER_NAMESPACE}
    ORDER BY s.namespace, s.name`;
  const otherIds = others.map((o) => o.id);
  const [pods, tokenSecrets, owners, workloads, findings, anomalies] = await Promise.all([
    otherIds.length
      ? db.$queryRaw<{ namespace: string; kind: string; name: string; serviceAccountName: string }[]>`
          SELECT w.namespace, w.kind, w.name, i.name AS "serviceAccountName" FROM "WorkloadIdentity" wi
          JOIN "Workload" w ON w.id = wi."workloadId" JOIN "Identity" i ON i.id = wi."identityId"
          WHERE wi."identityId" = ANY(${otherIds}::uuid[]) AND wi."deletedAt" IS NULL AND w."deletedAt" IS NULL
          ORDER BY 1, 2, 3 LIMIT 5000`
      : [],
    otherIds.length
      ? db.$queryRaw<{ namespace: string; name: string; serviceAccountName: string }[]>`
          SELECT c.namespace, c.name, i.name AS "serviceAccountName" FROM "Credential" c JOIN "Identity" i ON i.id = c."identityId"
          WHERE c."identityId" = ANY(${otherIds}::uuid[]) AND c."deletedAt" IS NULL
            AND c."secretType" = 'kubernetes.io/service-account-token'
          ORDER BY 1, 2 LIMIT 5000`
      : [],
    db.ownership.findMany({ where: { identityId: identity.id }, select: { team: { select: { name: true } } } }),
    db.workload.findMany({
      where: { deletedAt: null, identities: { some: { identityId: identity.id, deletedAt: null } } },
      orderBy: [{ namespace: 'asc' }, { kind: 'asc' }, { name: 'asc' }],
      take: 500,
      select: { id: true, namespace: true, kind: true, name: true, labels: true },
    }),
    db.finding.findMany({
      where: {
        clusterId,
        status: { in: ['open', 'excepted'] },
        OR: [{ identityId: identity.id }, { credential: { identityId: identity.id } }],
      },
      orderBy: [{ ruleId: 'asc' }, { id: 'asc' }],
      select: { id: true, ruleId: true, severity: true, title: true, status: true },
    }),
    db.anomaly.findMany({
      where: { clusterId, identityId: identity.id, status: { in: ['open', 'acknowledged'] } },
      orderBy: { id: 'asc' },
      select: { id: true, detector: true, severity: true, summary: true },
    }),
  ]);

  const parsed = rbacSnapshotFromRows({
    roles,
    bindings,
    serviceAccounts: [
      { namespace: identity.namespace, name: identity.name, automountToken: null },
      ...others.map((o) => ({ namespace: o.namespace, name: o.name, automountToken: o.automountToken })),
    ],
    namespaces: namespaces.map((n) => n.name),
  });
  const snapshot = parsed.snapshot;
  snapshot.pods = pods.map((p): PodInfo => ({
    namespace: p.namespace,
    name: p.name,
    serviceAccountName: p.serviceAccountName,
    owner: { kind: p.kind, name: p.name },
  }));
  snapshot.secrets = tokenSecrets.map((s): SecretInfo => ({
    namespace: s.namespace,
    name: s.name,
    type: 'kubernetes.io/service-account-token',
    serviceAccountName: s.serviceAccountName,
  }));
  const podSecurity: Record<string, string> = {};
  for (const n of namespaces) {
    const level = (n.labels as Record<string, unknown> | null)?.['pod-security.kubernetes.io/enforce'];
    if (typeof level === 'string') podSecurity[n.name] = level;
  }
  snapshot.podSecurity = podSecurity;

  const otherFacts = new Map<string, OtherIdentityFacts>();
  for (const o of others) {
    const targets = storedTargetSchema.safeParse(o.targets ?? []);
    const steps = storedStepsSchema.safeParse(o.steps ?? []);
    otherFacts.set(identityNodeId({ kind: 'ServiceAccount', namespace: o.namespace, name: o.name }), {
      distance: o.distance,
      steps: steps.success ? steps.data.map((s) => s.text) : [],
      targets: targets.success
        ? targets.data.map((t) => ({
            target: t.target as TargetKind,
            scope: t.scope,
            distance: t.distance,
            steps: t.steps.map((s) => s.text),
          }))
        : [],
    });
  }

  let leastPrivilege: { documents: unknown[]; replaces: BindingKey[] } | null = null;
  if (request.leastPrivilege) {
    const fix = await leastPrivilegeFix(db, identity.id, { days: request.days ?? 7 });
    if (fix)
      leastPrivilege = {
        documents: fix.documents.filter((d) => d.kind !== 'ServiceAccount'),
        replaces: fix.replaces.map((b) => ({
          kind: b.kind as BindingKey['kind'],
          namespace: b.kind === 'RoleBinding' ? b.namespace : '',
          name: b.name,
        })),
      };
  }

  const open = findings.filter((f) => f.status === 'open');
  const model: WhatIfModel = {
    snapshot,
    identity: {
      namespace: identity.namespace,
      name: identity.name,
      builtIn: identity.builtIn,
      owners: [...new Set(owners.map((o) => o.team.name))].sort(),
      workloads: workloads
        .filter((w) => w.namespace === identity.namespace)
        .map((w) => ({ kind: w.kind, name: w.name, app: applicationOf(w.labels as Record<string, string> | null) })),
    },
    others: otherFacts,
    risk: {
      findings: open.map((f): FindingFact => ({
        id: f.id,
        ruleId: f.ruleId,
        severity: f.severity as FindingFact['severity'],
        title: f.title,
      })),
      exceptedRules: findings.filter((f) => f.status === 'excepted').map((f) => f.ruleId),
      anomalies: anomalies.map((a): AnomalyFact => ({
        id: a.id,
        detector: a.detector,
        severity: a.severity as AnomalyFact['severity'],
        summary: a.summary,
      })),
      workloads: workloads.map((w) => ({ id: w.id, label: `${w.namespace}/${w.kind}/${w.name}` })),
      owned: owners.length > 0,
      href: `/identities/${identity.id}`,
    },
    weights: loadWeights(),
    policy: loadFindingsPolicy(),
  };
  return { model, removeBindings, leastPrivilege };
}

export interface WhatIfResponse extends WhatIfResult {
  identityId: string;
  /** Milliseconds spent reading and simulating. */
  millis: { load: number; simulate: number };
  /** How much of the cluster the simulation read. */
  read: { roles: number; bindings: number; namespaces: number; otherServiceAccounts: number };
  leastPrivilegeApplied: boolean;
}

/** Loads and simulates (nothing is written). Null when the id names no live ServiceAccount. */
export async function whatIf(db: PrismaClient, identityId: string, request: WhatIfRequest): Promise<WhatIfResponse | null> {
  const t0 = performance.now();
  const loaded = await loadWhatIf(db, identityId, request);
  if (!loaded) return null;
  const t1 = performance.now();
  const result = simulate(loaded.model, {
    removeBindings: loaded.removeBindings,
    addBindings: request.addBindings,
    leastPrivilege: loaded.leastPrivilege,
  });
  if (request.leastPrivilege && !loaded.leastPrivilege) result.warnings.push('no least-privilege fix could be computed');
  const t2 = performance.now();
  const s = loaded.model.snapshot;
  return {
    identityId,
    ...result,
    millis: { load: Math.round(t1 - t0), simulate: Math.round(t2 - t1) },
    read: {
      roles: s.roles.length + s.clusterRoles.length,
      bindings: s.roleBindings.length + s.clusterRoleBindings.length,
      namespaces: s.namespaces?.length ?? 0,
      otherServiceAccounts: loaded.model.others?.size ?? 0,
    },
    leastPrivilegeApplied: loaded.leastPrivilege !== null,
  };
}
