/**
 * Renders the Helm chart (deploy/chart/nhi-dashboard) with the real `helm template`, built from the Go module
 * proxy by deploy/build-helm.sh (pinned in deploy/helm/go.mod, cached outside the repository).
 *
 *   node --import tsx deploy/render.ts           writes deploy/manifests/nhi-dashboard.yaml (the plain manifests)
 *   node --import tsx deploy/render.ts --check   exits 1 when the committed file differs from a fresh render
 *
 * e2e/deploy/chart.int.test.ts renders through the same functions, so the committed manifests never drift.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const deployDir = path.dirname(fileURLToPath(import.meta.url));
export const chartDir = path.join(deployDir, 'chart', 'nhi-dashboard');
export const manifestsFile = path.join(deployDir, 'manifests', 'nhi-dashboard.yaml');
/** The exceptions the chart's own objects need to pass `nhi check --fail-on high` (see the file). */
export const checkPolicyFile = path.join(deployDir, 'chart', 'nhi-check-policy.yaml');

/** The release name and namespace of the plain manifests (and the README's `helm install`). */
export const PLAIN_RELEASE = 'nhi-dashboard';
export const PLAIN_NAMESPACE = 'nhi-system';
/** Values of the plain manifests: the chart's defaults, plus the Namespace object (PSS restricted). */
export const PLAIN_VALUES: Readonly<Record<string, string>> = { 'namespace.create': 'true' };

/** Where build-helm.sh puts the pinned helm: ${NHI_CACHE_DIR:-~/.cache/nhi}/helm/bin-<sha256(go.mod+go.sum)[:16]>/helm. */
export function pinnedHelmPath(): string {
  const hash = createHash('sha256')
    .update(readFileSync(path.join(deployDir, 'helm', 'go.mod')))
    .update(readFileSync(path.join(deployDir, 'helm', 'go.sum')))
    .digest('hex')
    .slice(0, 16);
  const root = process.env.NHI_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'nhi');
  return path.join(root, 'helm', `bin-${hash}`, 'helm');
}

/** The pinned helm binary, built first when missing (a cold build takes minutes; its progress goes to stderr). */
export async function ensureHelm(): Promise<string> {
  const pinned = pinnedHelmPath();
  if (existsSync(pinned) && existsSync(path.join(path.dirname(pinned), 'VERSIONS'))) return pinned;
  process.stderr.write('deploy: helm is not built yet; running deploy/build-helm.sh\n');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [path.join(deployDir, 'build-helm.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`deploy/build-helm.sh failed with exit code ${code}; see its output above`)),
    );
  });
  const helm = out.trim().split('\n').pop() ?? '';
  if (!helm || !existsSync(helm)) throw new Error(`deploy/build-helm.sh reported '${helm}', which does not exist`);
  return helm;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** `--set-string`-free `--set key=value` pairs (Helm's own parsing: true/false and numbers are typed). */
  values?: Readonly<Record<string, string>>;
}

/** `helm template` of the chart; throws with helm's message when it fails (e.g. a `required` value is missing). */
export function renderChart(helm: string, opts: RenderOptions = {}): string {
  const args = ['template', opts.release ?? PLAIN_RELEASE, chartDir, '--namespace', opts.namespace ?? PLAIN_NAMESPACE];
  for (const [k, v] of Object.entries(opts.values ?? {})) args.push('--set', `${k}=${v}`);
  // Helm's config, cache and data folders in a temporary place: rendering a local chart needs none of them.
  const home = mkdtempSync(path.join(os.tmpdir(), 'nhi-helm-'));
  try {
    const r = spawnSync(helm, args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        HOME: home,
        HELM_CACHE_HOME: path.join(home, 'cache'),
        HELM_CONFIG_HOME: path.join(home, 'config'),
        HELM_DATA_HOME: path.join(home, 'data'),
      },
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const HEADER = [
  '# NHI Dashboard: plain Kubernetes manifests, rendered from deploy/chart/nhi-dashboard with its default values',
  `# (release ${PLAIN_RELEASE}, namespace ${PLAIN_NAMESPACE}, ${Object.entries(PLAIN_VALUES)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}) by \`node --import tsx deploy/render.ts\`.`,
  '# Do not edit: change the chart and render again (e2e/deploy/chart.int.test.ts fails when this file differs',
  '# from a fresh render).',
  '#',
  '# Before applying: create the Secret with the database URL (see the README, "Deploying in a cluster"), and',
  '# set the image to the one you built and pushed (deploy/Containerfile).',
  '',
].join('\n');

/** The plain manifests as committed: the header, then `helm template`'s output. */
export function renderPlainManifests(helm: string): string {
  return HEADER + renderChart(helm, { values: PLAIN_VALUES });
}

async function main(argv: string[]): Promise<number> {
  const helm = await ensureHelm();
  const fresh = renderPlainManifests(helm);
  if (argv.includes('--check')) {
    const committed = existsSync(manifestsFile) ? readFileSync(manifestsFile, 'utf8') : '';
    if (committed === fresh) return 0;
    process.stderr.write(
      `${path.relative(process.cwd(), manifestsFile)} differs from a fresh render: run node --import tsx deploy/render.ts\n`,
    );
    return 1;
  }
  writeFileSync(manifestsFile, fresh);
  process.stderr.write(`wrote ${path.relative(process.cwd(), manifestsFile)}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
