/**
 * Issue 12 item 5, proved on the real API server: a ServiceAccount bound to `edit` in its namespace and to a
 * cluster-wide reader makes its normal calls with a real pod-bound token (TokenRequest bound to its Pod); the
 * API server's own audit log of those calls (read from the file, from an offset: the cluster's webhook is left
 * as it is) is ingested, the namespace's objects and the ClusterRoles it binds are imported, and the fix is
 * generated (lib/data/least-privilege.ts), also through `nhi fix NS/NAME --yaml`.
 *
 * Then the broad bindings the fix names are removed, the YAML `nhi fix` printed is applied, and
 * SubjectAccessReviews (as the admin) show that every action seen is still allowed (those its groups allow
 * included), the denied probe still denied, and a set of actions the broad grants allowed (each checked
 * allowed before) now denied. Finally the same token makes the same normal calls again: all 2xx.
 */
import { bearerOf } from '@/lib/auth/test-principal';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  adminKubeConfig,
  auditLogOffset,
  ensureCluster,
  eventually,
  readAuditEvents,
  serviceAccountToken,
  type TestCluster,
} from '@/e2e/cluster/harness';
import { tokenClient } from '@/e2e/cluster/as-token';
import { runNhi } from '@/lib/cli/run-nhi';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { kubeGet } from '@/lib/collect/kube';
import { openStore } from '@/lib/collect/store';
import { leastPrivilegeFix, type LeastPrivilegeResult } from '@/lib/data/least-privilege';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { ingestFiles } from '@/lib/runtime/ingest';
import { parseResourceText } from './unused';

const hex = randomBytes(4).toString('hex');
const ns = `it-fix-${hex}`;
const SA = 'shop-api';
const username = `system:serviceaccount:${ns}:${SA}`;
const groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
const reader = `it-fix-${hex}-cluster-reader`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nhi-fix-'));
const inventoryFile = path.join(tmp, 'inventory.json');
const auditFile = path.join(tmp, 'audit.jsonl');
const CLUSTER = 'fix';

let cluster: TestCluster | undefined;
let kc: KubeConfig;
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let client: ReturnType<typeof tokenClient> | undefined;
let token = '';
let offset = 0;
let identityId = '';
let fix: LeastPrivilegeResult;
/** The YAML `nhi fix NS/NAME --yaml` printed. */
let printed = '';
const applied: KubernetesObject[] = [];

// --- calls as the workload: its real pod-bound token, its own user agent.
const call = (method: string, uri: string, body?: unknown, contentType = 'application/json') =>
  client!.call(token, 'shop-api/1.4.2 (linux/amd64) kubernetes/4f1c2ab', method, uri, body, contentType);

/** One round of the service's normal work; returns each call with its status. */
async function normalRound(): Promise<string[]> {
  const out: string[] = [];
  const made = async (method: string, uri: string, body?: unknown, contentType?: string) => {
    const r = await call(method, uri, body, contentType);
    out.push(`${r.status} ${method} ${uri.split('?')[0]}`);
    return r;
  };
  await made('GET', '/api');
  await made('GET', '/apis');
  const list = await made('GET', `/api/v1/namespaces/${ns}/configmaps?limit=500`);
  const rv = ((list.json?.metadata ?? {}) as { resourceVersion?: string }).resourceVersion ?? '';
  await made('GET', `/api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=1&resourceVersion=${rv}`);
  await made('GET', `/api/v1/namespaces/${ns}/configmaps/app-config`);
  await made(
    'PATCH',
    `/api/v1/namespaces/${ns}/configmaps/app-config`,
    { data: { lastRun: new Date().toISOString() } },
    'application/merge-patch+json',
  );
  await made('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { generateName: 'report-' }, data: { ok: 'yes' } });
  await made('GET', `/api/v1/namespaces/${ns}/secrets/api-db`);
  await made('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${SA}/scale`);
  await made('GET', '/api/v1/nodes?limit=500');
  await made('GET', '/metrics');
  await made('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: ns, verb: 'get', resource: 'configmaps' } },
  });
  return out;
}
const PROBE = '/api/v1/namespaces/kube-system/secrets';

// --- SubjectAccessReview as the admin, for the ServiceAccount.
type Check = { resource: V1ResourceAttributes } | { path: string; verb: string };
const checkText = (c: Check) =>
  'path' in c
    ? `${c.verb} ${c.path}`
    : `${c.resource.verb} ${[c.resource.group, c.resource.resource, c.resource.subresource].filter(Boolean).join('/')}` +
      `${c.resource.name ? `/${c.resource.name}` : ''}${c.resource.namespace ? ` in ${c.resource.namespace}` : ''}`;

async function allowed(c: Check): Promise<boolean> {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const review = await authz.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: username,
        groups,
        ...('path' in c ? { nonResourceAttributes: { path: c.path, verb: c.verb } } : { resourceAttributes: c.resource }),
      },
    },
  });
  return review.status?.allowed === true;
}

