/**
 * The least-privilege fix of a ServiceAccount (lib/behaviour/least-privilege.ts) from the store: its calls over
 * the window of its runtime activity (lib/data/activity.ts, so the page's sections speak of the same days),
 * against the rules its own bindings grant (lib/data/permission-use.ts, the same reading of bindings,
 * aggregation and missing roles as "Permissions held but never used").
 *
 * - The rules held come from `permissionUse` asked without a window: it then reads no call, and every rule of
 *   the identity's own bindings comes back as unused, that is, the list of what it holds now.
 * - What its groups grant (system:authenticated, system:serviceaccounts…) comes from the cluster's RBAC
 *   (lib/data/rbac.ts `loadRbacSubset`: the bindings of its groups and its own, with their roles, not the whole
 *   snapshot), as the authorizer reads it: calls those bindings allow are left out of the fix. The same rows
 *   say which of its bindings name other subjects too (edit them rather than delete them).
 * - The calls are read here with their outcome: a call is allowed unless its audit decision is `forbid`
 *   (the parser also reads a 401/403 without a decision as `forbid`); an admission refusal (403 after the
 *   authorizer said allow) or a 404 was allowed. Each call is counted once, at its final stage, as activity
 *   counts it; a request that passed authorization (ResponseStarted) and had not ended in the window (a long
 *   watch) is allowed too, with no call counted. Object names are kept where the calls of a verb and resource named at most a few objects (what
 *   a `resourceNames` list may hold) or an object a rule held now names; beyond that they are folded.
 * - With no runtime event of its own, the window is the same number of days up to the cluster's last audit
 *   event: with calls of others seen and none of its own, its pods need no token. A cluster without audit
 *   events gives no window, and no automount advice.
 */
