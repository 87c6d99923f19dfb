/**
 * POST /api/admission/<cluster> (app/api/admission/[cluster]/route.ts) on a database of its own, as the API server
 * calls it: the cluster's ingest token and no other, a binding judged with the roles the collected cluster holds
 * (imported here with the real command), enforce and audit mode from the server's settings, the policy's
 * exceptions, decisions recorded (not dry runs, not DELETEs) and read back for the Admission page and a workload's
 * timeline, and a malformed review or unusable settings answered with an error status (the failure policy applies).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { ensureCluster as ensureClusterRow, openStore } from '@/lib/collect/store';
import {
  admissionOfServiceAccount,
  admissionOfWorkload,
  listAdmissionDecisions,
  admissionFilterSchema,
} from '@/lib/data/admission';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { repoRoot } from '@/lib/paths';
import { createIngestToken } from '@/lib/runtime/tokens';
import { SECRET_READER_CLUSTER } from '@/lib/check/fixtures';
import { admissionReviewOf, ordinaryDeployment } from './fixtures';
import type { AdmissionResponse } from './review';

type Handler = (request: Request, context?: { params?: Promise<Record<string, string>> }) => Promise<Response>;

let db: TestDatabase;
let pool: pg.Pool;
let client: PrismaClient;
let POST: Handler;
let token: string;
let otherToken: string;
let clusterId: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-admission-route-'));
const CLUSTER = 'adm-ctx';

const binding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: 'reporter-reads', namespace: 'shop' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-reader' },
  subjects: [{ kind: 'ServiceAccount', name: 'reporter', namespace: 'shop' }],
};

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'admroute');
  process.env.DATABASE_URL = db.url;
  process.env.NHI_ADMISSION_CONTEXT_SECONDS = '0';
  delete process.env.NHI_FINDINGS_POLICY;
  pool = openStore(db.url);
  client = createPrisma(db.url);
  writeFileSync(path.join(dir, 'cluster.json'), SECRET_READER_CLUSTER);
  const imported = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin', 'nhi.mjs'), 'import', 'cluster.json', '--cluster', CLUSTER],
    {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    },
  );
  expect(imported.status, imported.stderr).toBe(0);
  clusterId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = $1`, [CLUSTER])).rows[0]!.id;
  token = await createIngestToken(pool, clusterId, 'admission');
  otherToken = await createIngestToken(pool, await ensureClusterRow(pool, 'adm-other', 'import', null, null), 'admission');
  ({ POST } = (await import('@/app/api/admission/[cluster]/route')) as unknown as { POST: Handler });
});

afterAll(async () => {
  delete process.env.NHI_ADMISSION_MODE;
  delete process.env.NHI_ADMISSION_FAIL_ON;
  delete process.env.NHI_ADMISSION_CONTEXT_SECONDS;
  delete process.env.NHI_FINDINGS_POLICY;
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await client?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  delete process.env.NHI_ADMISSION_MODE;
  delete process.env.NHI_ADMISSION_FAIL_ON;
  delete process.env.NHI_FINDINGS_POLICY;
});

function post(body: unknown, opts: { token?: string | null; cluster?: string } = {}): Promise<Response> {
  const cluster = opts.cluster ?? CLUSTER;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const t = opts.token === undefined ? token : opts.token;
  if (t) headers.authorization = `Bearer ${t}`;
  return POST(
    new Request(`http://127.0.0.1/api/admission/${cluster}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    { params: Promise.resolve({ cluster }) },
  );
}
const decisions = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "AdmissionDecision"`)).rows[0]!.n;

describe('POST /api/admission/<cluster>', () => {
  it('takes only the ingest token of the cluster its URL names', async () => {
    const none = await post(admissionReviewOf(binding), { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(admissionReviewOf(binding), { token: 'nhi_ingest_wrong-token-000000000000' })).status).toBe(401);
    const other = await post(admissionReviewOf(binding), { token: otherToken });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: 'ADMISSION_CLUSTER_MISMATCH' });
    expect(await decisions()).toBe(0);
  });

  it('denies in enforce mode a binding the collected cluster’s roles make dangerous, and records it', async () => {
    process.env.NHI_ADMISSION_MODE = `${CLUSTER}=enforce,*=audit`;
    const review = admissionReviewOf(binding, { uid: 'enforce-1', user: 'bob@example.com' });
    const res = await post(review);
    expect(res.status).toBe(200);
    const body = (await res.json()) as AdmissionResponse;
    expect(body).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'enforce-1', allowed: false, status: { code: 403 } },
    });
    expect(body.response.status!.message).toMatch(/NHI-POS-001 ServiceAccount bound to .*Fix: /);
    const row = (await pool.query(`SELECT * FROM "AdmissionDecision" WHERE uid = 'enforce-1' AND "clusterId" = $1`, [clusterId]))
      .rows[0] as Record<string, unknown>;
    expect(row).toMatchObject({
      operation: 'CREATE',
      kind: 'RoleBinding',
      namespace: 'shop',
      name: 'reporter-reads',
      decision: 'denied',
      mode: 'enforce',
      failOn: 'high',
      rules: ['NHI-POS-001'],
      serviceAccounts: ['shop/reporter'],
      user: 'bob@example.com',
      workloadKind: null,
    });
    expect(row.message).toBe(body.response.status!.message);
  });

  it('allows it in audit mode with the warning, records it, and does not record a dry run or a DELETE', async () => {
    const res = await post(admissionReviewOf(binding, { uid: 'audit-1' }));
    const body = (await res.json()) as AdmissionResponse;
    expect(body.response).toMatchObject({ uid: 'audit-1', allowed: true });
    expect(body.response.warnings).toEqual([expect.stringMatching(/^NHI-POS-001 .*would be denied in enforce mode/)]);
    expect((await pool.query(`SELECT decision, mode FROM "AdmissionDecision" WHERE uid = 'audit-1'`)).rows[0]).toEqual({
      decision: 'warned',
      mode: 'audit',
    });

    const before = await decisions();
    process.env.NHI_ADMISSION_MODE = 'enforce';
    const dry = (await (await post(admissionReviewOf(binding, { dryRun: true }))).json()) as AdmissionResponse;
    expect(dry.response.allowed).toBe(false);
    const del = (await (await post(admissionReviewOf(binding, { operation: 'DELETE' }))).json()) as AdmissionResponse;
    expect(del.response.allowed).toBe(true);
    expect(await decisions()).toBe(before);
  });

  it('allows what a live exception of the server’s policy covers', async () => {
    process.env.NHI_ADMISSION_MODE = 'enforce';
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      `apiVersion: nhi.dev/v1
kind: FindingsPolicy
metadata: { name: platform, version: 3 }
spec:
  exceptions:
    - rule: NHI-POS-001
      namespace: shop
      name: reporter
      reason: the reporter reads every Secret to check their expiry (ticket SEC-7)
      expires: 2999-12-31
`,
    );
    process.env.NHI_FINDINGS_POLICY = policy;
    const body = (await (await post(admissionReviewOf(binding, { uid: 'excepted-1' }))).json()) as AdmissionResponse;
    expect(body.response).toEqual({ uid: 'excepted-1', allowed: true });
    const row = (await pool.query(`SELECT decision, findings FROM "AdmissionDecision" WHERE uid = 'excepted-1'`)).rows[0] as {
      decision: string;
      findings: { rule: string; status: string }[];
    };
    expect(row.decision).toBe('allowed');
    expect(row.findings.find((f) => f.rule === 'NHI-POS-001')!.status).toBe('excepted');
  });

  it('records a new Deployment so that it shows on its timeline once a collection has seen it', async () => {
    process.env.NHI_ADMISSION_MODE = 'enforce';
    const body = (await (
      await post(admissionReviewOf(ordinaryDeployment('shop', 'web'), { uid: 'dep-1' }))
    ).json()) as AdmissionResponse;
    expect(body.response).toEqual({ uid: 'dep-1', allowed: true });
    // The collector's row for it, later (same cluster, namespace, kind and name).
    await client.workload.create({
      data: { clusterId, namespace: 'shop', kind: 'Deployment', name: 'web', serviceAccountName: 'web' },
    });
    const timeline = await admissionOfWorkload(client, { clusterId, namespace: 'shop', kind: 'Deployment', name: 'web' });
    expect(timeline.map((d) => [d.uid, d.decision, d.operation])).toEqual([['dep-1', 'allowed', 'CREATE']]);
    expect(timeline[0]!.findings.every((f) => f.severity === 'low' || f.severity === 'medium')).toBe(true);
    expect((await admissionOfServiceAccount(client, { clusterId, namespace: 'shop', name: 'reporter' })).length).toBeGreaterThan(
      0,
    );

    const denied = await listAdmissionDecisions(client, admissionFilterSchema.parse({ cluster: CLUSTER, decision: 'denied' }));
    expect(denied.items.map((d) => d.uid)).toEqual(['enforce-1']);
    const byRule = await listAdmissionDecisions(client, admissionFilterSchema.parse({ rule: 'NHI-POS-001' }));
    expect(byRule.items.map((d) => d.uid).sort()).toEqual(['audit-1', 'enforce-1']);
  });

  it('answers a malformed review or unusable settings with an error status, never a decision', async () => {
    const before = await decisions();
    const notJson = await post('{');
    expect(notJson.status).toBe(400);
    const wrong = await post({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ code: 'ADMISSION_REVIEW_INVALID' });
    process.env.NHI_ADMISSION_MODE = 'block-everything';
    const unusable = await post(admissionReviewOf(binding));
    expect(unusable.status).toBe(503);
    expect(await unusable.json()).toMatchObject({ code: 'ADMISSION_SETTINGS_INVALID' });
    expect(await decisions()).toBe(before);
  });
});
