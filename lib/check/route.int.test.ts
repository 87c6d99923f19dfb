/**
 * POST /api/check (app/api/check/route.ts) on a database of its own, as a signed-in browser calls it: a cluster-admin
 * binding fails the gate at high, a harmless ConfigMap passes, malformed YAML is a 400 naming the line, no session is
 * a 401, no CSRF token a 403, `format: sarif` is a SARIF 2.1.0 log, and `cluster` judges the manifests with the
 * roles a collected cluster (imported here with the real command) already holds. No Secret value is ever echoed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { createSession } from '@/lib/auth/session';
import { csrfTokenOf } from '@/lib/auth/secret-token';
import { addUser } from '@/lib/auth/users';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { repoRoot } from '@/lib/paths';
import { BIND_EXISTING, SECRET_READER_CLUSTER, SHOP } from './fixtures';
import type { CheckResponse } from './request';

const CLUSTER_ADMIN = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: deployer
  namespace: ci
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: deployer-admin
  namespace: ci
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: deployer
    namespace: ci
`;

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: site
data:
  mode: production
`;

const URL_ = 'http://localhost/api/check';
let db: TestDatabase;
let client: PrismaClient;
let secret: string;
let POST: (request: Request) => Promise<Response>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-check-route-'));

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'checkroute');
  // The route's Prisma client reads DATABASE_URL on first use.
  process.env.DATABASE_URL = db.url;
  delete process.env.NHI_FINDINGS_POLICY;
  client = createPrisma(db.url);
  const user = await addUser(client, { email: 'auditor@example.com', name: 'Audi Tor', role: 'auditor' }, 'test');
  ({ secret } = await createSession(client, user.id));
  ({ POST } = await import('@/app/api/check/route'));
});

afterAll(async () => {
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await client?.$disconnect();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A POST as the signed-in browser sends it (session cookie, CSRF token, same origin); `omit` drops headers. */
function post(body: unknown, omit: string[] = []): Promise<Response> {
  const headers: Record<string, string> = {
    cookie: `nhi_session=${secret}`,
    'x-csrf-token': csrfTokenOf(secret),
    'content-type': 'application/json',
    origin: 'http://localhost',
  };
  for (const h of omit) delete headers[h];
  return POST(new Request(URL_, { method: 'POST', headers, body: JSON.stringify(body) }));
}