const res = (verb: string, resource: string, namespace: string, name?: string, group = '', subresource?: string): Check => ({
  resource: { verb, group, resource, namespace, ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) },
});

/** What the broad grants (edit, the cluster reader) allowed and no normal call used: denied once the fix is applied. */
const broadOnly = (pod: string): Check[] => [
  res('delete', 'deployments', ns, SA, 'apps'),
  res('patch', 'deployments', ns, SA, 'apps', 'scale'),
  res('list', 'secrets', ns),
  res('get', 'secrets', ns, 'other-secret'),
  res('create', 'pods', ns, pod, '', 'exec'),
  res('create', 'pods', ns),
  res('delete', 'configmaps', ns, 'app-config'),
  res('update', 'configmaps', ns, 'other-config'),
  res('get', 'configmaps', ns, 'other-config'),
  res('patch', 'configmaps', ns, 'other-config'),
  res('create', 'serviceaccounts', ns, SA, '', 'token'),
  res('create', 'events', ns),
  res('get', 'nodes', '', 'node-1'),
  res('watch', 'nodes', ''),
  res('list', 'namespaces', ''),
  { path: '/debug/pprof/', verb: 'get' },
];

/** The SubjectAccessReviews of an action the fix lists (one per object name, and one without when some call named none). */
function checksOf(a: LeastPrivilegeResult['observedCalls'][number]): Check[] {
  if (a.target.startsWith('/')) return [{ path: a.target, verb: a.verb }];
  const ref = parseResourceText(a.target)!;
  const names = [...a.names, ...(a.unnamed ? [''] : [])];
  return names.map((name) => res(a.verb, ref.resource, a.namespace, name || undefined, ref.group, ref.subresource || undefined));
}

