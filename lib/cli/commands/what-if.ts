/**
 * `nhi what-if NS/NAME [--cluster NAME] [--remove-binding KIND/NS/NAME]... [--add-role ROLEKIND/[NS/]NAME[@NS]]...
 * [--least-privilege] [--json]`: what a ServiceAccount's reach, escalation paths, findings and risk score would
 * become after removing some of its bindings, binding it to existing roles or applying its least-privilege fix
 * (lib/whatif). Nothing is written to the cluster or the database.
 *
 *   --remove-binding RoleBinding/shop/api-edit   --remove-binding ClusterRoleBinding//api-admin (or ClusterRoleBinding/api-admin)
 *   --add-role ClusterRole/view                  a ClusterRoleBinding to ClusterRole view
 *   --add-role ClusterRole/edit@shop             a RoleBinding in shop to ClusterRole edit
 *   --add-role Role/shop/config-reader           a RoleBinding in shop to Role shop/config-reader
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { resolveCluster } from '@/lib/data/clusters';
import { invalidInput, notFound } from '@/lib/errors';
import { serviceAccountRefSchema } from '@/lib/keys';
import type { AddedBinding, BindingKey, TargetView } from '@/lib/whatif/engine';
import { whatIf, type WhatIfResponse } from '@/lib/whatif/load';

const optionsSchema = z.object({
  serviceAccount: serviceAccountRefSchema,
  cluster: z.string().max(253).optional(),
  removeBinding: z.array(z.string().max(600)).max(100).default([]),
  addRole: z.array(z.string().max(600)).max(20).default([]),
  leastPrivilege: z.boolean().default(false),
  days: z.coerce.number().int().min(1).max(90).default(7),
});

const NAME = /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/i;

/** `RoleBinding/NS/NAME`, `ClusterRoleBinding//NAME` or `ClusterRoleBinding/NAME`. */
export function parseBindingArg(value: string): BindingKey {
  const parts = value.split('/');
  const kind = parts[0]?.toLowerCase();
  if (kind === 'rolebinding' && parts.length === 3 && parts[1] && parts[2])
    return { kind: 'RoleBinding', namespace: parts[1], name: parts[2] };
  if (kind === 'clusterrolebinding' && (parts.length === 2 || (parts.length === 3 && parts[1] === '')) && parts.at(-1))
    return { kind: 'ClusterRoleBinding', namespace: '', name: parts.at(-1)! };
  throw invalidInput(`--remove-binding ${value}: expected RoleBinding/NAMESPACE/NAME or ClusterRoleBinding/NAME`);
}

/** `ClusterRole/NAME[@NS]` or `Role/NS/NAME`. */
export function parseRoleArg(value: string): AddedBinding {
  const [ref, at, ...rest] = value.split('@');
  if (rest.length || at === '' || (at !== undefined && !NAME.test(at)))
    throw invalidInput(`--add-role ${value}: the namespace after @ is not a namespace name`);
  const parts = (ref ?? '').split('/');
  const kind = parts[0]?.toLowerCase();
  if (kind === 'clusterrole' && parts.length === 2 && parts[1])
    return { roleKind: 'ClusterRole', roleName: parts[1], ...(at ? { namespace: at } : {}) };
  if (kind === 'role' && parts.length === 3 && parts[1] && parts[2]) {
    if (at && at !== parts[1]) throw invalidInput(`--add-role ${value}: a Role is bound in its own namespace (${parts[1]})`);
    return { roleKind: 'Role', roleName: parts[2], namespace: parts[1] };
  }
  throw invalidInput(`--add-role ${value}: expected ClusterRole/NAME, ClusterRole/NAME@NAMESPACE or Role/NAMESPACE/NAME`);
}

const steps = (n: number | null) =>
  n === null ? 'no path' : n === 0 ? 'already cluster-admin-equivalent' : `${n} step${n === 1 ? '' : 's'}`;
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const target = (t: TargetView) => `${t.label}${t.scope && t.scope !== '*' ? ` ${t.scope}` : ''} in ${steps(t.distance)}`;