describe('POST /api/check', () => {
  it('fails a cluster-admin binding to a ServiceAccount at high, with NHI-POS-001 located at the binding', async () => {
    const res = await post({ manifests: CLUSTER_ADMIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const report = (await res.json()) as CheckResponse;
    expect(report.passed).toBe(false);
    expect(report.failed).toBe(true);
    expect(report.failOn).toBe('high');
    expect(report.context).toBeNull();
    expect(report.policy.source).toBe('built-in');
    const finding = report.findings.find((f) => f.rule === 'NHI-POS-001');
    expect(['critical', 'high']).toContain(finding?.severity);
    expect(finding).toMatchObject({
      status: 'open',
      object: { kind: 'RoleBinding', namespace: 'ci', name: 'deployer-admin', file: 'manifest', line: 7 },
      subject: { kind: 'ServiceAccount', namespace: 'ci', name: 'deployer' },
    });
    expect(report.summary.failing).toBeGreaterThan(0);

    // The same manifests pass when the gate is off, and name the file chosen in the browser.
    const off = (await (
      await post({ manifests: CLUSTER_ADMIN, failOn: 'none', fileName: 'k8s/rbac.yaml' })
    ).json()) as CheckResponse;
    expect(off.passed).toBe(true);
    expect(off.findings[0]!.object.file).toBe('k8s/rbac.yaml');
  });

  it('passes a harmless ConfigMap', async () => {
    const res = await post({ manifests: CONFIG_MAP, failOn: 'high' });
    expect(res.status).toBe(200);
    const report = (await res.json()) as CheckResponse;
    expect(report.passed).toBe(true);
    expect(report.summary).toMatchObject({ objects: 1, open: 0, failing: 0 });
    expect(report.findings).toEqual([]);
  });

  it('never echoes a Secret value written in the manifests', async () => {
    const res = await post({ manifests: SHOP });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('NHI-MAN-001');
    expect(text).not.toContain('hunter2-not-for-output');
  });

  it('refuses malformed YAML and unusable bodies with a 400 naming the line, not a 500', async () => {
    const res = await post({ manifests: 'kind: ServiceAccount\nmetadata:\n  name: [oops\n' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; code: string };
    expect(body.code).toBe('MANIFEST_INVALID');
    expect(body.error).toMatch(/manifest:\d+: invalid YAML/);
    expect(body.error).not.toContain('oops');

    const notKube = await post({ manifests: 'just: a map\n' });
    expect(notKube.status).toBe(400);
    expect(((await notKube.json()) as { error: string }).error).toMatch(/no Kubernetes object/);
    expect((await post({ manifests: '   ' })).status).toBe(400);
    expect((await post({ manifests: CONFIG_MAP, failOn: 'severe' })).status).toBe(400);
    expect((await post({ manifests: CONFIG_MAP, format: 'xml' })).status).toBe(400);
    expect((await post({ manifests: CONFIG_MAP, policy: 'x' })).status).toBe(400);
    expect((await post({ manifests: 'x'.repeat(2 * 1024 * 1024 + 1) })).status).toBe(400);
  });

  it('answers 401 without a session and 403 without the CSRF token or from another site', async () => {
    const anonymous = await post({ manifests: CONFIG_MAP }, ['cookie', 'x-csrf-token']);
    expect(anonymous.status).toBe(401);
    const noCsrf = await post({ manifests: CONFIG_MAP }, ['x-csrf-token']);
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { code: string }).code).toBe('CSRF');
    const crossSite = await POST(
      new Request(URL_, {
        method: 'POST',
        headers: {
          cookie: `nhi_session=${secret}`,
          'x-csrf-token': csrfTokenOf(secret),
          'content-type': 'application/json',
          origin: 'https://evil.example',
        },
        body: JSON.stringify({ manifests: CONFIG_MAP }),
      }),
    );
    expect(crossSite.status).toBe(403);
  });

  it('returns a SARIF 2.1.0 log for format sarif', async () => {
    const res = await post({ manifests: CLUSTER_ADMIN, format: 'sarif' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/sarif+json');
    expect(res.headers.get('content-disposition')).toContain('nhi-check.sarif');
    expect(res.headers.get('x-nhi-check')).toBe('failed');
    const log = (await res.json()) as {
      version: string;
      runs: {
        results: { ruleId: string; locations: { physicalLocation?: { region?: { startLine: number } } }[] }[];
        properties: { passed: boolean };
      }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.map((r) => r.ruleId)).toContain('NHI-POS-001');
    expect(log.runs[0]!.properties.passed).toBe(false);
  });

  it('judges the manifests in the context of a collected cluster, and refuses an unknown cluster', async () => {
    writeFileSync(path.join(dir, 'cluster.json'), SECRET_READER_CLUSTER);
    const imported = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'bin', 'nhi.mjs'), 'import', 'cluster.json', '--cluster', 'check-context'],
      { cwd: dir, env: { ...process.env, DATABASE_URL: db.url }, encoding: 'utf8' },
    );
    expect(imported.stderr).not.toMatch(/error/i);
    expect(imported.status).toBe(0);

    const alone = (await (await post({ manifests: BIND_EXISTING })).json()) as CheckResponse;
    expect(alone.findings.map((f) => f.rule)).toEqual(['NHI-POS-007']);

    const res = await post({ manifests: BIND_EXISTING, cluster: 'check-context' });
    expect(res.status).toBe(200);
    const report = (await res.json()) as CheckResponse;
    expect(report.context).toEqual({ cluster: 'check-context' });
    expect(report.findings.map((f) => f.rule)).toEqual(['NHI-POS-001', 'NHI-POS-007']);
    expect(report.passed).toBe(false);

    const unknown = await post({ manifests: BIND_EXISTING, cluster: 'no-such-cluster' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toContain('no-such-cluster');
  });
});
