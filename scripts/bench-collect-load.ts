/**
 * Loads a LARGE generated cluster into a real API server, for the collector benchmark: by default
 * 200 namespaces, 10,000 ServiceAccounts, 50,000 Secrets (Opaque, kubernetes.io/tls,
 * kubernetes.io/dockerconfigjson, legacy kubernetes.io/service-account-token), 2,000 Roles + 200
 * ClusterRoles, 18,000 RoleBindings + 2,000 ClusterRoleBindings, and 30,000 Pods (95 % owned by
 * ReplicaSets owned by paused Deployments, 5 % bare), from a seeded PRNG: the same arguments give the
 * same objects. See scripts/bench/cluster-gen.ts for what is generated and how Pod counts stay exact.
 *
 * Resumable and idempotent (existing objects are skipped). Progress goes to stderr every 5 s; the last
 * line on stdout is `loaded: <N> objects in <s> s`.
 *
 * Usage:
 *   node --import tsx scripts/bench-collect-load.ts --kubeconfig FILE [--scale D] [--seed N] [--concurrency C]
 *   node --import tsx scripts/bench-collect-load.ts --kubeconfig FILE --verify [--scale D] [--seed N]
 *   node --import tsx scripts/bench-collect-load.ts --kubeconfig FILE --delete [--wait]
 *   node --import tsx scripts/bench-collect-load.ts --dry-run [--scale D]          (counts only, no cluster)
 *   node --import tsx scripts/bench-collect-load.ts --dump FILE[.gz] [--scale D]   (a kubectl-style List, no cluster)
 *
 *   --scale D       divide every count by D (e.g. 50 for a quick run); default 1 (full size)
 *   --seed N        PRNG seed (default 20240605)
 *   --concurrency C requests in flight at most (default 32)
 *   --verify        check (read-only) that the loaded cluster is exactly the plan: all objects present, no
 *                   controller-made Pods/ReplicaSets, ownerReferences on the real uids, replicas = Pod counts
 *   --delete        delete the bench namespaces, ClusterRoles, ClusterRoleBindings (label nhi.dev/bench=load);
 *                   with --wait, wait until the namespaces are gone, then remove the admission policy too
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import {
  FULL_SCALE,
  benchClusterAsList,
  benchCounts,
  benchObjectCount,
  generateBenchCluster,
  scaledDown,
} from './bench/cluster-gen';
import { BenchLoadError, deleteBenchCluster, describeFailure, kubeConfigFromFile, loadBenchCluster } from './bench/load-cluster';
import { verifyBenchCluster } from './bench/verify-cluster';

const USAGE =
  'usage: bench-collect-load.ts --kubeconfig FILE [--scale D] [--seed N] [--concurrency C] | --kubeconfig FILE --verify [--scale D] [--seed N] | ' +
  '--kubeconfig FILE --delete [--wait] | --dry-run [--scale D] | --dump FILE [--scale D]';

function flagValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new BenchLoadError(`--${name} needs a value\n${USAGE}`);
  return v;
}

function numberFlag(argv: string[], name: string, fallback: number, min: number): number {
  const raw = flagValue(argv, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new BenchLoadError(`--${name} needs a number ≥ ${min}, got ${raw}`);
  return v;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const known = new Set([
    '--kubeconfig',
    '--scale',
    '--seed',
    '--concurrency',
    '--delete',
    '--wait',
    '--dry-run',
    '--dump',
    '--verify',
  ]);
  const unknown = argv.filter((a) => a.startsWith('--') && !known.has(a));
  if (unknown.length) throw new BenchLoadError(`unknown option ${unknown.join(', ')}\n${USAGE}`);

  const divisor = numberFlag(argv, 'scale', 1, 1);
  const seed = numberFlag(argv, 'seed', FULL_SCALE.seed, 0);
  const concurrency = numberFlag(argv, 'concurrency', 32, 1);
  const kubeconfig = flagValue(argv, 'kubeconfig');
  const dump = flagValue(argv, 'dump');
  const log = (line: string) => process.stderr.write(`${line}\n`);

  if (argv.includes('--delete')) {
    if (!kubeconfig) throw new BenchLoadError(`--delete needs --kubeconfig FILE\n${USAGE}`);
    const r = await deleteBenchCluster(kubeConfigFromFile(kubeconfig), { wait: argv.includes('--wait'), log });
    process.stdout.write(
      `deleted: ${r.namespaces} bench namespaces${r.gone ? ' (gone)' : ' (terminating in the background)'} and the bench cluster roles/bindings in ${r.seconds.toFixed(1)} s\n`,
    );
    return 0;
  }

  const t0 = performance.now();
  const cluster = generateBenchCluster({ ...scaledDown(divisor), seed });
  const counts = benchCounts(cluster);
  log(
    `generated (seed ${seed}, scale 1/${divisor}) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
      Object.entries(counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', '),
  );

  if (dump) {
    const json = JSON.stringify(benchClusterAsList(cluster));
    writeFileSync(dump, dump.endsWith('.gz') ? gzipSync(json) : json);
    process.stdout.write(`dumped: ${benchObjectCount(cluster)} objects to ${dump}\n`);
    return 0;
  }
  if (argv.includes('--dry-run')) {
    process.stdout.write(`planned: ${benchObjectCount(cluster)} objects\n`);
    return 0;
  }
  if (!kubeconfig)
    throw new BenchLoadError(`--kubeconfig FILE is required (the admin kubeconfig that \`npm run cluster:up\` prints)\n${USAGE}`);

  const kc = kubeConfigFromFile(kubeconfig);
  if (argv.includes('--verify')) {
    const v = await verifyBenchCluster(kc, cluster);
    for (const [kind, k] of Object.entries(v.kinds)) {
      log(
        `  ${kind.padEnd(20)} ${String(k.found).padStart(6)}/${k.planned}${k.missing.length ? `  missing e.g. ${k.missing.slice(0, 3).join(', ')}` : ''}`,
      );
    }
    const problems: [string, string[]][] = [
      ['Pods not in the plan (made by a controller?)', v.extraPods],
      ['ReplicaSets not in the plan', v.extraReplicaSets],
      ['Pods whose controller is not their ReplicaSet', v.podOwnerProblems],
      ['ReplicaSets whose controller is not their Deployment', v.replicaSetOwnerProblems],
      ['ReplicaSets whose replicas differ from their Pods', v.replicaMismatches],
    ];
    for (const [what, list] of problems)
      if (list.length) log(`  ${what}: ${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''}`);
    log(
      `  legacy token Secrets populated by the token controller: ${v.tokenSecrets.populated}/${v.tokenSecrets.planned}; Pending Pods: ${v.pendingPods}`,
    );
    process.stdout.write(`verify: ${v.ok ? 'ok' : 'MISMATCH'}\n`);
    return v.ok ? 0 : 1;
  }
  log(`loading into ${kc.getCurrentCluster()?.server} with ${concurrency} requests in flight`);
  const r = await loadBenchCluster(kc, cluster, { concurrency, log });
  for (const [kind, s] of Object.entries(r.byKind)) {
    log(
      `  ${kind.padEnd(34)} ${String(s.created).padStart(6)} created, ${String(s.existing).padStart(6)} existed${s.failed ? `, ${s.failed} FAILED` : ''}`,
    );
  }
  if (r.failed) {
    log(`${r.failed} objects failed; first errors:\n  ${r.errors.join('\n  ')}`);
  }
  const peak = process.resourceUsage().maxRSS / 1024;
  log(
    `${r.created} created, ${r.existing} already existed, ${r.failed} failed; ${(r.objects / r.seconds).toFixed(0)} objects/s; loader peak RSS ${peak.toFixed(0)} MB`,
  );
  process.stdout.write(`loaded: ${r.objects} objects in ${r.seconds.toFixed(1)} s\n`);
  return r.failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // ApiException messages embed response bodies: describe those without them.
    const text = describeFailure(err);
    process.stderr.write(`bench-collect-load: ${text}\n`);
    process.exit(1);
  },
);
