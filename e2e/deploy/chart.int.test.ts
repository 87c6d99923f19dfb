/**
 * The Helm chart (deploy/chart/nhi-dashboard), rendered by the real `helm template` (deploy/build-helm.sh builds
 * the pinned helm when it is missing), and every rendered object sent to the real test API server with
 * server-side dry run: schema, defaulting and admission, the Pod Security Standard "restricted" included (the
 * pods of the chart's Deployments are dry-run created in a namespace that enforces it). Also: the committed plain
 * manifests equal a fresh render, the collector's ClusterRole has exactly public/collector-clusterrole.yaml's
 * rules, every container runs non-root on a read-only root filesystem, the web app has its probes, and the
 * chart's own objects pass `nhi check --fail-on high` (with the exceptions of deploy/chart/nhi-check-policy.yaml).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Container,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { adminKubeConfig, ensureCluster } from '@/e2e/cluster/harness';
import { checkManifests, type CheckReport } from '@/lib/check/check';
import { kubeRequest, kubeUrl } from '@/lib/collect/kube';
import { loadCheckPolicy } from '@/lib/check/policy';
import { auditWebhookConfig } from '@/lib/cli/commands/runtime';
import { oidcSettings } from '@/lib/auth/oidc';
import {
  checkPolicyFile,
  deployDir,
  ensureHelm,
  manifestsFile,
  renderChart,
  renderPlainManifests,
  type RenderOptions,
} from '@/deploy/render';

type Obj = KubernetesObject & Record<string, unknown>;

const suffix = randomBytes(3).toString('hex');
const ns = `nhi-chart-${suffix}`;
const release = `chart-${suffix}`;
const fullname = `${release}-nhi-dashboard`;
const FIELD_MANAGER = 'nhi-chart-test';

/** Everything optional switched on: Ingress with TLS, single sign-on, admin Secret, NetworkPolicies, PDB. */
const FULL_VALUES = {
  'namespace.create': 'true',
  'ingress.enabled': 'true',
  'ingress.className': 'nginx',
  'ingress.host': 'nhi.example.org',
  'oidc.enabled': 'true',
  'oidc.issuer': 'https://sso.example.org/realms/main',
  'oidc.clientId': 'nhi-dashboard',
  'oidc.roles': 'admin=nhi-admins\\,auditor=nhi-auditors',
  'oidc.groupsClaim': 'roles',
  'admin.existingSecret': 'nhi-dashboard-admin',
  'networkPolicy.web.from[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name': 'ingress-nginx',
  'web.pdb.enabled': 'true',
  'web.replicas': '2',
  'collector.tlsCertificates': 'true',
  'collector.clusterName': 'prod-eu',
  'image.digest': `sha256:${'a'.repeat(64)}`,
};

let helm: string;
let kc: KubeConfig;
let paths: ObjectPaths;

/** The REST path of an object, from the API server's discovery (KubernetesObjectApi's own lookup). */
class ObjectPaths extends KubernetesObjectApi {
  of(o: KubernetesObject, action: 'create' | 'patch') {
    return this.specUriPath(o, action);
  }
}

/**
 * Sends the object exactly as rendered (not through the client's typed models, which would drop a misspelt field)
 * with `fieldValidation=Strict`, so an unknown or duplicate field is an error, as are schema and admission errors.
 * `apply`: server-side apply (PATCH); `create`: POST. `dryRun` unless `persist`.
 */
async function send(o: Obj, how: 'apply' | 'create', persist = false): Promise<void> {
  const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' });
  if (!persist) query.set('dryRun', 'All');
  if (how === 'apply') query.set('force', 'true');
  const url = kubeUrl(kc, `${await paths.of(o, how === 'apply' ? 'patch' : 'create')}?${query}`);
  const { headers, dispatcher } = await kubeRequest(kc, url);
  const res = await fetch(url, {
    method: how === 'apply' ? 'PATCH' : 'POST',
    headers: {
      ...headers,
      Accept: 'application/json',
      'Content-Type': how === 'apply' ? 'application/apply-patch+yaml' : 'application/json',
    },
    body: JSON.stringify(o),
    dispatcher,
  });
  if (!res.ok) {
    const text = await res.text();
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      /* not a Status */
    }
    throw new Error(`${res.status} ${message}`);
  }
}
const rendered: Record<'default' | 'full', Obj[]> = { default: [], full: [] };
let plainText = '';

