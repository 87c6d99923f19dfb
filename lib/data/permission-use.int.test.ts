/**
 * Posture meets behaviour on the real PostgreSQL: the rules an identity's own bindings grant against the
 * calls it made in its activity window (permission-use.ts), and escalation paths ranked with the anomalies
 * of their source identity (identities.ts).
 */
import { bearerOf } from '@/lib/auth/test-principal';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { repoRoot } from '@/lib/paths';
import { parseRuntimeText } from '@/lib/runtime/parse';
import { storeEvents } from '@/lib/runtime/store';
import { activityOf, identityScope } from './activity';
import { escalationPaths, listIdentities, parseIdentityFilter } from './identities';
import { permissionUse } from './permission-use';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let clusterId: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-permission-use-test-'));

const RBAC = 'rbac.authorization.k8s.io/v1';
const sa = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'shop', uid: `u-sa-${name}` },
});
const subject = (name: string) => [{ kind: 'ServiceAccount', name, namespace: 'shop' }];
const roleRef = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });

const objects = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'u-ns-shop' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'billing', uid: 'u-ns-billing' } },
  sa('api'),
  sa('admin'),
  sa('ops'),
  sa('idle'),
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: 'u-ns-kube-system' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'job-controller', namespace: 'kube-system', uid: 'u-sa-job' } },
  {
    apiVersion: RBAC,
    kind: 'Role',
    metadata: { name: 'config-reader', namespace: 'shop' },
    rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] }],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'secrets-editor' },
    rules: [
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] },
      { verbs: ['list', 'create', 'delete'], apiGroups: [''], resources: ['secrets'] },
      { verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] },
    ],
  },
  // An aggregated ClusterRole written as a manifest (no rules yet): it takes the rules of metrics-reader.
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'api-aggregate' },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'nhi-test/aggregate': 'true' } }] },
    rules: [],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'metrics-reader', labels: { 'nhi-test/aggregate': 'true' } },
    rules: [
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
      { verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] },
    ],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'nodes-reader' },
    rules: [{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'cluster-admin' },
    rules: [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ],
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'pod-creator' },
    rules: [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }],
  },
  {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'api-config', namespace: 'shop' },
    subjects: subject('api'),
    roleRef: roleRef('Role', 'config-reader'),
  },
  {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'api-secrets', namespace: 'shop' },
    subjects: subject('api'),
    roleRef: roleRef('ClusterRole', 'secrets-editor'),
  },
  {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'api-gone', namespace: 'shop' },
    subjects: subject('api'),
    roleRef: roleRef('ClusterRole', 'does-not-exist'),
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'api-aggregate' },
    subjects: subject('api'),
    roleRef: roleRef('ClusterRole', 'api-aggregate'),
  },
  // Through a group: shared with every ServiceAccount, left out of the least-privilege view.
  {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'all-sa-nodes' },
    subjects: [{ kind: 'Group', name: 'system:serviceaccounts', apiGroup: 'rbac.authorization.k8s.io' }],
    roleRef: roleRef('ClusterRole', 'nodes-reader'),
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'admin' },
    subjects: subject('admin'),
    roleRef: roleRef('ClusterRole', 'cluster-admin'),
  },
  {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'builtin-admins' },
    subjects: [
      { kind: 'Group', name: 'system:masters', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'job-controller', namespace: 'kube-system' },
    ],
    roleRef: roleRef('ClusterRole', 'cluster-admin'),
  },
  // ops can create pods in shop, so it can run a pod as admin and use its token: a path of its own.
  {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'ops-pods', namespace: 'shop' },
    subjects: subject('ops'),
    roleRef: roleRef('ClusterRole', 'pod-creator'),
  },
];

function audit(
  id: string,
  at: string,
  o: {
    sa?: string;
    verb: string;
    resource?: string;
    group?: string;
    sub?: string;
    ns?: string;
    name?: string;
    uri?: string;
    code?: number;
    stage?: string;
  },
) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: id,
    stage: o.stage ?? 'ResponseComplete',
    requestURI: o.uri ?? `/api/v1/${o.resource ?? ''}`,
    verb: o.verb,
    user: { username: `system:serviceaccount:shop:${o.sa ?? 'api'}`, groups: ['system:serviceaccounts'] },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'api/1.0',
    ...(o.resource
      ? {
          objectRef: {
            resource: o.resource,
            ...(o.group ? { apiGroup: o.group } : {}),
            ...(o.sub ? { subresource: o.sub } : {}),
            ...(o.ns ? { namespace: o.ns } : {}),
            ...(o.name ? { name: o.name } : {}),
          },
        }
      : {}),
    ...(o.stage === 'RequestReceived' ? {} : { responseStatus: { code: o.code ?? 200 } }),
    requestReceivedTimestamp: at,
    stageTimestamp: at,
  };
}

