import { binaryVersions } from './binaries';
import { down, status, up } from './control-plane';

/**
 * node --import tsx e2e/cluster/cli.ts <command>
 *
 *   up                 start etcd, kube-apiserver, kube-controller-manager (idempotent); prints the
 *                      admin kubeconfig path as the last line of stdout
 *   down [--purge]     stop them; --purge also deletes the state dir (PKI, etcd data, logs)
 *   status             what runs, where, and whether it is healthy (exit 1 when not all are up)
 *   seed [--force]     start if needed, then apply the corpus and the demo workloads
 *   sa-kubeconfig NS NAME   write a kubeconfig acting as ServiceAccount NS/NAME; prints its path
 *
 * Progress goes to stderr, so `KUBECONFIG=$(node --import tsx e2e/cluster/cli.ts up)` works.
 */

const USAGE = 'usage: cli.ts up | down [--purge] | status | seed [--force] | sa-kubeconfig <namespace> <name>';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const args = rest.filter((a) => !a.startsWith('--'));
  switch (command) {
    case 'up': {
      const r = await up();
      const note = r.started.length ? `started ${r.started.join(', ')}` : 'already running';
      process.stderr.write(
        `cluster: ${note} in ${(r.durationMs / 1000).toFixed(1)}s; API server ${r.layout.server}; audit log ${r.layout.auditLogPath}` +
          `${r.auditWebhook ? `; audit webhook ${r.auditWebhook.url}` : ''}\n`,
      );
      process.stdout.write(`${r.layout.adminKubeconfig}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await down({ purge: flags.has('--purge') });
      process.stderr.write(`cluster: ${stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing was running'}\n`);
      return 0;
    }
    case 'status': {
      const s = await status();
      const lines = [
        `state dir   ${s.layout.dir}`,
        `API server  ${s.layout.server}`,
        `kubeconfig  ${s.layout.adminKubeconfig}`,
        `audit log   ${s.layout.auditLogPath}`,
        `binaries    ${s.binDir ?? '(not built: run e2e/cluster/build.sh)'}`,
        ...(s.binDir
          ? binaryVersions(s.binDir)
              .split('\n')
              .map((l) => `            ${l}`)
          : []),
        ...s.components.map(
          (c) =>
            `${c.name.padEnd(24)} ${c.pid === null ? 'stopped' : `pid ${c.pid}`}${c.pid !== null ? (c.healthy ? ', healthy' : ', NOT healthy') : ''}  (log ${c.logFile})`,
        ),
        s.up ? 'cluster is up' : 'cluster is not (fully) up',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return s.up ? 0 : 1;
    }
    case 'seed': {
      // Loaded on demand: up/down/status need no Kubernetes client library.
      const { ensureCluster, seedCluster } = await import('./harness');
      const cluster = await ensureCluster();
      const r = await seedCluster(cluster, { force: flags.has('--force') });
      const lines = [
        `${r.reused ? 'already seeded' : 'seeded'}: ${r.applied} objects applied, ${r.skipped} skipped ${JSON.stringify(r.skipsByCategory)}`,
        ...Object.entries(r.perOrigin).map(
          ([o, v]) => `  ${o.padEnd(40)} ns ${v.namespace.padEnd(26)} applied ${v.applied}, skipped ${v.skipped}`,
        ),
        `demo namespaces: ${r.demoNamespaces.join(', ')}; ${r.canaryCount} canaries recorded in ${cluster.dir}/canaries.json`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    }
    case 'sa-kubeconfig': {
      const [namespace, name] = args;
      if (!namespace || !name) throw new Error(USAGE);
      const { ensureCluster, kubeconfigForServiceAccount } = await import('./harness');
      const cluster = await ensureCluster();
      process.stdout.write(`${await kubeconfigForServiceAccount(cluster, namespace, name)}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cluster: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
