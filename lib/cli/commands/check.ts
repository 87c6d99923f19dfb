/**
 * `nhi check`: the deploy-time gate for CI. Judges Kubernetes manifests with the findings rules that apply before
 * deploy (lib/check/check.ts) and exits by a severity threshold: 0 passed, 1 an open finding at or above
 * `--fail-on`, 2 input that cannot be used (unreadable or invalid manifests, a bad policy, bad options).
 * Without `--cluster` no database is opened at all (CI runners have none).
 *
 *   helm template my-chart | nhi check - --format sarif > nhi.sarif
 *   kustomize build overlays/prod | nhi check - --fail-on critical
 *   nhi check deploy/ --policy nhi-policy.yaml --cluster prod
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { checkObjects, FAIL_ON } from '@/lib/check/check';
import { FORMATS, formatReport } from '@/lib/check/format';
import { parseManifests } from '@/lib/check/parse';
import { loadCheckPolicy } from '@/lib/check/policy';
import { readManifestInputs } from '@/lib/check/read';
import { parseOptions } from '@/lib/cli/options';
import { loadPolicy as loadCredentialPolicy } from '@/lib/credentials/policy';
import { invalidInput } from '@/lib/errors';

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const optionsSchema = z.object({
  format: z.enum(FORMATS, { error: `must be one of ${FORMATS.join(', ')}` }).default('table'),
  failOn: z.enum(FAIL_ON, { error: `must be one of ${FAIL_ON.join(', ')}` }).default('high'),
  cluster: z.string().min(1).max(253).optional(),
  policy: z.string().min(1).optional(),
  namespace: z.string().regex(NAMESPACE, 'must be a namespace name').max(63).default('default'),
});

interface Options {
  format?: string;
  failOn?: string;
  cluster?: string;
  policy?: string;
  namespace?: string;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'Judge Kubernetes manifests before deploy (files, folders, - for stdin; multi-document YAML, Lists, Helm and Kustomize output). Exit 0 passed, 1 findings at or above --fail-on, 2 unusable input.',
    )
    .argument('<paths...>', 'manifest files or folders (*.yaml, *.yml, *.json), or - for standard input')
    .option('--format <format>', 'table (default), json or sarif')
    .option('--fail-on <severity>', 'critical, high (default), medium, low or none')
    .option(
      '--cluster <name>',
      'judge in the context of this collected cluster (its roles, bindings, ServiceAccounts; needs the database)',
    )
    .option('--policy <file>', 'the policy file (findings policy with spec.exceptions; default: the built-in one)')
    .option('-n, --namespace <ns>', 'namespace of namespaced objects that name none, as kubectl apply -n (default: default)')
    .action(async (paths: string[], opts: Options) => {
      const o = parseOptions(optionsSchema, {
        format: opts.format,
        failOn: opts.failOn,
        cluster: opts.cluster,
        policy: opts.policy,
        namespace: opts.namespace,
      });
      if (paths.filter((p) => p === '-').length > 1) throw invalidInput('- (standard input) can be given once');
      const { policy, source } = loadCheckPolicy(o.policy);
      const credentialPolicy = loadCredentialPolicy();
      const read = await readManifestInputs(paths);
      const parsed = parseManifests(read.inputs);
      const issues = [...read.issues, ...parsed.issues];
      const errors = issues.filter((i) => i.level === 'error');
      for (const i of issues)
        process.stderr.write(`nhi check: ${i.level}: ${i.file ? `${i.file}${i.line ? `:${i.line}` : ''}: ` : ''}${i.message}\n`);
      if (errors.length)
        throw invalidInput(
          `${errors.length} input problem(s): fix the manifests (render Helm charts and Kustomize overlays first); nothing was judged`,
        );
      const context = o.cluster ? await clusterContext(o.cluster) : undefined;
      const report = checkObjects(parsed.objects, {
        policy,
        policySource: source,
        credentialPolicy,
        failOn: o.failOn,
        defaultNamespace: o.namespace,
        files: read.inputs.length,
        issues,
        ...(context ? { context } : {}),
      });
      if (report.issues.some((i) => i.level === 'error'))
        throw invalidInput(report.issues.find((i) => i.level === 'error')!.message);
      console.log(formatReport(report, o.format, { cwd: process.cwd() }));
      if (report.failed) process.exitCode = 1;
    });
}

/** Only here is the database opened (never without --cluster). */
async function clusterContext(name: string) {
  const [{ withDatabase }, { loadClusterContext }] = await Promise.all([
    import('@/lib/cli/database'),
    import('@/lib/check/context'),
  ]);
  return withDatabase(({ db }) => loadClusterContext(db, name));
}