import { z } from 'zod';
import {
  DEFAULT_MAX_NAMES,
  leastPrivilege,
  type FixAction,
  type FixBinding,
  type LeastPrivilegeFix,
  type ObservedCall,
} from '@/lib/behaviour/least-privilege';
import type { GrantedRule } from '@/lib/behaviour/unused';
import type { PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { bindingsFor } from '@/lib/rbac/evaluator';
import { buildIndex } from '@/lib/rbac/rbac-index';
import { serviceAccountUser, subjectAppliesTo } from '@/lib/rbac/subjects';
import { activityOf, activityQuerySchema, identityScope, type Activity } from './activity';
import { bindingText } from './bindings';
import { parseStored, reachBindingSchema } from './json';
import { permissionUse } from './permission-use';
import { loadRbacSubset } from './rbac';

export const fixQuerySchema = activityQuerySchema.extend({
  /** Also grant the calls that were denied in the window (the owner asks for it). */
  includeDenied: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});
export type FixQuery = z.infer<typeof fixQuerySchema>;

export interface LeastPrivilegeResult extends Omit<LeastPrivilegeFix, 'actions'> {
  serviceAccount: { namespace: string; name: string };
  /**
   * The window of the calls: its activity's (`identity`), or, when it has no event of its own, the same days
   * up to the cluster's last audit event (`cluster`); null when the cluster has no audit event at all.
   */
  window: { days: number; since: string; until: string; basis: 'identity' | 'cluster' } | null;
  includeDenied: boolean;
  /** Its calls in the window, one line per action and outcome, with what the fix did with them. */
  observedCalls: FixAction[];
  calls: { allowed: number; denied: number };
  /** Bindings that reach it through a group (they stay; what they allow is left out of the fix). */
  groupBindings: number;
  /** Its own bindings whose role is missing (they grant nothing). */
  missingRoles: string[];
}

const DAY_MS = 86_400_000;
/** The final stage of an audit request (the key ends with its stage), where a call is counted. */
const FINAL = Prisma.sql`(e.key LIKE '%:ResponseComplete' OR e.key LIKE '%:Panic')`;

/** The identity's calls in the window, one row per verb, resource (or URL), namespace and (kept) object name. */
async function observedCalls(
  db: PrismaClient,
  scope: { clusterId: string; namespace: string; name: string },
  window: { since: string; until: string },
  ruleNames: string[],
): Promise<ObservedCall[]> {
  return db.$queryRaw<ObservedCall[]>`
    WITH calls AS (
      SELECT coalesce(e.verb, '') AS verb, nullif(e.resource, '') AS resource, coalesce(e.namespace, '') AS namespace,
             nullif(e.name, '') AS name,
             CASE WHEN coalesce(e.resource, '') = '' THEN split_part(e.event->>'requestURI', '?', 1) END AS "requestURI",
             count(*) FILTER (WHERE ${FINAL} AND e.event->>'decision' IS DISTINCT FROM 'forbid')::int AS allowed,
             count(*) FILTER (WHERE ${FINAL} AND e.event->>'decision' = 'forbid')::int AS denied,
             bool_or(e.key LIKE '%:ResponseStarted' AND e.event->>'decision' IS DISTINCT FROM 'forbid') AS started
      FROM "RuntimeEvent" e
      WHERE e."clusterId" = ${scope.clusterId}::uuid AND e.source = 'audit'
        AND e."saNamespace" = ${scope.namespace} AND e."saName" = ${scope.name}
        AND e.at > ${new Date(window.since)} AND e.at <= ${new Date(window.until)}
        AND (${FINAL} OR e.key LIKE '%:ResponseStarted')
      GROUP BY 1, 2, 3, 4, 5),
    counted AS (
      SELECT c.*, count(*) OVER (PARTITION BY c.verb, c.resource, c.namespace, c."requestURI") AS objects FROM calls c)
    SELECT verb, resource, namespace,
           CASE WHEN objects <= ${DEFAULT_MAX_NAMES} OR name = ANY(${ruleNames}::text[]) THEN name END AS name,
           "requestURI", sum(allowed)::int AS allowed, sum(denied)::int AS denied, bool_or(started) AS started
    FROM counted GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`;
}

/** The window: the activity's, else the same days up to the cluster's last audit event. */
async function windowOf(db: PrismaClient, clusterId: string, activity: Pick<Activity, 'days' | 'window'>) {
  if (activity.window) return { days: activity.days, ...activity.window, basis: 'identity' as const };
  const last = await db.runtimeEvent.findFirst({
    where: { clusterId, source: 'audit' },
    orderBy: { at: 'desc' },
    select: { at: true },
  });
  if (!last) return null;
  return {
    days: activity.days,
    since: new Date(last.at.getTime() - activity.days * DAY_MS).toISOString(),
    until: last.at.toISOString(),
    basis: 'cluster' as const,
  };
}

/**
 * The least-privilege Roles of a ServiceAccount, their YAML, the diff against the rules it holds and the
 * automount advice, over `days` up to its last event. `known.activity` saves reading the activity again when
 * the caller has it (the identity page). Null when the id names no ServiceAccount.
 */
export async function leastPrivilegeFix(
  db: PrismaClient,
  identityId: string,
  query: { days: number; includeDenied?: boolean },
  known: { activity?: Pick<Activity, 'days' | 'window'> } = {},
): Promise<LeastPrivilegeResult | null> {
  if (!z.uuid().safeParse(identityId).success) return null;
  const identity = await db.identity.findUnique({
    where: { id: identityId },
    select: {
      clusterId: true,
      kind: true,
      namespace: true,
      name: true,
      automountToken: true,
      reach: { select: { bindings: true } },
      workloads: {
        where: { deletedAt: null, workload: { deletedAt: null } },
        select: { workload: { select: { kind: true, namespace: true, name: true, automountToken: true } } },
      },
    },
  });
  if (!identity || identity.kind !== 'ServiceAccount') return null;
  let activity = known.activity;
  if (!activity) {
    const scope = await identityScope(db, identityId);
    if (!scope) return null;
    activity = await activityOf(db, scope, { days: query.days });
  }
  const held = await permissionUse(db, identityId, { days: activity.days, window: null });
  if (!held) return null;
  // Without a window permission-use reads no call: every rule of its own bindings is in `unused`.
  const granted: GrantedRule[] = held.unused.map(({ binding, namespace, rule }) => ({ binding, namespace, rule }));
  const window = await windowOf(db, identity.clusterId, activity);
  const ruleNames = [...new Set(granted.flatMap((g) => g.rule.resourceNames ?? []))];
  const calls = window ? await observedCalls(db, identity, window, ruleNames) : [];

  // What its groups grant, and who else its own bindings name, as the authorizer reads the cluster's RBAC.
  const own = (
    identity.reach
      ? parseStored(z.array(reachBindingSchema), identity.reach.bindings, `IdentityReach.bindings of identity ${identityId}`)
      : []
  ).filter((b) => b.group === null);
  // Only the bindings of its groups and its own (with their roles), not the whole cluster's RBAC.
  const user = serviceAccountUser(identity.namespace, identity.name);
  const { snapshot } = await loadRbacSubset(db, identity.clusterId, {
    groups: user.groups,
    bindings: own.map((b) => ({ kind: b.kind, namespace: b.kind === 'RoleBinding' ? b.namespace : '', name: b.name })),
  });
  const index = buildIndex(snapshot);
  const shared: GrantedRule[] = bindingsFor(index, { name: '', groups: user.groups }).flatMap(({ binding, subjectIndex }) => {
    const where = `${binding.kind} ${binding.kind === 'RoleBinding' ? `${binding.namespace}/` : ''}${binding.name}`;
    const text = `${where} → ${binding.roleRef.kind} ${binding.roleRef.name} (group ${binding.subjects[subjectIndex]?.name ?? '?'})`;
    const namespace = binding.kind === 'RoleBinding' ? binding.namespace : '';
    return (binding.role?.rules ?? []).map((rule) => ({ binding: text, namespace, rule }));
  });
  const asUser = { name: user.name, groups: [] };
  const bindings: FixBinding[] = own.map((b) => {
    const found = index.bindings.find(
      (x) => x.kind === b.kind && x.name === b.name && x.namespace === (b.kind === 'RoleBinding' ? b.namespace : ''),
    );
    return {
      kind: b.kind,
      namespace: b.kind === 'RoleBinding' ? b.namespace : '',
      name: b.name,
      role: b.role,
      otherSubjects: found ? found.subjects.filter((s) => !subjectAppliesTo(asUser, s, found.namespace)).length : null,
    };
  });

  const fix = leastPrivilege(
    {
      serviceAccount: { namespace: identity.namespace, name: identity.name, automountToken: identity.automountToken },
      calls,
      granted,
      shared,
      bindings,
      workloads: identity.workloads.map((w) => w.workload).filter((w) => w.namespace === identity.namespace),
      window,
    },
    { includeDenied: query.includeDenied ?? false },
  );
  const { actions, ...rest } = fix;
  return {
    ...rest,
    serviceAccount: { namespace: identity.namespace, name: identity.name },
    window,
    includeDenied: query.includeDenied ?? false,
    observedCalls: actions,
    calls: {
      allowed: calls.reduce((n, c) => n + c.allowed, 0),
      denied: calls.reduce((n, c) => n + c.denied, 0),
    },
    groupBindings: held.groupBindings,
    missingRoles: held.missingRoles,
  };
}

/** `RoleBinding shop/api-edit → ClusterRole edit`, as the page and the CLI name a binding the fix replaces. */
export const replacedText = (b: FixBinding) =>
  bindingText({ kind: b.kind, namespace: b.namespace, name: b.name, role: b.role, roleMissing: false, group: null });
