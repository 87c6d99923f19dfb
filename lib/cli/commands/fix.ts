/**
 * `nhi fix NS/NAME [--cluster NAME] [--days N] [--include-denied] [--yaml | --json]`: the least-privilege fix
 * of a ServiceAccount (lib/data/least-privilege.ts): Roles and RoleBindings that allow what it did over the
 * window, the diff against the rules it holds, the bindings to remove once applied and, when it made no API
 * call, `automountServiceAccountToken: false`.
 *
 * `--yaml` prints only the documents, so `nhi fix shop/api --yaml | kubectl apply -f -` applies them (a
 * message on stderr says when there is nothing to apply).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { withDatabase } from '@/lib/cli/database';
import { parseOptions } from '@/lib/cli/options';
import { resolveCluster } from '@/lib/data/clusters';
import { fixQuerySchema, leastPrivilegeFix, replacedText, type LeastPrivilegeResult } from '@/lib/data/least-privilege';
import { invalidInput, notFound } from '@/lib/errors';
import { utcTime } from '@/lib/format';
import { serviceAccountRefSchema } from '@/lib/keys';

const optionsSchema = fixQuerySchema.omit({ includeDenied: true }).extend({
  serviceAccount: serviceAccountRefSchema,
  cluster: z.string().max(253).optional(),
  includeDenied: z.boolean().default(false),
});

const DECISION: Record<string, string> = {
  granted: 'in the fix',
  'denied-granted': 'denied, granted as asked',
  shared: 'left out: its group allows it',
  'not-granted': 'left out: not held now',
  denied: 'left out: denied',
  unknown: 'left out: unreadable',
};

function print(f: LeastPrivilegeResult, cluster: string): void {
  const sa = `${f.serviceAccount.namespace}/${f.serviceAccount.name}`;
  if (!f.window) {
    console.log(`No audit event recorded for cluster ${cluster}: there are no calls of ${sa} to build a fix from.`);
    return;
  }
  const of = f.window.basis === 'identity' ? 'its last event' : "the cluster's last audit event (it has none of its own)";
  console.log(
    `Least-privilege fix for ${sa} in cluster ${cluster}, from its calls in the ${f.window.days} days up to ${of}, ${utcTime(f.window.until)}: ` +
      `${f.calls.allowed} allowed, ${f.calls.denied} denied${f.includeDenied ? ' (denied calls granted, as asked)' : ''}.`,
  );
  if (f.observedCalls.length) {
    console.log('\nWhat it did:');
    for (const a of f.observedCalls)
      console.log(
        `  ${String(a.calls).padStart(6)}  ${a.verb} ${a.target}${a.namespace ? ` in ${a.namespace}` : ''}` +
          `${a.names.length ? ` (${a.names.slice(0, 5).join(', ')}${a.names.length > 5 ? ', …' : ''})` : ''}\t${DECISION[a.decision] ?? a.decision}`,
      );
  }
  console.log(
    `\nGenerated: ${
      f.roles.length
        ? f.roles
            .map(
              (r) =>
                `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name} (${r.rules.length} rule${r.rules.length === 1 ? '' : 's'})`,
            )
            .join(', ')
        : 'nothing (no call to grant)'
    }. Print it with --yaml.`,
  );
  for (const n of f.notes) console.log(`  ${n}`);

  const d = f.diff;
  console.log(
    d.rules.length
      ? `\nAgainst the rules it holds now: ${d.kept} kept, ${d.narrowed} narrowed, ${d.dropped} dropped.`
      : '\nIt holds no rule through bindings of its own.',
  );
  for (const r of d.rules) console.log(`  ${r.status.padEnd(8)}  ${r.text}\t${r.binding}\t${r.note}`);
  for (const a of d.added)
    console.log(`  added     ${a.verb} ${a.target}${a.namespace ? ` in ${a.namespace}` : ''} (denied in the window)`);
  if (f.groupBindings)
    console.log(`  ${f.groupBindings} binding(s) through a group stay as they are (shared with other identities).`);
  for (const m of f.missingRoles) console.log(`  grants nothing, role missing: ${m}`);

  if (f.replaces.length) {
    console.log('\nOnce applied, remove the bindings it replaces:');
    for (const b of f.replaces) console.log(`  ${b.command}\t# ${replacedText(b)}`);
  }
  if (f.automount) {
    console.log(`\nautomountServiceAccountToken: false (${f.automount.reason}):`);
    if (f.automount.serviceAccount) console.log(`  ${f.automount.serviceAccount.command}`);
    for (const w of f.automount.workloads) console.log(`  ${w.command ?? `# ${w.kind} ${w.namespace}/${w.name}: ${w.note}`}`);
  }
}

export function registerFixCommand(program: Command): void {
  program
    .command('fix')
    .description(
      'A least-privilege Role and RoleBinding for a ServiceAccount from what it did (audit events), with the diff against what it holds.',
    )
    .argument('<ns/name>', 'the ServiceAccount')
    .option('--cluster <name>', 'its cluster (default: the only one)')
    .option('--days <n>', 'the window in days up to its last event (1–90, default 7)')
    .option('--include-denied', 'also grant the calls that were denied in the window')
    .option('--yaml', 'print only the YAML documents (for kubectl apply -f -)')
    .option('--json', 'print JSON')
    .action(async (serviceAccount: string, opts: Record<string, string | boolean | undefined>) => {
      const o = parseOptions(optionsSchema, { ...opts, serviceAccount, includeDenied: opts.includeDenied === true });
      if (opts.yaml && opts.json) throw invalidInput('give either --yaml or --json');
      const { fix, cluster } = await withDatabase(async ({ db }) => {
        const cluster = await resolveCluster(db, o.cluster);
        const [namespace, name] = o.serviceAccount.split('/') as [string, string];
        const identity = await db.identity.findFirst({
          where: { clusterId: cluster.id, kind: 'ServiceAccount', namespace, name },
          select: { id: true },
        });
        const fix = identity && (await leastPrivilegeFix(db, identity.id, { days: o.days, includeDenied: o.includeDenied }));
        if (!fix) throw notFound(`no ServiceAccount ${o.serviceAccount} in cluster ${cluster.name}`);
        return { fix, cluster: cluster.name };
      });
      if (opts.yaml) {
        if (fix.yaml) process.stdout.write(fix.yaml);
        else process.stderr.write(`nhi: nothing to apply for ${o.serviceAccount}: no call to grant and no automount change\n`);
      } else if (opts.json) console.log(JSON.stringify(fix, null, 2));
      else print(fix, cluster);
    });
}