function print(r: WhatIfResponse, cluster: string): void {
  console.log(`What if, for ServiceAccount ${r.identity} in cluster ${cluster} (nothing is changed):`);
  for (const a of r.applied) console.log(`  ${a}`);
  for (const w of r.warnings) console.log(`  not applied: ${w}`);
  if (!r.applied.length) console.log('  (no change applied: before and after are the same)');
  const d = r.delta;
  console.log(`\nRisk score: ${d.score.before} → ${d.score.after} (${signed(d.score.change)})`);
  for (const f of d.score.factors)
    console.log(
      `  ${signed(f.change).padStart(4)}  ${f.factor}: ${f.before ? `${f.before.name} (${f.before.points})` : '—'} → ${f.after ? `${f.after.name} (${f.after.points})` : '—'}`,
    );
  console.log(
    `\nCluster-admin: ${steps(d.clusterAdmin.before)} → ${d.clusterAdmin.after === null ? 'no path to cluster-admin' : steps(d.clusterAdmin.after)}`,
  );
  r.after.escalation.steps.forEach((s, i) => console.log(`  ${i + 1}. ${s}`));
  if (d.targets.added.length + d.targets.removed.length + d.targets.changed.length) {
    console.log('\nEscalation targets:');
    for (const t of d.targets.removed) console.log(`  removed   ${target(t)}`);
    for (const t of d.targets.added) console.log(`  added     ${target(t)}${t.via ? ` (then as ${t.via})` : ''}`);
    for (const c of d.targets.changed) console.log(`  changed   ${target(c.before)} → ${steps(c.after.distance)}`);
  }
  if (d.identities.added.length + d.identities.removed.length) {
    console.log('\nIdentities it can obtain:');
    for (const i of d.identities.removed) console.log(`  no longer  ${i}`);
    for (const i of d.identities.added) console.log(`  newly      ${i}`);
  }
  console.log(`\nFindings: ${d.findings.resolved.length} resolved, ${d.findings.appeared.length} would appear`);
  for (const f of d.findings.resolved) console.log(`  resolved      ${f.ruleId} (${f.severity}) ${f.title}`);
  for (const f of d.findings.appeared) console.log(`  would appear  ${f.ruleId} (${f.severity}) ${f.title}`);
  if (d.permissions.length) {
    console.log('\nPermissions:');
    for (const p of d.permissions)
      console.log(
        `  ${p.change.padEnd(8)}  ${p.scope}  ${p.resource}: ${p.before.join(', ') || '—'} → ${p.after.join(', ') || '—'}`,
      );
  }
  if (d.capabilities.added.length + d.capabilities.removed.length) {
    console.log('\nSensitive capabilities:');
    for (const c of d.capabilities.removed) console.log(`  removed  ${c.title} (${c.severity}, ${c.scope})`);
    for (const c of d.capabilities.added) console.log(`  added    ${c.title} (${c.severity}, ${c.scope})`);
  }
  console.log(
    `\n${r.millis.load + r.millis.simulate} ms (read ${r.millis.load}, simulate ${r.millis.simulate}); ${r.read.roles} roles, ${r.read.bindings} bindings, ${r.read.namespaces} namespaces, ${r.read.otherServiceAccounts} other ServiceAccounts' stored paths.`,
  );
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerWhatIfCommand(program: Command): void {
  program
    .command('what-if')
    .description(
      "Simulate removing a ServiceAccount's bindings, binding it to existing roles or applying its least-privilege fix: reach, escalation paths, findings and risk score before and after (nothing is written).",
    )
    .argument('<ns/name>', 'the ServiceAccount')
    .option('--cluster <name>', 'its cluster (default: the only one)')
    .option(
      '--remove-binding <kind/ns/name>',
      'remove one of its bindings (repeatable): RoleBinding/NS/NAME or ClusterRoleBinding/NAME',
      collect,
    )
    .option(
      '--add-role <rolekind/[ns/]name[@ns]>',
      'bind it to an existing role (repeatable): ClusterRole/NAME (cluster-wide), ClusterRole/NAME@NS or Role/NS/NAME',
      collect,
    )
    .option('--least-privilege', 'apply its suggested least-privilege Role (nhi fix)')
    .option('--days <n>', 'the activity window of the least-privilege fix, in days (1–90, default 7)')
    .option('--json', 'print JSON')
    .action(async (serviceAccount: string, opts: Record<string, string | string[] | boolean | undefined>) => {
      const o = parseOptions(optionsSchema, { ...opts, serviceAccount, leastPrivilege: opts.leastPrivilege === true });
      const removeBindings = o.removeBinding.map(parseBindingArg);
      const addBindings = o.addRole.map(parseRoleArg);
      const { result, cluster } = await withDatabase(async ({ db }) => {
        const cluster = await resolveCluster(db, o.cluster);
        const [namespace, name] = o.serviceAccount.split('/') as [string, string];
        const identity = await db.identity.findFirst({
          where: { clusterId: cluster.id, kind: 'ServiceAccount', namespace, name, deletedAt: null },
          select: { id: true },
        });
        const result =
          identity &&
          (await whatIf(db, identity.id, { removeBindings, addBindings, leastPrivilege: o.leastPrivilege, days: o.days }));
        if (!result) throw notFound(`no ServiceAccount ${o.serviceAccount} in cluster ${cluster.name}`);
        return { result, cluster: cluster.name };
      });
      if (opts.json) console.log(JSON.stringify(result, null, 2));
      else print(result, cluster);
    });
}
