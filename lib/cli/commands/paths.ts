/**
 * `nhi paths NS/NAME [--cluster NAME] [--json]`: a ServiceAccount's escalation paths, as stored by the last
 * collection (IdentityReach.escalationTargets): the shortest path to cluster-admin and to every other target
 * (the node, tokens of more powerful identities, other namespaces' Secrets, control of a namespace), most
 * severe first, step by step with the bindings → roles that grant each step. `--json` prints the graph the
 * identity page draws (GET /api/identities/[id]/paths) with the stored paths.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { resolveCluster } from '@/lib/data/clusters';
import { identityPathGraph, type IdentityPathGraph } from '@/lib/data/escalation-graph';
import type { PrismaClient } from '@/lib/db/client';
import { invalidInput, notFound } from '@/lib/errors';
import { serviceAccountRefSchema } from '@/lib/keys';
import { pathLines } from '@/lib/rbac/path-graph';

const optionsSchema = z.object({ cluster: z.string().max(253).optional() });

/** The graph of ServiceAccount `ns/name` in `cluster` (default: the only one); not found → exit 1 with a message. */
export async function runPaths(db: PrismaClient, serviceAccount: string, cluster?: string): Promise<IdentityPathGraph> {
  const c = await resolveCluster(db, cluster);
  const [namespace, name] = serviceAccount.split('/') as [string, string];
  const identity = await db.identity.findFirst({
    where: { clusterId: c.id, kind: 'ServiceAccount', namespace, name },
    select: { id: true },
  });
  const graph = identity && (await identityPathGraph(db, identity.id));
  if (!graph) throw notFound(`no ServiceAccount ${serviceAccount} in cluster ${c.name}`);
  return graph;
}

/** The text `nhi paths` prints. */
export function formatPaths(g: IdentityPathGraph): string {
  const who = `ServiceAccount ${g.identity.namespace}/${g.identity.name} in cluster ${g.identity.cluster}`;
  if (!g.computed) return `No RBAC reach computed yet for ${who}: collect the cluster first.`;
  if (!g.stored.length)
    return `No escalation path from ${who}: not to cluster-admin, the node, other identities' tokens, other namespaces' Secrets or control of a namespace.`;
  const n = g.stored.length;
  return [`${n} escalation path${n === 1 ? '' : 's'} from ${who}, most severe first:`, '', ...pathLines(g.stored)].join('\n');
}

export function registerPathsCommand(program: Command): void {
  program
    .command('paths')
    .description(
      "A ServiceAccount's escalation paths (to cluster-admin, the node, other identities' tokens, other namespaces' Secrets, control of a namespace), step by step with the granting bindings.",
    )
    .argument('<ns/name>', 'the ServiceAccount')
    .option('--cluster <name>', 'its cluster (default: the only one)')
    .option('--json', 'print the graph (nodes, edges, paths) as JSON')
    .action(async (serviceAccount: string, opts: { cluster?: string; json?: boolean }) => {
      const o = parseOptions(optionsSchema, { cluster: opts.cluster });
      if (!serviceAccountRefSchema.safeParse(serviceAccount).success)
        throw invalidInput(`expected NS/NAME of a ServiceAccount, got "${serviceAccount}"`);
      const graph = await withDatabase(({ db }) => runPaths(db, serviceAccount, o.cluster));
      console.log(opts.json ? JSON.stringify(graph, null, 2) : formatPaths(graph));
    });
}