async function podOf(): Promise<{ name: string; uid: string }> {
  const core = kc.makeApiClient(CoreV1Api);
  return eventually(
    `the pod of ${ns}/${SA}`,
    async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/name=${SA}` });
      const p = pods.items.find((x) => !x.metadata?.deletionTimestamp);
      return p ? { name: p.metadata!.name!, uid: p.metadata!.uid! } : undefined;
    },
    60_000,
  );
}

/** The namespace's objects and the cluster RBAC that reaches the ServiceAccount, as `kubectl get -o json` gives them. */
async function writeInventory(): Promise<void> {
  const lists: unknown[] = [await kubeGet(kc, `/api/v1/namespaces/${ns}`)];
  for (const p of [
    `/api/v1/namespaces/${ns}/serviceaccounts`,
    `/api/v1/namespaces/${ns}/pods`,
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/apis/apps/v1/namespaces/${ns}/replicasets`,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
  ])
    lists.push(await kubeGet(kc, p));
  // The ClusterRoleBindings naming it or one of its groups, and every ClusterRole a binding of it refers to.
  type Subject = { kind: string; name: string; namespace?: string };
  type Item = { metadata: { name: string }; subjects?: Subject[]; roleRef?: { kind: string; name: string } };
  type List = { items: Item[] } & Record<string, unknown>;
  const crbs = (await kubeGet(kc, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings')) as List;
  const ours = crbs.items.filter((b) =>
    (b.subjects ?? []).some(
      (s) =>
        (s.kind === 'Group' && groups.includes(s.name)) || (s.kind === 'ServiceAccount' && s.namespace === ns && s.name === SA),
    ),
  );
  const rbs = (lists[lists.length - 1] as List).items;
  const roleNames = new Set([...ours, ...rbs].filter((b) => b.roleRef?.kind === 'ClusterRole').map((b) => b.roleRef!.name));
  const crs = (await kubeGet(kc, '/apis/rbac.authorization.k8s.io/v1/clusterroles')) as List;
  lists.push({ ...crbs, items: ours }, { ...crs, items: crs.items.filter((r) => roleNames.has(r.metadata.name)) });
  writeFileSync(inventoryFile, lists.map((l) => JSON.stringify(l)).join('\n'));
}

/** The routes' process-wide client (lib/db/client.ts prisma()) reads DATABASE_URL when first made: start afresh. */
async function resetRouteClient(): Promise<void> {
  const shared = globalThis as { nhiPrisma?: PrismaClient };
  await shared.nhiPrisma?.$disconnect();
  shared.nhiPrisma = undefined;
}

const nhi = (...args: string[]) => runNhi(db.url, ...args);

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'leastprivilege');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  cluster = await ensureCluster();
  kc = adminKubeConfig(cluster);
  client = tokenClient(cluster);

  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: SA } } });
  for (const name of ['app-config', 'other-config'])
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { mode: 'live' } } });
  for (const name of ['api-db', 'other-secret'])
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { url: 'db://not-a-secret' } } });
  // Broad: edit in its namespace, and a cluster-wide reader of nodes, namespaces, metrics and debug URLs.
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: `${SA}-edit` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: SA, namespace: ns }],
    },
  });
  await rbac.createClusterRole({
    body: {
      metadata: { name: reader },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] },
        { nonResourceURLs: ['/metrics', '/debug/*'], verbs: ['get'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: reader },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader },
      subjects: [{ kind: 'ServiceAccount', name: SA, namespace: ns }],
    },
  });
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: SA, labels: { 'app.kubernetes.io/name': SA } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': SA } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': SA } },
          spec: { serviceAccountName: SA, containers: [{ name: 'main', image: 'registry.example/shop/api:1.4.2' }] },
        },
      },
    },
  });
  const pod = await podOf();
  await writeInventory();
  const imported = await importDumps(pool, [inventoryFile], { clusterName: CLUSTER });
  identityId = (
    await pool.query<{ id: string }>(
      `SELECT id FROM "Identity" WHERE "clusterId" = $1 AND kind = 'ServiceAccount' AND namespace = $2 AND name = $3`,
      [imported.clusterId, ns, SA],
    )
  ).rows[0]!.id;

  // The workload's normal calls with its real token, bound to its Pod, as a kubelet would have asked for it.
  token = (await serviceAccountToken(cluster, ns, SA, { boundObject: { kind: 'Pod', name: pod.name, uid: pod.uid } })).token;
  offset = auditLogOffset(cluster);
  let made = 0;
  for (let i = 0; i < 3; i++) {
    const round = await normalRound();
    made += round.length;
    expect(
      round.filter((r) => !r.startsWith('2')),
      'normal calls under the broad grants',
    ).toEqual([]);
  }
  expect((await call('GET', PROBE)).status).toBe(403);
  made++;
  // Every call's final stage in the API server's own audit log, then only this ServiceAccount's events ingested.
  const events = await eventually('every call of the ServiceAccount in the audit log', () => {
    const mine = readAuditEvents(cluster!, offset).filter((e) => e.user?.username === username);
    return mine.filter((e) => e.stage === 'ResponseComplete').length >= made ? mine : undefined;
  });
  writeFileSync(auditFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const ingested = await ingestFiles(pool, imported.clusterId, [auditFile], { parseIn: 'main' });
  expect(ingested).toMatchObject({ events: events.length, inserted: events.length, rejectedCount: 0 });
  console.log(`${made} calls made; ${events.length} audit events of ${username} ingested`);
}, 240_000);

