import { z } from 'zod';
import { teamScope } from '@/lib/auth/principal';
import { identityPathGraph } from '@/lib/data/escalation-graph';
import { prisma } from '@/lib/db/client';
import { notFound } from '@/lib/errors';
import { route } from '@/lib/http/route';
import { MAX_GRAPH_NODES } from '@/lib/rbac/path-graph';

export const dynamic = 'force-dynamic';

const querySchema = z.object({ maxNodes: z.coerce.number().int().min(2).max(200).default(MAX_GRAPH_NODES) });

/**
 * The identity's escalation paths as a graph (lib/data/escalation-graph.ts): `{nodes, edges, paths, shownPaths,
 * totalPaths}` from its stored paths, at most `maxNodes` nodes (2–200, default 60). Another team's identity is a 404.
 */
export const GET = route({ access: 'owned.read', query: querySchema }, async ({ query, params, viewer }) => {
  const graph = await identityPathGraph(prisma(), String(params.id), teamScope(viewer), query.maxNodes);
  if (!graph) throw notFound('no identity with this id in your teams');
  const { stored: _stored, ...rest } = graph;
  return rest;
});
