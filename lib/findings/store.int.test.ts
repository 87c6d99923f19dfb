/**
 * Posture findings on the bundled demo dataset: the expected findings exist after an import, a re-import
 * keeps them (same rows, no duplicates), removing the cause resolves them and bringing it back reopens the
 * same row, runtime evidence enables the unused-token rule, and credential findings are left alone.
 * Database only (no cluster); the clock is fixed.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { fixedClock } from '@/lib/clock';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { createPrisma } from '@/lib/db/client';
import { listFindings, findingFilterSchema } from '@/lib/data/findings';
import { demoDataFile } from '@/lib/demo/load';
import { ensurePartitions } from '@/lib/runtime/store';
import { updatePostureFindings } from './store';

let db: TestDatabase;
let pool: pg.Pool;
let clusterId: string;
const at = new Date('2026-12-01T00:00:00Z');
const later = (days: number) => new Date(at.getTime() + days * 86_400_000);

const importDemo = (now: Date) =>
  importDumps(pool, [demoDataFile], { clusterName: 'demo', source: 'demo', tlsCertificates: true, now: fixedClock(now) });

interface Row {
  id: string;
  ruleId: string;
  subjectKey: string;
  severity: string;
  status: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
  identityId: string | null;
  workloadId: string | null;
}
const findings = async (where = `"ruleId" LIKE 'NHI-POS-%'`) =>
  (await pool.query<Row>(`SELECT * FROM "Finding" WHERE ${where} ORDER BY "ruleId", "subjectKey"`)).rows;
const one = async (ruleId: string, subjectKey: string) =>
  (await pool.query<Row>(`SELECT * FROM "Finding" WHERE "ruleId" = $1 AND "subjectKey" = $2`, [ruleId, subjectKey])).rows;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'posturedemo');
  pool = openStore(db.url);
  const outcome = await importDemo(at);
  clusterId = outcome.clusterId;
  expect(outcome.posture!.findings).toBeGreaterThan(100);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('posture findings of the demo dataset', () => {
  it('finds the hand-picked expected findings, linked to their subjects', async () => {
    const expected: [string, string, string][] = [
      // falco's DaemonSet runs a privileged container with host paths.
      ['NHI-POS-004', 'workload:default/DaemonSet/falco', 'critical'],
      ['NHI-POS-004', 'workload:vuln-kubehound/Pod/nsenter-pod', 'critical'],
      // The over-broad RoleBinding to `edit` of the seed (README), Kubernetes' role for people, given to the worker's account.
      ['NHI-POS-001', 'identity:ServiceAccount/checkout/checkout-worker', 'high'],
      ['NHI-POS-001', 'identity:ServiceAccount/argocd/argocd-server', 'critical'],
      ['NHI-POS-002', 'identity:ServiceAccount/data-platform/etl-runner', 'critical'],
      // A version tag without a digest.
      ['NHI-POS-005', 'workload:payments/Deployment/payments-api', 'low'],
      ['NHI-POS-007', 'identity:ServiceAccount/default/falco', 'low'],
    ];
    for (const [rule, subject, severity] of expected) {
      const rows = await one(rule, subject);
      expect(rows, `${rule} ${subject}`).toHaveLength(1);
      expect(rows[0]).toMatchObject({ severity, status: 'open' });
      expect(rows[0]!.identityId ?? rows[0]!.workloadId).not.toBeNull();
    }
    // Not raised: owned accounts, digest-pinned images, Kubernetes' own controllers, and (without runtime events) unused tokens.
    expect(await one('NHI-POS-007', 'identity:ServiceAccount/payments/payments-api')).toEqual([]);
    expect(await one('NHI-POS-001', 'identity:ServiceAccount/kube-system/namespace-controller')).toEqual([]);
    expect(await findings(`"ruleId" = 'NHI-POS-006'`)).toEqual([]);
    // Identity and workload findings are linked to their rows; namespace and cluster ones have none.
    expect(
      await findings(
        `"ruleId" LIKE 'NHI-POS-%' AND "identityId" IS NULL AND "workloadId" IS NULL AND "subjectKey" !~ '^(namespace:|cluster:$)'`,
      ),
    ).toEqual([]);
  });

  it('finds what the seeded test cluster it was recorded from is documented to lack: admission policy, NetworkPolicies, Pod Security', async () => {
    // README "Seed": admission webhooks and policies are skipped, so nothing judges pods (NHI-POS-010); the four demo
    // namespaces (seed-demo.ts) carry no NetworkPolicy and no Pod Security label (NHI-POS-008, NHI-POS-009).
    const [cluster] = await one('NHI-POS-010', 'cluster:');
    expect(cluster).toMatchObject({ severity: 'high', status: 'open', identityId: null, workloadId: null });
    for (const ns of ['payments', 'checkout', 'data-platform', 'monitoring']) {
      expect((await one('NHI-POS-008', `namespace:${ns}`))[0], ns).toMatchObject({ status: 'open', severity: 'medium' });
      expect((await one('NHI-POS-009', `namespace:${ns}`))[0], ns).toMatchObject({ status: 'open', severity: 'medium' });
    }
    // argocd ships its NetworkPolicies; gatekeeper-system enforces restricted; kube-flannel and tigera-operator chose
    // privileged; Kubernetes' own namespaces are not judged.
    expect(await one('NHI-POS-008', 'namespace:argocd')).toEqual([]);
    for (const ns of ['gatekeeper-system', 'kube-flannel', 'tigera-operator', 'kube-system'])
      expect(await one('NHI-POS-009', `namespace:${ns}`), ns).toEqual([]);
    const stored = await pool.query<{ networkPolicies: string[] }>(
      `SELECT "networkPolicies" FROM "Namespace" WHERE "clusterId" = $1 AND name = 'argocd'`,
      [clusterId],
    );
    expect(stored.rows[0]!.networkPolicies).toContain('argocd-server-network-policy');
    // The registry allow-list is empty by default: NHI-POS-011 is silent.
    expect(await findings(`"ruleId" = 'NHI-POS-011'`)).toEqual([]);
  });

  it('keeps the same rows on a re-import: no duplicates, same ids, later lastSeenAt', async () => {
    const before = await findings();
    const credentialBefore = await findings(`"ruleId" LIKE 'NHI-CRED-%'`);
    const outcome = await importDemo(later(1));
    expect(outcome.posture).toMatchObject({ opened: 0, resolved: 0, findings: before.length });
    const after = await findings();
    expect(after.map((f) => f.id)).toEqual(before.map((f) => f.id));
    expect(new Set(after.map((f) => `${f.ruleId} ${f.subjectKey}`)).size).toBe(after.length);
    expect(after.every((f) => f.lastSeenAt.getTime() === later(1).getTime() && f.firstSeenAt.getTime() === at.getTime())).toBe(
      true,
    );
    expect((await findings(`"ruleId" LIKE 'NHI-CRED-%'`)).map((f) => f.id)).toEqual(credentialBefore.map((f) => f.id));
  });

  it('resolves a finding whose cause is gone, reopens the same row when it returns, and never touches credential rows', async () => {
    const credentialBefore = await findings(`"ruleId" LIKE 'NHI-CRED-%'`);
    const [falco] = await one('NHI-POS-004', 'workload:default/DaemonSet/falco');
    const facts = await pool.query(
      `UPDATE "Workload" SET "podSpecFacts" = '{}' WHERE "clusterId" = $1 AND namespace = 'default' AND kind = 'DaemonSet' AND name = 'falco'`,
      [clusterId],
    );
    expect(facts.rowCount).toBe(1);
    const fixed = await updatePostureFindings(pool, clusterId, later(2));
    expect(fixed.resolved).toBe(1);
    expect((await one('NHI-POS-004', 'workload:default/DaemonSet/falco'))[0]).toMatchObject({
      id: falco!.id,
      status: 'resolved',
      resolvedAt: later(2),
    });
    // Credential findings were not resolved although this run did not see them.
    expect((await findings(`"ruleId" LIKE 'NHI-CRED-%'`)).map((f) => [f.id, f.status])).toEqual(
      credentialBefore.map((f) => [f.id, f.status]),
    );
    // The next import brings the privileged DaemonSet back: the same row reopens.
    const outcome = await importDemo(later(3));
    expect(outcome.posture!.opened).toBe(0);
    expect((await one('NHI-POS-004', 'workload:default/DaemonSet/falco'))[0]).toMatchObject({
      id: falco!.id,
      status: 'open',
      resolvedAt: null,
      firstSeenAt: at,
    });
  });

  it('flags mounted tokens of accounts with no API call once runtime events exist', async () => {
    const when = later(3);
    await ensurePartitions(pool, [when.toISOString().slice(0, 10)]);
    await pool.query(
      `INSERT INTO "RuntimeEvent" ("clusterId", at, key, source, verb, resource, "saNamespace", "saName", event)
       VALUES ($1, $2, 'audit:test-1:ResponseComplete', 'audit', 'get', 'secrets', 'payments', 'payments-api', '{}')`,
      [clusterId, when],
    );
    await updatePostureFindings(pool, clusterId, later(4));
    // payments-api called the API: its workload keeps its token without a finding. The reconcile job's
    // account (payments-batch) sets automountServiceAccountToken: false, so it has no token to report.
    expect(await one('NHI-POS-006', 'workload:payments/Deployment/payments-api')).toEqual([]);
    expect(await one('NHI-POS-006', 'workload:payments/CronJob/payments-reconcile')).toEqual([]);
    const quiet = await findings(`"ruleId" = 'NHI-POS-006' AND status = 'open'`);
    expect(quiet.length).toBeGreaterThan(10);
    const router = await pool.query<{ explanation: string }>(
      `SELECT explanation FROM "Finding" WHERE "ruleId" = 'NHI-POS-006' AND "subjectKey" = 'workload:monitoring/Deployment/alert-router'`,
    );
    expect(router.rows[0]?.explanation ?? '').toMatch(/no API call by that account in the last 30 days/);
  });

  it('lists findings worst first with filters and paging', async () => {
    const prisma = createPrisma(db.url);
    try {
      const all = await listFindings(prisma, findingFilterSchema.parse({ cluster: 'demo' }));
      expect(all.total).toBeGreaterThan(100);
      expect(all.rows[0]!.severity).toBe('critical');
      const privileged = await listFindings(prisma, findingFilterSchema.parse({ rule: 'NHI-POS-004', severity: 'critical' }));
      expect(privileged.rows.every((r) => r.ruleId === 'NHI-POS-004' && r.severity === 'critical')).toBe(true);
      expect(privileged.rows.map((r) => r.workload && `${r.workload.namespace}/${r.workload.kind}/${r.workload.name}`)).toContain(
        'default/DaemonSet/falco',
      );
      const ns = await listFindings(prisma, findingFilterSchema.parse({ namespace: 'payments', status: 'all' }));
      expect(ns.rows.length).toBeGreaterThan(0);
      expect(ns.rows.every((r) => r.namespace === 'payments')).toBe(true);
      // The namespace filter includes the namespace's own findings, shown as "namespace payments".
      const own = await listFindings(prisma, findingFilterSchema.parse({ namespace: 'payments', rule: 'NHI-POS-008' }));
      expect(own.rows.map((r) => [r.scope, r.namespace])).toEqual([[{ kind: 'namespace', namespace: 'payments' }, 'payments']]);
      const scoped = await listFindings(prisma, findingFilterSchema.parse({ rule: 'NHI-POS-010' }));
      expect(scoped.rows.map((r) => [r.scope, r.namespace, r.identity, r.workload])).toEqual([
        [{ kind: 'cluster' }, null, null, null],
      ]);
      const nhi1 = await listFindings(prisma, findingFilterSchema.parse({ owasp: 'NHI1' }));
      expect(nhi1.rows.every((r) => r.owasp.some((o) => o.id === 'NHI1'))).toBe(true);
      const page2 = await listFindings(prisma, findingFilterSchema.parse({ page: 2 }));
      expect(page2.rows[0]?.id).not.toBe(all.rows[0]!.id);
    } finally {
      await prisma.$disconnect();
    }
  });
});
