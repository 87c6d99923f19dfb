import { z } from 'zod';
import { prisma } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';

export const identityKinds = ['ServiceAccount', 'CloudIdentity', 'SpiffeId', 'User', 'Group'] as const;

/** The identities list's query string, validated: anything else is rejected with a message naming the field. */
export const identityFilterSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253).optional(),
  kind: z.enum(identityKinds).optional(),
  q: z.string().max(200).optional(),
  risk: z.enum(['cluster-admin', 'critical', 'high', 'any']).optional(),
  builtIn: z.enum(['hide', 'show']).default('hide'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type IdentityFilter = z.infer<typeof identityFilterSchema>;

export function parseIdentityFilter(params: Record<string, string | string[] | undefined>): { filter: IdentityFilter; error?: string } {
  const flat = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = identityFilterSchema.safeParse(flat);
  if (parsed.success) return { filter: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { filter: identityFilterSchema.parse({}), error: `Invalid filter "${issue.path.join('.')}": ${issue.message}` };
}

export const PAGE_SIZE = 50;

export interface IdentityListRow {
  id: string;
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  builtIn: boolean;
  deleted: boolean;
  workloads: number;
  capabilityCount: number | null;
  maxSeverity: string | null;
  reachesClusterAdmin: boolean | null;
  escalationDistance: number | null;
  owners: string[];
}

function where(f: IdentityFilter): Prisma.IdentityWhereInput {
  const and: Prisma.IdentityWhereInput[] = [{ deletedAt: null }];
  if (f.cluster) and.push({ cluster: { name: f.cluster } });
  if (f.namespace) and.push({ namespace: f.namespace });
  if (f.kind) and.push({ kind: f.kind });
  if (f.builtIn === 'hide') and.push({ builtIn: false });
  if (f.q) and.push({ OR: [{ name: { contains: f.q, mode: 'insensitive' } }, { namespace: { contains: f.q, mode: 'insensitive' } }] });
  if (f.risk === 'cluster-admin') and.push({ reach: { reachesClusterAdmin: true } });
  if (f.risk === 'critical') and.push({ reach: { maxSeverity: 'critical' } });
  if (f.risk === 'high') and.push({ reach: { maxSeverity: { in: ['high', 'critical'] } } });
  if (f.risk === 'any') and.push({ reach: { capabilityCount: { gt: 0 } } });
  return { AND: and };
}

/** One page of identities, riskiest first: fewest steps to cluster-admin, then severity, then number of capabilities. */
export async function listIdentities(f: IdentityFilter): Promise<{ rows: IdentityListRow[]; total: number }> {
  const db = prisma();
  const w = where(f);
  const [total, rows] = await Promise.all([
    db.identity.count({ where: w }),
    db.identity.findMany({
      where: w,
      orderBy: [
        // Closest to cluster-admin first (0 = already is); identities with no path or no RBAC reach last.
        { reach: { escalationDistance: { sort: 'asc', nulls: 'last' } } },
        { reach: { maxSeverity: { sort: 'desc', nulls: 'last' } } },
        { reach: { capabilityCount: 'desc' } },
        { namespace: 'asc' },
        { name: 'asc' },
      ],
      skip: (f.page - 1) * PAGE_SIZE,
      take: PAGE_SIZE,
      include: {
        cluster: { select: { name: true } },
        reach: { select: { capabilityCount: true, maxSeverity: true, reachesClusterAdmin: true, escalationDistance: true } },
        ownerships: { include: { team: { select: { name: true } } } },
        _count: { select: { workloads: { where: { deletedAt: null } } } },
      },
    }),
  ]);
  return {
    total,
    rows: rows.map((i) => ({
      id: i.id,
      cluster: i.cluster.name,
      kind: i.kind,
      namespace: i.namespace,
      name: i.name,
      builtIn: i.builtIn,
      deleted: i.deletedAt !== null,
      workloads: i._count.workloads,
      capabilityCount: i.reach?.capabilityCount ?? null,
      maxSeverity: i.reach?.maxSeverity ?? null,
      reachesClusterAdmin: i.reach?.reachesClusterAdmin ?? null,
      escalationDistance: i.reach?.escalationDistance ?? null,
      owners: [...new Set(i.ownerships.map((o) => o.team.name))],
    })),
  };
}

/** Everything the identity page shows. Credentials are metadata only (no column holds a value). */
export async function getIdentity(id: string) {
  if (!z.uuid().safeParse(id).success) return null;
  return prisma().identity.findUnique({
    where: { id },
    include: {
      cluster: { select: { name: true } },
      reach: true,
      workloads: { where: { deletedAt: null }, include: { workload: true } },
      credentials: { where: { deletedAt: null }, orderBy: [{ kind: 'asc' }, { name: 'asc' }] },
      linksFrom: { where: { deletedAt: null }, include: { to: true } },
      linksTo: { where: { deletedAt: null }, include: { from: true } },
      ownerships: { include: { team: true } },
      timeline: { orderBy: { at: 'desc' }, take: 50 },
    },
  });
}
export type IdentityDetail = NonNullable<Awaited<ReturnType<typeof getIdentity>>>;
