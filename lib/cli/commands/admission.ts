/**
 * `nhi admission`: the admission webhook (lib/admission).
 *
 *   nhi admission config --url https://nhi.example.com --cluster prod --mode enforce --ca-file ca.crt | kubectl apply -f -
 *   nhi admission decisions --cluster prod --decision denied [--json]
 *
 * `config` prints the ValidatingWebhookConfiguration to apply (no database): the judged kinds, CREATE and UPDATE,
 * `timeoutSeconds: 5`, `matchPolicy: Equivalent`, `sideEffects: NoneOnDryRun`, kube-system (and each
 * `--exclude-namespace`) left out, `failurePolicy: Ignore` for audit and `Fail` for enforce, and the CA bundle.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { webhookConfigurationYaml } from '@/lib/admission/config';
import { ADMISSION_MODES } from '@/lib/admission/review';
import { withDatabase } from '@/lib/cli/database';
import { clusterNameOption, parseOptions } from '@/lib/cli/options';
import { admissionFilterSchema, decisionSummary, listAdmissionDecisions } from '@/lib/data/admission';
import { invalidInput } from '@/lib/errors';

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const configSchema = z.object({
  url: z.string({ error: 'is required (the dashboard’s https URL as the API server reaches it)' }).min(1),
  cluster: z.string({ error: 'is required (the cluster’s name in the dashboard)' }).min(1),
  mode: z.enum(ADMISSION_MODES, { error: `must be one of ${ADMISSION_MODES.join(', ')}` }).default('audit'),
  caFile: z.string().min(1).optional(),
  excludeNamespace: z.array(z.string().regex(NAMESPACE, 'must be a namespace name').max(63)).default([]),
  name: z.string().regex(NAMESPACE, 'must be a lowercase name').max(253).optional(),
});

export function registerAdmissionCommands(program: Command): void {
  const admission = program.command('admission').description('The admission webhook: its configuration and its decisions.');

  admission
    .command('config')
    .description('Print the ValidatingWebhookConfiguration that sends a cluster’s objects to this dashboard’s webhook.')
    .requiredOption(
      '--url <url>',
      'the dashboard’s https URL as the API server reaches it (the path /api/admission/<cluster> is added)',
    )
    .requiredOption('--cluster <name>', 'the cluster’s name in the dashboard (its ingest token authenticates the API server)')
    .option('--mode <mode>', 'enforce (failurePolicy Fail) or audit (failurePolicy Ignore; default)')
    .option('--ca-file <file>', 'PEM of the CA that signed the dashboard’s serving certificate (the caBundle)')
    .option(
      '--exclude-namespace <ns>',
      'a namespace never sent (repeatable; default kube-system; add the dashboard’s own under enforce)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--name <name>', 'the configuration’s name (default nhi-admission)')
    .action((opts: Record<string, unknown>) => {
      const o = parseOptions(configSchema, opts);
      clusterNameOption(o.cluster);
      let caPem: string | undefined;
      if (o.caFile) {
        try {
          caPem = readFileSync(o.caFile, 'utf8');
        } catch (e) {
          throw invalidInput(`--ca-file: cannot read ${o.caFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw invalidInput(`--ca-file: ${o.caFile} holds no PEM certificate`);
      }
      process.stdout.write(
        webhookConfigurationYaml({
          url: o.url,
          cluster: o.cluster,
          mode: o.mode,
          ...(caPem ? { caPem } : {}),
          excludeNamespaces: o.excludeNamespace.length ? ['kube-system', ...o.excludeNamespace] : ['kube-system'],
          ...(o.name ? { name: o.name } : {}),
        }),
      );
    });

  admission
    .command('decisions')
    .description('The webhook’s recorded decisions, newest first.')
    .option('--cluster <name>', 'one cluster')
    .option('--decision <d>', 'allowed, denied or warned')
    .option('-n, --namespace <ns>', 'one namespace')
    .option('--rule <id>', 'decisions a rule denied or would have (NHI-POS-001)')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'JSON: { total, items }')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const filter = parseOptions(admissionFilterSchema, {
        cluster: opts.cluster,
        decision: opts.decision,
        namespace: opts.namespace,
        rule: opts.rule,
        pageSize: opts.limit ?? 50,
      });
      await withDatabase(async ({ db }) => {
        const page = await listAdmissionDecisions(db, filter);
        if (opts.json) {
          console.log(JSON.stringify({ total: page.total, items: page.items }, null, 2));
          return;
        }
        if (!page.items.length) console.log('No decision recorded.');
        for (const d of page.items) console.log(`${d.at.toISOString().slice(0, 19)}Z  ${d.cluster.name}  ${decisionSummary(d)}`);
      });
    });
}