const events = [
  audit('a1', '2026-11-20T10:00:00Z', { verb: 'get', resource: 'configmaps', ns: 'shop', name: 'settings' }),
  audit('a2', '2026-11-20T10:01:00Z', { verb: 'get', resource: 'configmaps', ns: 'shop', name: 'settings' }),
  // Not this RoleBinding's namespace.
  audit('a3', '2026-11-20T10:02:00Z', { verb: 'list', resource: 'configmaps', ns: 'billing', code: 403 }),
  audit('a4', '2026-11-20T10:03:00Z', { verb: 'get', resource: 'secrets', ns: 'shop', name: 'db' }),
  // A name the resourceNames rule does not list (denied).
  audit('a5', '2026-11-20T10:04:00Z', { verb: 'get', resource: 'secrets', ns: 'shop', name: 'other', code: 403 }),
  audit('a6', '2026-11-20T10:05:00Z', { verb: 'list', resource: 'secrets', ns: 'shop' }),
  audit('a7', '2026-11-20T10:06:00Z', { verb: 'get', uri: '/metrics?format=text' }),
  // Through the group binding, left out.
  audit('a8', '2026-11-20T10:07:00Z', { verb: 'list', resource: 'nodes' }),
  // Still running at the end of the window: no final stage, but the call was made.
  audit('a9', '2026-11-20T10:08:00Z', {
    verb: 'get',
    resource: 'deployments',
    group: 'apps',
    ns: 'shop',
    name: 'web',
    stage: 'RequestReceived',
  }),
  // Before a 7-day window, inside a 30-day one.
  audit('a10', '2026-11-01T09:00:00Z', { verb: 'create', resource: 'pods', sub: 'exec', ns: 'shop', name: 'web-1' }),
  // Another identity's call.
  audit('o1', '2026-11-20T09:00:00Z', { sa: 'ops', verb: 'create', resource: 'pods', sub: 'exec', ns: 'shop', name: 'web-1' }),
];

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'permission_use');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  const dump = path.join(dir, 'shop.json');
  writeFileSync(dump, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await importDumps(pool, [dump], { clusterName: 'shop' });
  clusterId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = 'shop'`)).rows[0]!.id;
  const parsed = parseRuntimeText(events.map((e) => JSON.stringify(e)).join('\n'));
  expect(parsed.rejected).toEqual([]);
  await storeEvents(pool, clusterId, parsed.events);
});
afterAll(async () => {
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const idOf = async (name: string) =>
  (
    await pool.query<{ id: string }>(
      `SELECT id FROM "Identity" WHERE kind = 'ServiceAccount' AND namespace = 'shop' AND name = $1`,
      [name],
    )
  ).rows[0]!.id;
const useOf = async (name: string, days: number) => {
  const id = await idOf(name);
  const activity = await activityOf(prisma, (await identityScope(prisma, id))!, { days });
  return (await permissionUse(prisma, id, activity))!;
};

describe('permissions held but never used', () => {
  it("judges each rule of the identity's own bindings against its calls in the activity window", async () => {
    const u = await useOf('api', 7);
    expect(u.window).toEqual({ days: 7, since: '2026-11-13T10:08:00.000Z', until: '2026-11-20T10:08:00.000Z' });
    // config-reader 1 + secrets-editor 3 + api-aggregate 2 (aggregated from metrics-reader).
    expect([u.granted, u.used]).toEqual([6, 5]);
    expect(u.groupBindings).toBe(1);
    expect(u.missingRoles).toEqual(['RoleBinding shop/api-gone → ClusterRole does-not-exist (role missing)']);
    expect(u.unused.map((r) => [r.binding, r.text])).toEqual([
      ['RoleBinding shop/api-secrets → ClusterRole secrets-editor', 'verbs=[create] apiGroups=[""] resources=[pods/exec]'],
    ]);
    expect(u.partial.map((r) => [r.binding, r.usedVerbs, r.unusedVerbs])).toEqual([
      ['RoleBinding shop/api-config → Role config-reader', ['get'], ['list']],
      ['RoleBinding shop/api-secrets → ClusterRole secrets-editor', ['list'], ['create', 'delete']],
    ]);
    expect(u.partial.map((r) => r.covered)).toEqual([
      [{ verb: 'get', target: 'configmaps', namespace: 'shop', calls: 2 }],
      [{ verb: 'list', target: 'secrets', namespace: 'shop', calls: 1 }],
    ]);
    // get/list configmaps, get and list secrets, get /metrics, list nodes, get deployments (a10 is older).
    expect(u.actions).toBe(7);
  });

  it('counts older calls in a longer window', async () => {
    const u = await useOf('api', 30);
    expect([u.granted, u.used, u.unused.length]).toEqual([6, 6, 0]);
  });

  it('is what `nhi activity --identity` prints after its activity, and `permissions` in its JSON', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'nhi.mjs'), 'activity', '--cluster', 'shop', ...args], {
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8',
      });
    const json = run('--identity', 'shop/api', '--json');
    expect(json.status, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as {
      calls: number;
      permissions: { granted: number; used: number; unused: { text: string }[] };
    };
    expect(out.calls).toBe(8);
    expect(out.permissions).toMatchObject({ granted: 6, used: 5, groupBindings: 1 });
    expect(out.permissions.unused.map((u) => u.text)).toEqual(['verbs=[create] apiGroups=[""] resources=[pods/exec]']);
    const text = run('--identity', 'shop/api', '--days', '30');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('Permissions held but never used');
    expect(text.stdout).toContain('6 of 6 granted rules used');
    expect(text.stdout).toContain(
      'in part\tverbs=[get,list] apiGroups=[""] resources=[configmaps]\tRoleBinding shop/api-config → Role config-reader\tverbs never used: list',
    );
    expect(text.stdout).toContain('1 binding(s) through a group left out');
  });

  it('answers GET /api/identities/<id>/permissions over the days asked, and refuses a bad query or id', async () => {
    process.env.DATABASE_URL = db.url;
    const { GET } = await import('@/app/api/identities/[id]/permissions/route');
    const headers = await bearerOf(db.url);
    const get = async (id: string, q = '') =>
      GET(new Request(`http://127.0.0.1/api/identities/${id}/permissions${q}`, { headers }), { params: Promise.resolve({ id }) });
    expect((await GET(new Request(`http://127.0.0.1/api/identities/${await idOf('api')}/permissions`))).status).toBe(401);
    const id = await idOf('api');
    const week = await get(id);
    expect(week.status).toBe(200);
    expect(await week.json()).toMatchObject({ window: { days: 7 }, granted: 6, used: 5 });
    const month = await get(id, '?days=30');
    expect(await month.json()).toMatchObject({ window: { days: 30 }, granted: 6, used: 6, unused: [] });
    for (const q of ['?days=0', '?days=91', '?days=x']) {
      const bad = await get(id, q);
      expect(bad.status, q).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect((await get('not-a-uuid')).status).toBe(404);
    expect((await get('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('reads object names for resourceNames rules, non-resource URLs without their query, and calls still running', async () => {
    // Without the get of secret db (the get of "other" stays), the /metrics call and the running get of deployments,
    // the rules they used are unused.
    await pool.query(
      `DELETE FROM "RuntimeEvent" WHERE key IN ('audit:a4:ResponseComplete', 'audit:a7:ResponseComplete', 'audit:a9:RequestReceived')`,
    );
    const u = await useOf('api', 7);
    expect(u.used).toBe(2);
    expect(u.unused.map((r) => r.text)).toEqual([
      'verbs=[get] nonResourceURLs=[/metrics]',
      'verbs=[get] apiGroups=[apps] resources=[deployments]',
      'verbs=[get] apiGroups=[""] resources=[secrets] resourceNames=[db]',
      'verbs=[create] apiGroups=[""] resources=[pods/exec]',
    ]);
  });

  it('compares nothing for an identity without events, and answers null for what is not a ServiceAccount', async () => {
    const idle = await useOf('idle', 7);
    expect(idle.window).toBeNull();
    expect([idle.granted, idle.used, idle.actions, idle.groupBindings]).toEqual([0, 0, 0, 1]);
    expect(await permissionUse(prisma, 'not-a-uuid', { days: 7, window: null })).toBeNull();
    expect(await permissionUse(prisma, '00000000-0000-4000-8000-000000000000', { days: 7, window: null })).toBeNull();
  });
});

describe('escalation paths, anomalous sources first', () => {
  const anomaly = async (name: string, status: string, n: number, namespace = 'shop') =>
    prisma.anomaly.create({
      data: {
        clusterId,
        saNamespace: namespace,
        saName: name,
        identityId: (
          await pool.query<{ id: string }>(
            `SELECT id FROM "Identity" WHERE kind = 'ServiceAccount' AND namespace = $1 AND name = $2`,
            [namespace, name],
          )
        ).rows[0]!.id,
        detector: 'secret-access',
        fingerprint: `${namespace}/${name}/${n}`,
        severity: 'high',
        owaspIds: [],
        summary: 'test',
        eventKeys: [],
        eventTimes: [],
        firstEventAt: new Date('2026-11-20T10:00:00Z'),
        lastEventAt: new Date('2026-11-20T10:00:00Z'),
        status: status as 'open',
      },
    });
  const line = (r: { name: string; distance: number; maxSeverity: string | null; anomalies: number }) =>
    `${r.name} ${r.distance} ${r.maxSeverity} ${r.anomalies}`;

  it('lists identities with a path, fewest steps first, leaving out built-in ones without anomalies', async () => {
    const { rows, total } = await escalationPaths(prisma, { cluster: 'shop' });
    expect(rows.map(line)).toEqual(['admin 0 critical 0', 'api 1 high 0', 'ops 1 high 0']);
    expect(total).toBe(3);
    expect(rows[0]!.firstStep).toBe('ServiceAccount shop/admin already holds every permission cluster-wide.');
    expect(rows[1]!.firstStep).toContain(
      'ServiceAccount shop/api creates a kubernetes.io/service-account-token Secret for ServiceAccount shop/admin',
    );
    expect(rows[2]!.firstStep).toContain('ServiceAccount shop/ops creates a pod');
    // system:masters and kube-system/job-controller are bound to cluster-admin, but built in.
    const builtIn = await pool.query(
      `SELECT i.name FROM "IdentityReach" r JOIN "Identity" i ON i.id = r."identityId" WHERE i."builtIn" AND r."escalationDistance" = 0 ORDER BY 1`,
    );
    expect(builtIn.rows.map((r: { name: string }) => r.name)).toEqual(['job-controller', 'system:masters']);
  });

  it('ranks sources with open or acknowledged anomalies first, more first, built-in ones included', async () => {
    await anomaly('ops', 'open', 1);
    await anomaly('ops', 'acknowledged', 2);
    await anomaly('ops', 'resolved', 3);
    await anomaly('api', 'open', 4);
    await anomaly('admin', 'false_positive', 5);
    await anomaly('admin', 'suppressed', 6);
    await anomaly('job-controller', 'open', 7, 'kube-system');
    const { rows, total } = await escalationPaths(prisma, { cluster: 'shop' });
    expect(rows.map(line)).toEqual(['ops 1 high 2', 'job-controller 0 critical 1', 'api 1 high 1', 'admin 0 critical 0']);
    expect(total).toBe(4);
    expect((await escalationPaths(prisma, { cluster: 'shop', limit: 2 })).rows.map((r) => r.name)).toEqual([
      'ops',
      'job-controller',
    ]);
    expect((await escalationPaths(prisma, { limit: 1 })).rows.map((r) => r.name)).toEqual(['ops']);
    expect(await escalationPaths(prisma, { cluster: 'elsewhere' })).toEqual({ rows: [], total: 0 });
  });

  it('gives the identities list its count of active anomalies', async () => {
    const { rows } = await listIdentities(prisma, parseIdentityFilter({ namespace: 'shop' }).filter);
    expect(Object.fromEntries(rows.map((r) => [r.name, r.anomalies]))).toEqual({ admin: 0, api: 1, idle: 0, ops: 2 });
  });
});