afterAll(async () => {
  if (cluster) {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: ns })
      .catch(() => {});
    await rbac.deleteClusterRoleBinding({ name: reader }).catch(() => {});
    await rbac.deleteClusterRole({ name: reader }).catch(() => {});
    const objects = KubernetesObjectApi.makeApiClient(kc);
    for (const o of applied.filter((x) => !x.metadata?.namespace)) await objects.delete(o).catch(() => {});
  }
  await client?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the least-privilege fix on the real API server', () => {
  it('generates a Role and a ClusterRole from the calls it made, leaving out what its groups allow and what was denied', async () => {
    fix = (await leastPrivilegeFix(prisma, identityId, { days: 1 }))!;
    expect(fix.window?.basis).toBe('identity');
    expect(fix.calls.denied).toBe(1);
    expect(fix.roles.map((r) => [r.kind, r.namespace, r.name, r.rules])).toEqual([
      [
        'Role',
        ns,
        `${SA}-least-privilege`,
        [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'list', 'watch'] },
          { apiGroups: [''], resources: ['configmaps'], resourceNames: ['app-config'], verbs: ['get', 'patch'] },
          { apiGroups: [''], resources: ['secrets'], resourceNames: ['api-db'], verbs: ['get'] },
          { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [SA], verbs: ['get'] },
        ],
      ],
      [
        'ClusterRole',
        '',
        `${ns}:${SA}-least-privilege`,
        [
          { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
          { nonResourceURLs: ['/metrics'], verbs: ['get'] },
        ],
      ],
    ]);
    const left = fix.observedCalls
      .filter((a) => a.decision !== 'granted')
      .map((a) => `${a.decision} ${a.verb} ${a.target} ${a.namespace}`);
    expect(left.sort()).toEqual([
      'denied list secrets kube-system',
      'shared create authorization.k8s.io/selfsubjectaccessreviews ',
      'shared get /api ',
      'shared get /apis ',
    ]);
    // Every rule of edit and of the reader is narrowed or dropped; the two broad bindings are what the fix replaces.
    expect(fix.diff.kept).toBe(0);
    expect(fix.diff.narrowed).toBeGreaterThanOrEqual(4);
    expect(fix.diff.dropped).toBeGreaterThan(5);
    expect(fix.replaces.map((b) => [b.kind, b.namespace, b.name, b.action])).toEqual([
      ['ClusterRoleBinding', '', reader, 'delete'],
      ['RoleBinding', ns, `${SA}-edit`, 'delete'],
    ]);
    expect(fix.automount).toBeNull();
    expect(fix.yaml).not.toContain('*');
    expect(JSON.stringify(fix)).not.toContain(token);
    console.log(
      `the fix: ${fix.roles.map((r) => `${r.kind} ${r.rules.length} rules`).join(', ')}; the rules held: ${fix.diff.rules.length} ` +
        `(${fix.diff.kept} kept, ${fix.diff.narrowed} narrowed, ${fix.diff.dropped} dropped)\n${fix.yaml}`,
    );
  });

  it('prints the same YAML through `nhi fix NS/NAME --yaml`, and a summary with the diff without it', () => {
    const yaml = nhi('fix', `${ns}/${SA}`, '--cluster', CLUSTER, '--days', '1', '--yaml');
    expect(yaml.stderr).toBe('');
    expect(yaml.status).toBe(0);
    expect(yaml.stdout).toBe(fix.yaml);
    printed = yaml.stdout;
    const summary = nhi('fix', `${ns}/${SA}`, '--cluster', CLUSTER, '--days', '1');
    expect(summary.status, summary.stderr).toBe(0);
    expect(summary.stdout).toContain(`Least-privilege fix for ${ns}/${SA} in cluster ${CLUSTER}`);
    expect(summary.stdout).toContain(
      `Against the rules it holds now: 0 kept, ${fix.diff.narrowed} narrowed, ${fix.diff.dropped} dropped.`,
    );
    expect(summary.stdout).toContain(`kubectl delete rolebinding ${SA}-edit -n ${ns}`);
    expect(nhi('fix', 'not a name').status).toBe(2);
  });

  it('answers GET /api/identities/<id>/fix, and refuses a bad query', async () => {
    await resetRouteClient();
    process.env.DATABASE_URL = db.url;
    const { GET } = await import('@/app/api/identities/[id]/fix/route');
    const headers = await bearerOf(db.url);
    const get = (id: string, q = '') =>
      GET(new Request(`http://127.0.0.1/api/identities/${id}/fix${q}`, { headers }), { params: Promise.resolve({ id }) });
    const ok = await get(identityId, '?days=1');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as LeastPrivilegeResult).yaml).toBe(fix.yaml);
    const asked = (await (await get(identityId, '?days=1&includeDenied=true')).json()) as LeastPrivilegeResult;
    expect(asked.roles.find((r) => r.namespace === 'kube-system')?.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
    ]);
    for (const q of ['?days=0', '?includeDenied=yes']) expect((await get(identityId, q)).status, q).toBe(400);
    expect((await get('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    await resetRouteClient();
  });

  it('applied in place of the broad bindings, allows every action seen and denies the rest (SubjectAccessReview)', async () => {
    const pod = await podOf();
    const others = broadOnly(pod.name);
    const seen = fix.observedCalls.filter((a) => a.decision === 'granted' || a.decision === 'shared').flatMap(checksOf);
    const probe = fix.observedCalls.filter((a) => a.decision === 'denied').flatMap(checksOf);
    expect(seen.length).toBeGreaterThanOrEqual(12);
    expect(probe.map(checkText)).toEqual(['list secrets in kube-system']);
    // Before: the broad grants allow all of it (so each check below can fail), and the probe is denied.
    for (const c of [...seen, ...others]) expect(await allowed(c), `before: ${checkText(c)}`).toBe(true);
    for (const c of probe) expect(await allowed(c), `before: ${checkText(c)}`).toBe(false);

    // Remove what the fix replaces, apply what `nhi fix --yaml` printed.
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    for (const b of fix.replaces)
      if (b.kind === 'RoleBinding') await rbac.deleteNamespacedRoleBinding({ namespace: b.namespace, name: b.name });
      else await rbac.deleteClusterRoleBinding({ name: b.name });
    const objects = KubernetesObjectApi.makeApiClient(kc);
    for (const doc of parseAllDocuments(printed) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      const o = (doc as { toJS(): KubernetesObject }).toJS();
      applied.push(o);
      await objects.create(o);
    }
    expect(applied.map((o) => o.kind)).toEqual(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

    // The authorizer's caches follow within a moment.
    await eventually('the broad grants gone', async () => !(await allowed(others[0]!)), 10_000);
    const failures: string[] = [];
    for (const c of seen) if (!(await allowed(c))) failures.push(`denied: ${checkText(c)}`);
    for (const c of [...others, ...probe]) if (await allowed(c)) failures.push(`allowed: ${checkText(c)}`);
    expect(failures).toEqual([]);
    console.log(
      `${fix.observedCalls.length} actions observed; SubjectAccessReview: ${seen.length} allowed as seen, ` +
        `${others.length + probe.length} denied (${others.length} the broad grants allowed, ${probe.length} denied probe)`,
    );
  });

  it("keeps the workload's real token working for its normal calls", async () => {
    const round = await normalRound();
    expect(round.filter((r) => !r.startsWith('2'))).toEqual([]);
    expect(round).toHaveLength(12);
    expect((await call('GET', PROBE)).status).toBe(403);
    // And what only the broad grants allowed is refused to it now.
    expect((await call('GET', `/api/v1/namespaces/${ns}/secrets`)).status).toBe(403);
    expect((await call('GET', `/api/v1/namespaces/${ns}/configmaps/other-config`)).status).toBe(403);
    expect((await call('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/${SA}`)).status).toBe(403);
  });
});
