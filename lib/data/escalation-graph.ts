/**
 * One identity's escalation paths as a graph (lib/rbac/path-graph.ts) for the identity page, its API
 * (GET /api/identities/[id]/paths) and `nhi paths`: read from the stored IdentityReach.escalationTargets,
 * with the identities on the paths linked to their pages when the viewer may see them.
 *
 * Reads one IdentityReach row and at most `maxNodes` identities by their unique key: fast at any size.
 */
import { z } from 'zod';
import type { TeamScope } from '@/lib/auth/roles';
import { identityInScope } from '@/lib/auth/scope';
import type { PrismaClient } from '@/lib/db/client';
import type { Prisma } from '@/lib/db/generated/client';
import { identityNodeId } from '@/lib/rbac/escalation/model';
import { MAX_GRAPH_NODES, pathGraph, type PathGraph, type PathGraphNode } from '@/lib/rbac/path-graph';
import { escalationTargetSchema, parseStored, type EscalationTarget } from './json';

export interface IdentityPathGraph extends Omit<PathGraph, 'nodes'> {
  identity: { id: string; cluster: string; kind: string; namespace: string; name: string };
  /** False before the first collection computed the identity's reach (then there are no paths to show). */
  computed: boolean;
  /** Each identity node with the id of its page, when it is in this cluster and the viewer's scope. */
  nodes: (PathGraphNode & { identityId?: string })[];
  /** The stored paths themselves (the CLI prints them). */
  stored: EscalationTarget[];
}

/** The label the escalation graph gives an identity (escalation/context.ts). */
export function identityLabel(i: { kind: string; namespace: string; name: string }): string {
  return i.kind === 'ServiceAccount' ? `ServiceAccount ${i.namespace}/${i.name}` : `${i.kind} ${i.name}`;
}

/** Null when there is no such identity (or it is out of `scope`). */
export async function identityPathGraph(
  db: PrismaClient,
  id: string,
  scope: TeamScope = null,
  maxNodes: number = MAX_GRAPH_NODES,
): Promise<IdentityPathGraph | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const identity = await db.identity.findFirst({
    where: { id, ...(scope ? identityInScope(scope) : {}) },
    select: {
      id: true,
      clusterId: true,
      kind: true,
      namespace: true,
      name: true,
      cluster: { select: { name: true } },
      reach: { select: { escalationTargets: true } },
    },
  });
  if (!identity) return null;
  const stored = identity.reach
    ? parseStored(
        z.array(escalationTargetSchema),
        identity.reach.escalationTargets,
        `IdentityReach.escalationTargets of identity ${id}`,
      )
    : [];
  const start =
    identity.kind === 'ServiceAccount' || identity.kind === 'User' || identity.kind === 'Group'
      ? identityNodeId(
          identity.kind === 'ServiceAccount'
            ? { kind: 'ServiceAccount', namespace: identity.namespace, name: identity.name }
            : { kind: identity.kind, name: identity.name },
        )
      : `identity:${identity.id}`;
  const graph = pathGraph(stored, { id: start, label: identityLabel(identity) }, maxNodes);

  // Link the other identities on the paths (the start is this page).
  const others = graph.nodes.filter((n) => n.identity && n.kind !== 'start');
  const or: Prisma.IdentityWhereInput[] = others.map((n) => ({
    kind: n.identity!.kind,
    namespace: n.identity!.namespace,
    name: n.identity!.name,
  }));
  const found = or.length
    ? await db.identity.findMany({
        where: { clusterId: identity.clusterId, deletedAt: null, OR: or, ...(scope ? identityInScope(scope) : {}) },
        select: { id: true, kind: true, namespace: true, name: true },
      })
    : [];
  const key = (i: { kind: string; namespace: string; name: string }) => `${i.kind}/${i.namespace}/${i.name}`;
  const ids = new Map(found.map((f) => [key(f), f.id]));
  return {
    ...graph,
    identity: {
      id: identity.id,
      cluster: identity.cluster.name,
      kind: identity.kind,
      namespace: identity.namespace,
      name: identity.name,
    },
    computed: identity.reach !== null,
    nodes: graph.nodes.map((n) => {
      if (n.kind === 'start') return { ...n, identityId: identity.id };
      const linked = n.identity && ids.get(key(n.identity));
      return linked ? { ...n, identityId: linked } : n;
    }),
    stored,
  };
}