const docs = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o && typeof o === 'object');
const render = (opts: RenderOptions) => docs(renderChart(helm, opts));
const ofKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpec = (d: Obj) => (d.spec as { template: { spec: V1PodSpec } }).template.spec;
const containers = (spec: V1PodSpec): V1Container[] => [...(spec.initContainers ?? []), ...spec.containers];
const byName = (objects: Obj[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in the render`);
  return o;
};

beforeAll(async () => {
  helm = await ensureHelm();
  const cluster = await ensureCluster();
  kc = adminKubeConfig(cluster);
  paths = kc.makeApiClient(ObjectPaths);
  // The namespace is made for real (the dry-run objects live in it), enforcing Pod Security "restricted".
  await kc.makeApiClient(CoreV1Api).createNamespace({
    body: {
      metadata: {
        name: ns,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    },
  });
  rendered.default = render({ release, namespace: ns, values: { 'namespace.create': 'true' } });
  rendered.full = render({ release, namespace: ns, values: FULL_VALUES });
  plainText = renderPlainManifests(helm);
}, 3_600_000);

afterAll(async () => {
  if (kc)
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: ns })
      .catch(() => {});
});

describe('the committed plain manifests', () => {
  it('equal a fresh render of the chart (node --import tsx deploy/render.ts writes them)', () => {
    expect(readFileSync(manifestsFile, 'utf8')).toBe(plainText);
  });
});

describe.each(['default', 'full'] as const)('the chart rendered with %s values', (which) => {
  it('has the objects it should', () => {
    const kinds = rendered[which].map((o) => `${o.kind}/${o.metadata?.name}`).sort();
    const common = [
      `ClusterRole/${fullname}-collector`,
      `ClusterRoleBinding/${fullname}-collector`,
      `Deployment/${fullname}-collector`,
      `Deployment/${fullname}-web`,
      `Namespace/${ns}`,
      `NetworkPolicy/${fullname}-collector`,
      `NetworkPolicy/${fullname}-web`,
      `Service/${fullname}-web`,
      `ServiceAccount/${fullname}-collector`,
      `ServiceAccount/${fullname}-web`,
    ];
    const extra = which === 'full' ? [`Ingress/${fullname}-web`, `PodDisruptionBudget/${fullname}-web`] : [];
    expect(kinds).toEqual([...common, ...extra].sort());
    // No Secret is ever rendered: the chart only refers to existing ones.
    expect(ofKind(rendered[which], 'Secret')).toEqual([]);
  });

  it('applies to the real API server (server-side apply, dry run, strict fields): schema, defaults and admission', async () => {
    const failures: string[] = [];
    for (const o of rendered[which]) {
      try {
        await send(o, 'apply');
      } catch (e) {
        failures.push(`${o.kind}/${o.metadata?.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("makes pods that the namespace's Pod Security Standard 'restricted' admits (dry run)", async () => {
    // The ServiceAccounts must exist for a Pod to be admitted: they are made for real in the test namespace.
    for (const sa of ofKind(rendered[which], 'ServiceAccount')) await send(sa, 'apply', true);
    const failures: string[] = [];
    for (const d of ofKind(rendered[which], 'Deployment')) {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${d.metadata!.name}-probe`, namespace: ns },
        spec: podSpec(d),
      };
      try {
        await send(pod, 'create');
      } catch (e) {
        failures.push(`${d.metadata?.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('runs every container non-root, read-only, without privileges, with resources', () => {
    for (const d of ofKind(rendered[which], 'Deployment')) {
      const spec = podSpec(d);
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.hostNetwork ?? false).toBe(false);
      const mounts = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
      for (const c of containers(spec)) {
        expect(c.securityContext, `${d.metadata?.name}/${c.name}`).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 10001,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${c.name} requests`).toBeTruthy();
        expect(c.resources?.limits?.memory, `${c.name} memory limit`).toBeTruthy();
        // What the app writes: /tmp (tsx's cache) on an emptyDir.
        const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(tmp && mounts.get(tmp.name)?.emptyDir, `${c.name} /tmp`).toBeTruthy();
        // DATABASE_URL comes from a Secret, never a literal.
        const url = c.env?.find((e) => e.name === 'DATABASE_URL');
        expect(url?.valueFrom?.secretKeyRef?.name).toBe('nhi-dashboard-database');
        for (const e of c.env ?? []) if (/PASSWORD|SECRET|TOKEN/.test(e.name)) expect(e.value, e.name).toBeUndefined();
      }
    }
  });

  it('probes the web app on /api/health and gives it writable Next.js caches; the collector serves nothing', () => {
    const web = podSpec(byName(rendered[which], 'Deployment', `${fullname}-web`));
    const [app] = web.containers;
    expect(app!.command).toEqual(['node', 'bin/nhi.mjs', 'web', '--hostname', '0.0.0.0', '--port', '3000']);
    expect(app!.readinessProbe?.httpGet).toMatchObject({ path: '/api/health', port: 'http' });
    expect(app!.startupProbe?.httpGet).toMatchObject({ path: '/api/health', port: 'http' });
    expect(app!.livenessProbe?.tcpSocket ?? app!.livenessProbe?.httpGet).toBeTruthy();
    expect(app!.volumeMounts?.map((m) => m.mountPath).sort()).toEqual([
      '/app/.next/cache',
      '/app/.next/server/route-cache',
      '/tmp',
    ]);
    expect(web.initContainers?.map((c) => c.command)).toEqual([['node', 'bin/nhi.mjs', 'db', 'migrate']]);
    const collector = podSpec(byName(rendered[which], 'Deployment', `${fullname}-collector`));
    expect(collector.containers[0]!.command!.slice(0, 5)).toEqual(['node', 'bin/nhi.mjs', 'collect', '--watch', '--in-cluster']);
    expect(collector.containers[0]!.ports ?? []).toEqual([]);
  });

  it('mounts an API token only into the collector', () => {
    for (const sa of ofKind(rendered[which], 'ServiceAccount'))
      expect((sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken, sa.metadata?.name).toBe(false);
    expect(podSpec(byName(rendered[which], 'Deployment', `${fullname}-web`)).automountServiceAccountToken).toBe(false);
    expect(podSpec(byName(rendered[which], 'Deployment', `${fullname}-collector`)).automountServiceAccountToken).toBe(true);
  });

  it('labels every object with app.kubernetes.io/* and its owning team', () => {
    for (const o of rendered[which])
      expect(o.metadata?.labels, `${o.kind}/${o.metadata?.name}`).toMatchObject({
        'app.kubernetes.io/name': 'nhi-dashboard',
        'app.kubernetes.io/instance': release,
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/team': 'platform-security',
      });
  });
});

describe('the dry run has teeth', () => {
  it('refuses a misspelt field and a pod that Pod Security "restricted" forbids', async () => {
    const misspelt = render({ release, namespace: ns, values: { 'web.readinessProbe.periodSecond': '10' } });
    await expect(send(byName(misspelt, 'Deployment', `${fullname}-web`), 'apply')).rejects.toThrow(
      /periodSecond: field not declared in schema/,
    );
    const escalating = render({ release, namespace: ns, values: { 'securityContext.allowPrivilegeEscalation': 'true' } });
    const web = byName(escalating, 'Deployment', `${fullname}-web`);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${fullname}-escalating`, namespace: ns },
      spec: podSpec(web),
    };
    await expect(send(pod, 'create')).rejects.toThrow(/violates PodSecurity "restricted:latest": allowPrivilegeEscalation/);
  });
});

describe("the collector's access", () => {
  it('has exactly the rules of public/collector-clusterrole.yaml, bound to its ServiceAccount', () => {
    const published = docs(readFileSync(path.join(deployDir, '..', 'public', 'collector-clusterrole.yaml'), 'utf8'));
    const expected = ofKind(published, 'ClusterRole')[0]!.rules;
    for (const which of ['default', 'full'] as const) {
      expect(byName(rendered[which], 'ClusterRole', `${fullname}-collector`).rules).toEqual(expected);
      expect(byName(rendered[which], 'ClusterRoleBinding', `${fullname}-collector`)).toMatchObject({
        roleRef: { kind: 'ClusterRole', name: `${fullname}-collector` },
        subjects: [{ kind: 'ServiceAccount', name: `${fullname}-collector`, namespace: ns }],
      });
    }
    expect(ofKind(rendered.default, 'Role')).toEqual([]);
    expect(ofKind(rendered.default, 'RoleBinding')).toEqual([]);
  });
});

describe('values', () => {
  it('gives the web app the OIDC settings lib/auth/oidc.ts reads, the client secret from a Secret', () => {
    const [app] = podSpec(byName(rendered.full, 'Deployment', `${fullname}-web`)).containers;
    const env = Object.fromEntries(
      (app!.env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom?.secretKeyRef ? 'from-secret' : undefined)]),
    );
    expect(env).toMatchObject({
      NHI_OIDC_CLIENT_SECRET: 'from-secret',
      NHI_OIDC_REDIRECT_URL: 'https://nhi.example.org/api/auth/oidc/callback',
      NHI_ADMIN_EMAIL: 'from-secret',
      NHI_ADMIN_PASSWORD: 'from-secret',
    });
    const s = oidcSettings(env);
    expect(s).toMatchObject({ clientId: 'nhi-dashboard', groupsClaim: 'roles' });
    expect(s!.roles).toEqual([
      { role: 'admin', group: 'nhi-admins' },
      { role: 'auditor', group: 'nhi-auditors' },
    ]);
    const ingress = byName(rendered.full, 'Ingress', `${fullname}-web`);
    expect(ingress.spec).toMatchObject({ tls: [{ hosts: ['nhi.example.org'], secretName: 'nhi-dashboard-tls' }] });
    const collector = podSpec(byName(rendered.full, 'Deployment', `${fullname}-collector`)).containers[0]!;
    expect(collector.command).toContain('--tls-certificates');
    expect(collector.env?.find((e) => e.name === 'NHI_CLUSTER_NAME')?.value).toBe('prod-eu');
    expect(collector.image).toBe(`nhi-dashboard@sha256:${'a'.repeat(64)}`);
  });

  it('refuses incomplete single sign-on settings with a message naming the value', () => {
    expect(() => renderChart(helm, { values: { 'oidc.enabled': 'true' } })).toThrow(/oidc\.issuer is required/);
    expect(() =>
      renderChart(helm, {
        values: { 'oidc.enabled': 'true', 'oidc.issuer': 'https://x', 'oidc.clientId': 'c', 'oidc.roles': 'admin=a' },
      }),
    ).toThrow(/oidc\.redirectUrl is required/);
  });
});

describe("the dashboard's own gate (nhi check --fail-on high)", () => {
  const judge = (name: string, text: string): CheckReport =>
    checkManifests([{ name, text }], {
      policy: loadCheckPolicy(checkPolicyFile).policy,
      policySource: checkPolicyFile,
      failOn: 'high',
    });
  const summary = (r: CheckReport) =>
    r.findings.map((f) => `${f.status} ${f.severity} ${f.rule} ${f.subject.kind}/${f.subject.namespace}/${f.subject.name}`);

  it('passes the plain manifests, the policy file excepting only what it justifies', () => {
    const report = judge('deploy/manifests/nhi-dashboard.yaml', plainText);
    expect(report.issues.filter((i) => i.level === 'error')).toEqual([]);
    expect(report.failed).toBe(false);
    expect(report.policy.expiredExceptions).toEqual([]);
    // Excepted: the collector's cluster-wide list of Secrets (the reason is in the policy file).
    expect(summary(report).filter((s) => s.startsWith('excepted'))).toEqual([
      'excepted critical NHI-POS-002 ServiceAccount/nhi-system/nhi-dashboard-collector',
      'excepted high NHI-POS-003 ServiceAccount/nhi-system/nhi-dashboard-collector',
    ]);
    // Open, below the threshold: DATABASE_URL from a Secret in the environment (the app reads no file), and the
    // image by tag until you set image.digest.
    expect(
      summary(report)
        .filter((s) => s.startsWith('open'))
        .sort(),
    ).toEqual([
      'open low NHI-MAN-002 Deployment/nhi-system/nhi-dashboard-collector',
      'open low NHI-MAN-002 Deployment/nhi-system/nhi-dashboard-web',
      'open low NHI-POS-005 Deployment/nhi-system/nhi-dashboard-collector',
      'open low NHI-POS-005 Deployment/nhi-system/nhi-dashboard-web',
    ]);
  });

  it('passes the chart with every option on (image by digest: only the Secrets in the environment stay open)', () => {
    const report = judge('full.yaml', renderChart(helm, { values: FULL_VALUES }));
    expect(report.failed).toBe(false);
    expect([
      ...new Set(
        summary(report)
          .filter((s) => s.startsWith('open'))
          .map((s) => s.split(' ')[2]),
      ),
    ]).toEqual(['NHI-MAN-002']);
  });
});

describe('the audit webhook set-up (deploy/audit)', () => {
  it('logs secrets, ConfigMaps and everything else at Metadata, TokenRequests at Request, nothing at RequestResponse', () => {
    const policy = parseYaml(readFileSync(path.join(deployDir, 'audit', 'audit-policy.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      omitStages: string[];
      rules: {
        level: string;
        resources?: { group: string; resources: string[] }[];
        verbs?: string[];
        nonResourceURLs?: string[];
      }[];
    };
    expect(policy).toMatchObject({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'] });
    expect(policy.rules.map((r) => r.level)).not.toContain('RequestResponse');
    // The first rule that matches a request on this core resource decides (a nonResourceURLs rule never does).
    const first = (resource: string) =>
      policy.rules.find((r) =>
        r.resources ? r.resources.some((g) => g.group === '' && g.resources.includes(resource)) : !r.nonResourceURLs,
      );
    expect(first('secrets')?.level).toBe('Metadata');
    expect(first('configmaps')?.level).toBe('Metadata');
    expect(first('serviceaccounts/token')).toMatchObject({ level: 'Request', verbs: ['create'] });
    expect(policy.rules.at(-1)).toEqual({ level: 'Metadata' });
  });

  it('documents the webhook configuration that nhi ingest-token create prints', () => {
    const file = parseYaml(readFileSync(path.join(deployDir, 'audit', 'webhook-config.yaml'), 'utf8')) as unknown;
    const printed = parseYaml(
      auditWebhookConfig('https://<dashboard>', '<ingest token from nhi ingest-token create>'),
    ) as unknown;
    expect(file).toEqual(printed);
  });
});
