/**
 * The RBAC snapshot of a collected cluster, read from its live (not deleted) RbacRole / RbacBinding rows,
 * ServiceAccounts and Namespaces, for `nhi can` / `nhi who-can`. Stored rules, subjects and aggregation
 * rules are parsed with zod here; a malformed item is dropped and reported as an issue, never trusted.
 *
 *   const cluster = await resolveCluster(db, opts.cluster);
 *   const { snapshot } = await loadRbacSnapshot(db, cluster.id);
 *   const index = buildIndex(snapshot);
 *
 * The collector stores what the API server holds: aggregated ClusterRoles carry the rules the aggregation
 * controller wrote, so the index's default `union` aggregation equals what the authorizer reads.
 */
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { roleKey } from '@/lib/keys';
import type { LoadIssue } from '@/lib/rbac/load';
import type {
  AggregationRule,
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  RbacObjectCounts,
  RbacSnapshot,
  Role,
  RoleBinding,
  Subject,
} from '@/lib/rbac/types';
import { stringMapSchema } from './json';

const list = z.array(z.string()).nullish();
const nonEmpty = (values: string[] | null | undefined) => (values?.length ? values : undefined);

/** One rule as the API serves it; empty lists are left out, as the engine's loader does. */
const policyRuleSchema = z
  .object({ verbs: z.array(z.string()), apiGroups: list, resources: list, resourceNames: list, nonResourceURLs: list })
  .transform((r): PolicyRule => {
    const rule: PolicyRule = { verbs: r.verbs };
    const apiGroups = nonEmpty(r.apiGroups);
    const resources = nonEmpty(r.resources);
    const resourceNames = nonEmpty(r.resourceNames);
    const nonResourceURLs = nonEmpty(r.nonResourceURLs);
    if (apiGroups) rule.apiGroups = apiGroups;
    if (resources) rule.resources = resources;
    if (resourceNames) rule.resourceNames = resourceNames;
    if (nonResourceURLs) rule.nonResourceURLs = nonResourceURLs;
    return rule;
  });

const subjectSchema = z
  .object({ kind: z.string(), name: z.string().min(1), namespace: z.string().nullish(), apiGroup: z.string().nullish() })
  .transform((s): Subject => ({
    kind: s.kind,
    name: s.name,
    ...(s.namespace ? { namespace: s.namespace } : {}),
    ...(typeof s.apiGroup === 'string' ? { apiGroup: s.apiGroup } : {}),
  }));

const aggregationRuleSchema = z.object({
  clusterRoleSelectors: z.array(
    z.object({
      matchLabels: stringMapSchema.nullish().transform((m) => m ?? undefined),
      matchExpressions: z
        .array(
          z.object({
            key: z.string(),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z
              .array(z.string())
              .nullish()
              .transform((v) => (v?.length ? v : undefined)),
          }),
        )
        .nullish()
        .transform((m) => m ?? undefined),
    }),
  ),
}) satisfies z.ZodType<AggregationRule, unknown>;

/** The rows a snapshot is made of, as the database returns them (JSON columns still unparsed). */
export interface RbacRows {
  roles: { kind: string; namespace: string; name: string; rules: unknown; aggregationRule: unknown; labels: unknown }[];
  bindings: { kind: string; namespace: string; name: string; roleRefKind: string; roleRefName: string; subjects: unknown }[];
  serviceAccounts: { namespace: string; name: string; automountToken: boolean | null }[];
  namespaces: string[];
}

export interface DbRbacSnapshot {
  snapshot: RbacSnapshot;
  issues: LoadIssue[];
  counts: RbacObjectCounts;
}

/** Parses each item of a stored list on its own: the valid ones are kept, each invalid one is an issue. */
function parseItems<T>(schema: z.ZodType<T, unknown>, value: unknown, object: string, field: string, issues: LoadIssue[]): T[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    issues.push({ object, path: field, message: 'must be a list' });
    return [];
  }
  const out: T[] = [];
  value.forEach((item: unknown, i) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) out.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      const path = [`${field}[${i}]`, ...(issue?.path ?? []).map(String)].join('.');
      issues.push({ object, path, message: `${issue?.message ?? 'invalid'}; dropped` });
    }
  });
  return out;
}

