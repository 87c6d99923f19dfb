/**
 * `nhi activity --identity NS/NAME | --workload NS/KIND/NAME [--cluster NAME] [--days N] [--json]`: what an
 * identity or a workload did at runtime (lib/data/activity.ts), as the pages show it; for an identity, also
 * the permissions it holds but never used over the same window (lib/data/permission-use.ts), `permissions`
 * in the JSON.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { activityOf, activityQuerySchema, identityScope, workloadScope, type Activity } from '@/lib/data/activity';
import { resolveCluster } from '@/lib/data/clusters';
import { permissionUse, type PermissionUse } from '@/lib/data/permission-use';
import { invalidInput, notFound } from '@/lib/errors';
import { OBJECT_NAME, serviceAccountRefSchema } from '@/lib/keys';

const optionsSchema = activityQuerySchema.extend({
  identity: serviceAccountRefSchema.optional(),
  workload: z
    .string()
    .regex(new RegExp(`^${OBJECT_NAME}/[A-Za-z]+/${OBJECT_NAME}$`), 'expected NAMESPACE/KIND/NAME, e.g. shop/Deployment/api')
    .optional(),
  cluster: z.string().max(253).optional(),
});

function print(a: Activity): void {
  if (!a.window) return void console.log('No runtime event recorded.');
  console.log(`${a.calls} calls, ${a.denied} denied, ${a.alerts} Falco alerts in the ${a.days} days up to ${a.window.until}`);
  console.log('\nWhat it called:');
  for (const x of a.actions)
    console.log(
      `  ${x.calls}\t${x.denied ? `${x.denied} denied` : ''}\t${x.verb} ${x.resource}${x.namespace ? ` in ${x.namespace}` : ' (cluster)'}`,
    );
  console.log('\nWhere from:');
  for (const [label, rows] of [
    ['address', a.sources.addresses],
    ['agent', a.sources.userAgents],
    ['pod', a.sources.pods],
    ['node', a.sources.nodes],
  ] as const)
    for (const r of rows) console.log(`  ${label}\t${r.count}\t${r.value}`);
}

function printPermissions(p: PermissionUse): void {
  console.log('\nPermissions held but never used (what a least-privilege Role would drop):');
  if (!p.window) console.log('  No runtime event recorded: nothing to compare with.');
  else {
    console.log(
      `  ${p.used} of ${p.granted} granted rules used by ${p.actions} distinct actions in the ${p.window.days} days up to ${p.window.until}`,
    );
    for (const u of p.unused) console.log(`  never used\t${u.text}\t${u.binding}`);
    for (const u of p.partial) console.log(`  in part\t${u.text}\t${u.binding}\tverbs never used: ${u.unusedVerbs.join(',')}`);
  }
  if (p.groupBindings) console.log(`  ${p.groupBindings} binding(s) through a group left out (shared with other identities)`);
  for (const m of p.missingRoles) console.log(`  grants nothing, role missing: ${m}`);
}

export function registerActivityCommand(program: Command): void {
  program
    .command('activity')
    .description(
      'What an identity or a workload did at runtime: calls, denied calls, sources, Falco alerts; for an identity, the permissions it never used.',
    )
    .option('--identity <ns/name>', 'a ServiceAccount')
    .option('--workload <ns/kind/name>', 'a workload, e.g. shop/Deployment/api')
    .option('--cluster <name>', 'its cluster (default: the only one)')
    .option('--days <n>', 'the window in days up to its last event (1–90, default 7)')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const o = parseOptions(optionsSchema, opts);
      if (!o.identity === !o.workload) throw invalidInput('give either --identity NS/NAME or --workload NS/KIND/NAME');
      const { activity, permissions } = await withDatabase(async ({ db }) => {
        const cluster = await resolveCluster(db, o.cluster);
        if (o.identity) {
          const [namespace, name] = o.identity.split('/') as [string, string];
          const identity = await db.identity.findFirst({
            where: { clusterId: cluster.id, kind: 'ServiceAccount', namespace, name },
            select: { id: true },
          });
          const scope = identity && (await identityScope(db, identity.id));
          if (!identity || !scope) throw notFound(`no ServiceAccount ${o.identity} in cluster ${cluster.name}`);
          const activity = await activityOf(db, scope, o);
          return { activity, permissions: await permissionUse(db, identity.id, activity) };
        }
        const [namespace, kind, name] = o.workload!.split('/') as [string, string, string];
        const workload = await db.workload.findFirst({
          where: { clusterId: cluster.id, namespace, kind, name },
          select: { id: true },
        });
        const scope = workload && (await workloadScope(db, workload.id));
        if (!scope) throw notFound(`no workload ${o.workload} in cluster ${cluster.name}`);
        return { activity: await activityOf(db, scope, o), permissions: null };
      });
      if (opts.json) console.log(JSON.stringify(permissions ? { ...activity, permissions } : activity, null, 2));
      else {
        print(activity);
        if (permissions) printPermissions(permissions);
      }
    });
}
