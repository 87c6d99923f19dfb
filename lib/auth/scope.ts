/**
 * Team scope: what a service owner may see and act on. An identity is theirs when an Ownership (claimed or
 * inferred from labels) ties it to one of their teams, or one of their teams' workloads runs as it; a workload
 * when an Ownership ties it to one of their teams, or it runs as one of their teams' identities. Findings,
 * anomalies, credentials and risk scores follow their identity or workload; cluster- and namespace-wide
 * findings are not any team's. A null scope (every other role) sees everything.
 *
 * The same rule in three forms: SQL conditions for raw queries, Prisma `where` inputs, and checks of one
 * subject for detail routes and pages (which answer 404, as for a subject that does not exist, so that another
 * team's ids are not even confirmed).
 */
import { Prisma } from '@/lib/db/generated/client';
import type { PrismaClient } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { isUuid } from '@/lib/validate';
import type { TeamScope } from './roles';

const teams = (scope: readonly string[]) => Prisma.sql`${[...scope]}::uuid[]`;

/** SQL: the identity `id` (an expression) is in scope. */
export function identityInScopeSql(scope: TeamScope, id: Prisma.Sql): Prisma.Sql {
  if (!scope) return Prisma.sql`TRUE`;
  return Prisma.sql`(EXISTS (SELECT 1 FROM "Ownership" so WHERE so."identityId" = ${id} AND so."teamId" = ANY(${teams(scope)}))
    OR EXISTS (SELECT 1 FROM "WorkloadIdentity" swi JOIN "Ownership" so ON so."workloadId" = swi."workloadId"
               WHERE swi."identityId" = ${id} AND so."teamId" = ANY(${teams(scope)})))`;
}

/** SQL: the workload `id` (an expression) is in scope. */
export function workloadInScopeSql(scope: TeamScope, id: Prisma.Sql): Prisma.Sql {
  if (!scope) return Prisma.sql`TRUE`;
  return Prisma.sql`(EXISTS (SELECT 1 FROM "Ownership" so WHERE so."workloadId" = ${id} AND so."teamId" = ANY(${teams(scope)}))
    OR EXISTS (SELECT 1 FROM "WorkloadIdentity" swi JOIN "Ownership" so ON so."identityId" = swi."identityId"
               WHERE swi."workloadId" = ${id} AND so."teamId" = ANY(${teams(scope)})))`;
}

/** Prisma: identities in scope. */
export function identityInScope(scope: TeamScope): Prisma.IdentityWhereInput {
  if (!scope) return {};
  const owned = { some: { teamId: { in: [...scope] } } };
  return { OR: [{ ownerships: owned }, { workloads: { some: { workload: { ownerships: owned } } } }] };
}

/** Prisma: workloads in scope. */
export function workloadInScope(scope: TeamScope): Prisma.WorkloadWhereInput {
  if (!scope) return {};
  const owned = { some: { teamId: { in: [...scope] } } };
  return { OR: [{ ownerships: owned }, { identities: { some: { identity: { ownerships: owned } } } }] };
}

/** Prisma: findings, anomalies and the like whose identity or workload is in scope (none for cluster-wide ones). */
export function subjectInScope(
  scope: TeamScope,
): { OR: ({ identity: Prisma.IdentityWhereInput } | { workload: Prisma.WorkloadWhereInput })[] } | Record<string, never> {
  if (!scope) return {};
  return { OR: [{ identity: identityInScope(scope) }, { workload: workloadInScope(scope) }] };
}

/** Throws 404 unless the identity is in scope (a null scope lets everything through without a query). */
export async function assertIdentityInScope(db: PrismaClient, scope: TeamScope, identityId: string): Promise<void> {
  if (!scope) return;
  if (!isUuid(identityId) || !(await db.identity.count({ where: { id: identityId, ...identityInScope(scope) } })))
    throw notFound('no identity with this id in your teams');
}

export async function assertWorkloadInScope(db: PrismaClient, scope: TeamScope, workloadId: string): Promise<void> {
  if (!scope) return;
  if (!isUuid(workloadId) || !(await db.workload.count({ where: { id: workloadId, ...workloadInScope(scope) } })))
    throw notFound('no workload with this id in your teams');
}

/** A finding's or an anomaly's subject: in scope when its identity or its workload is. */
export async function assertSubjectInScope(
  db: PrismaClient,
  scope: TeamScope,
  subject: { identityId?: string | null; workloadId?: string | null } | null,
  what: string,
): Promise<void> {
  if (!scope) return;
  const inScope =
    (subject?.identityId && (await db.identity.count({ where: { id: subject.identityId, ...identityInScope(scope) } }))) ||
    (subject?.workloadId && (await db.workload.count({ where: { id: subject.workloadId, ...workloadInScope(scope) } })));
  if (!inScope) throw notFound(`no ${what} with this id in your teams`);
}

/** The identity and workload a finding is about (a credential finding: the credential's identity). */
export async function findingSubject(db: PrismaClient, id: string) {
  if (!isUuid(id)) return null;
  const f = await db.finding.findUnique({
    where: { id },
    select: { identityId: true, workloadId: true, credential: { select: { identityId: true } } },
  });
  return f && { identityId: f.identityId ?? f.credential?.identityId ?? null, workloadId: f.workloadId };
}

/** The identity and workload an anomaly is about. */
export async function anomalySubject(db: PrismaClient, id: string) {
  if (!isUuid(id)) return null;
  return db.anomaly.findUnique({ where: { id }, select: { identityId: true, workloadId: true } });
}