/** Rows → snapshot (pure). */
export function rbacSnapshotFromRows(rows: RbacRows): DbRbacSnapshot {
  const issues: LoadIssue[] = [];
  const snapshot: RbacSnapshot = { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] };
  for (const r of rows.roles) {
    const object = roleKey(r);
    const rules = parseItems(policyRuleSchema, r.rules, object, 'rules', issues);
    const labelsParsed = stringMapSchema.safeParse(r.labels ?? {});
    const labels = labelsParsed.success ? labelsParsed.data : {};
    if (!labelsParsed.success) issues.push({ object, path: 'labels', message: 'must be a map of strings; ignored' });
    if (r.kind === 'Role') {
      snapshot.roles.push({ kind: 'Role', metadata: { name: r.name, namespace: r.namespace, labels }, rules } satisfies Role);
    } else if (r.kind === 'ClusterRole') {
      const role: ClusterRole = { kind: 'ClusterRole', metadata: { name: r.name, labels }, rules };
      if (r.aggregationRule !== null && r.aggregationRule !== undefined) {
        const agg = aggregationRuleSchema.safeParse(r.aggregationRule);
        if (agg.success) role.aggregationRule = agg.data;
        else issues.push({ object, path: 'aggregationRule', message: `${agg.error.issues[0]?.message}; ignored` });
      }
      snapshot.clusterRoles.push(role);
    }
  }
  for (const b of rows.bindings) {
    const object = roleKey(b);
    const subjects = parseItems(subjectSchema, b.subjects, object, 'subjects', issues);
    const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: b.roleRefKind, name: b.roleRefName };
    if (b.kind === 'RoleBinding') {
      snapshot.roleBindings.push({
        kind: 'RoleBinding',
        metadata: { name: b.name, namespace: b.namespace },
        subjects,
        roleRef,
      } satisfies RoleBinding);
    } else if (b.kind === 'ClusterRoleBinding') {
      snapshot.clusterRoleBindings.push({
        kind: 'ClusterRoleBinding',
        metadata: { name: b.name },
        subjects,
        roleRef,
      } satisfies ClusterRoleBinding);
    }
  }
  snapshot.serviceAccounts = rows.serviceAccounts.map((sa) => ({
    namespace: sa.namespace,
    name: sa.name,
    ...(sa.automountToken === null ? {} : { automountServiceAccountToken: sa.automountToken }),
  }));
  snapshot.namespaces = [...rows.namespaces];
  return {
    snapshot,
    issues,
    counts: {
      roles: snapshot.roles.length,
      clusterRoles: snapshot.clusterRoles.length,
      roleBindings: snapshot.roleBindings.length,
      clusterRoleBindings: snapshot.clusterRoleBindings.length,
      serviceAccounts: snapshot.serviceAccounts.length,
      namespaces: snapshot.namespaces.length,
    },
  };
}

/** The RBAC snapshot of one cluster (by id) from its live rows. */
export async function loadRbacSnapshot(db: PrismaClient, clusterId: string): Promise<DbRbacSnapshot> {
  const live = { clusterId, deletedAt: null };
  const order = [{ kind: 'asc' as const }, { namespace: 'asc' as const }, { name: 'asc' as const }];
  const [roles, bindings, serviceAccounts, namespaces] = await Promise.all([
    db.rbacRole.findMany({
      where: live,
      orderBy: order,
      select: { kind: true, namespace: true, name: true, rules: true, aggregationRule: true, labels: true },
    }),
    db.rbacBinding.findMany({
      where: live,
      orderBy: order,
      select: { kind: true, namespace: true, name: true, roleRefKind: true, roleRefName: true, subjects: true },
    }),
    db.identity.findMany({
      where: { ...live, kind: 'ServiceAccount' },
      orderBy: [{ namespace: 'asc' }, { name: 'asc' }],
      select: { namespace: true, name: true, automountToken: true },
    }),
    db.namespace.findMany({ where: live, orderBy: { name: 'asc' }, select: { name: true } }),
  ]);
  return rbacSnapshotFromRows({ roles, bindings, serviceAccounts, namespaces: namespaces.map((n) => n.name) });
}

/**
 * The part of a cluster's RBAC snapshot that the questions about one subject need, without reading the whole
 * cluster: the bindings with a Group subject naming one of `want.groups`, the bindings named in `want.bindings`
 * (for ClusterRoleBindings, namespace ""), every ClusterRole (aggregation reads them all) and the Roles those
 * RoleBindings refer to; no ServiceAccount or Namespace list. `bindingsFor(buildIndex(snapshot), { groups })`
 * answers for those groups what it answers on the whole snapshot (same bindings, roles, order), and each named
 * binding comes with its subjects. At 100,000 ServiceAccounts and 20,000 bindings this reads a few dozen rows
 * where `loadRbacSnapshot` reads them all (the identity page's least-privilege fix, lib/data/least-privilege.ts).
 */
export async function loadRbacSubset(
  db: PrismaClient,
  clusterId: string,
  want: { groups: readonly string[]; bindings: readonly { kind: string; namespace: string; name: string }[] },
): Promise<DbRbacSnapshot> {
  // One containment test per group, so the GIN index on subjects answers each (a BitmapOr).
  const byGroup = want.groups.map((name) => Prisma.sql`b.subjects @> ${JSON.stringify([{ kind: 'Group', name }])}::jsonb`);
  const byName = want.bindings.map(
    (k) => Prisma.sql`(b.kind = ${k.kind} AND b.namespace = ${k.namespace} AND b.name = ${k.name})`,
  );
  const which = [...byGroup, ...byName];
  const bindings = which.length
    ? await db.$queryRaw<RbacRows['bindings']>`
        SELECT b.kind, b.namespace, b.name, b."roleRefKind", b."roleRefName", b.subjects FROM "RbacBinding" b
        WHERE b."clusterId" = ${clusterId}::uuid AND b."deletedAt" IS NULL AND (${Prisma.join(which, ' OR ')})
        ORDER BY b.kind, b.namespace, b.name`
    : [];
  const roleRefs = bindings
    .filter((b) => b.kind === 'RoleBinding' && b.roleRefKind === 'Role')
    .map((b) => Prisma.sql`(r.namespace = ${b.namespace} AND r.name = ${b.roleRefName})`);
  const roles = await db.$queryRaw<RbacRows['roles']>`
    SELECT r.kind, r.namespace, r.name, r.rules, r."aggregationRule", r.labels FROM "RbacRole" r
    WHERE r."clusterId" = ${clusterId}::uuid AND r."deletedAt" IS NULL
      AND (r.kind = 'ClusterRole' ${roleRefs.length ? Prisma.sql`OR (r.kind = 'Role' AND (${Prisma.join(roleRefs, ' OR ')}))` : Prisma.empty})
    ORDER BY r.kind, r.namespace, r.name`;
  return rbacSnapshotFromRows({ roles, bindings, serviceAccounts: [], namespaces: [] });
}
