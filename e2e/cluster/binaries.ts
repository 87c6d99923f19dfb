import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot, clusterToolsDir } from './config';

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;
export type BinaryName = (typeof BINARIES)[number];

/** The cache directory build.sh uses for the current pin (same hash: sha256 of go.mod + go.sum, 16 hex). */
export function pinnedBinDir(): string {
  const hash = createHash('sha256')
    .update(readFileSync(path.join(clusterToolsDir, 'go.mod')))
    .update(readFileSync(path.join(clusterToolsDir, 'go.sum')))
    .digest('hex')
    .slice(0, 16);
  return path.join(cacheRoot(), `bin-${hash}`);
}

function missing(dir: string): string[] {
  return BINARIES.filter((b) => !existsSync(path.join(dir, b)));
}

/** The binaries to run, without building: NHI_CLUSTER_BIN_DIR when set, else the pinned cache dir, or null. */
export function findBinDir(): string | null {
  const override = process.env.NHI_CLUSTER_BIN_DIR;
  if (override) {
    const lacking = missing(override);
    if (lacking.length) throw new Error(`NHI_CLUSTER_BIN_DIR=${override} lacks ${lacking.join(', ')}`);
    return override;
  }
  const dir = pinnedBinDir();
  return missing(dir).length === 0 && existsSync(path.join(dir, 'VERSIONS')) ? dir : null;
}

/** Runs build.sh (a no-op when the pinned binaries are cached). Its progress goes to our stderr. */
export async function ensureBinaries(): Promise<string> {
  const found = findBinDir();
  if (found) return found;
  process.stderr.write(
    'cluster: control-plane binaries not built yet; running e2e/cluster/build.sh (a cold build takes a long time)\n',
  );
  const script = path.join(clusterToolsDir, 'build.sh');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`e2e/cluster/build.sh failed with exit code ${code}; see its output above`)),
    );
  });
  const dir = out.trim().split('\n').pop() ?? '';
  const lacking = missing(dir);
  if (!dir || lacking.length) throw new Error(`build.sh reported '${dir}' but ${lacking.join(', ')} missing there`);
  return dir;
}

export function binaryVersions(binDir: string): string {
  const file = path.join(binDir, 'VERSIONS');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : '(unknown: no VERSIONS file)';
}
