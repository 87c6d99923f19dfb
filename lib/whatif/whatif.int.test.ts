/**
 * What-if on the demo dataset (real PostgreSQL): the loader reads the identity's part of the collected RBAC and the
 * engine's before/after deltas; removing the binding that makes an account cluster-admin, binding an account to a
 * role that creates pods, the least-privilege fix; and nothing is written.
 */
import type pg from 'pg';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { openStore } from '@/lib/collect/store';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { registerWhatIfCommand } from '@/lib/cli/commands/what-if';
import { whatIf, whatIfOptions, type WhatIfResponse } from './load';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'whatif');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  expect(await loadDemoData(db.url, () => {})).toBe(true);
}, 300_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const idOf = async (namespace: string, name: string) =>
  (
    await pool.query<{ id: string }>(
      `SELECT id FROM "Identity" WHERE kind = 'ServiceAccount' AND namespace = $1 AND name = $2 AND "deletedAt" IS NULL`,
      [namespace, name],
    )
  ).rows[0]!.id;

const counts = async () =>
  (
    await pool.query(
      `SELECT (SELECT count(*) FROM "RbacBinding")::int AS bindings, (SELECT count(*) FROM "RbacRole")::int AS roles,
              (SELECT count(*) FROM "Finding")::int AS findings, (SELECT string_agg(digest, ',' ORDER BY "subjectKey") FROM "RiskScore") AS scores,
              (SELECT count(*) FROM "IdentityReach" WHERE "escalationDistance" IS NOT NULL)::int AS paths`,
    )
  ).rows[0];

const storedScore = async (id: string) =>
  (await pool.query<{ score: number }>(`SELECT score FROM "RiskScore" WHERE "identityId" = $1`, [id])).rows[0]!.score;

describe('what-if on the demo data', () => {
  it('removing the binding that makes kube-system/superadmin cluster-admin: no path left, NHI-POS-001/002 resolved', async () => {
    const before = await counts();
    const id = await idOf('kube-system', 'superadmin');
    const options = (await whatIfOptions(prisma, id, 'cluster-admin'))!;
    const binding = options.bindings.find((b) => b.kind === 'ClusterRoleBinding' && b.name === 'superadmin')!;
    expect(binding.role).toBe('ClusterRole cluster-admin');
    expect(options.roles.map((r) => `${r.kind} ${r.name}`)).toContain('ClusterRole cluster-admin');

    const r = (await whatIf(prisma, id, { removeBindingIds: [binding.id!], addBindings: [], leastPrivilege: false }))!;
    expect(r.applied).toEqual(['removed ClusterRoleBinding superadmin']);
    expect(r.warnings).toEqual([]);
    expect(r.delta.clusterAdmin).toEqual({ before: 0, after: null });
    expect(r.after.escalation.targets).toEqual([]);
    expect(r.delta.findings.resolved.map((f) => `${f.ruleId} ${f.severity}`)).toEqual([
      'NHI-POS-001 critical',
      'NHI-POS-002 critical',
    ]);
    expect(r.delta.findings.appeared).toEqual([]);
    expect(r.delta.bindings.removed.map((b) => b.name)).toEqual(['superadmin']);
    expect(r.delta.capabilities.removed.map((c) => c.id)).toContain('cluster-admin');
    // Before is what the last collection stored; after drops by the path, the targets and the capabilities.
    expect(r.delta.score.before).toBe(await storedScore(id));
    expect(r.delta.score).toMatchObject({ before: 99, after: 5, change: -94 });
    expect(r.delta.score.factors.map((f) => [f.factor, f.change])).toEqual([
      ['Path to cluster-admin', -45],
      ['Other escalation targets', -25],
      ['Sensitive capabilities', -24],
    ]);
    // Nothing was written.
    expect(await counts()).toEqual(before);
  });

  it('binding payments/payments-api to a role that creates pods in flux-system opens a path through helm-controller', async () => {
    const id = await idOf('payments', 'payments-api');
    const r = (await whatIf(prisma, id, {
      addBindings: [{ roleKind: 'ClusterRole', roleName: 'tekton-pipelines-controller-tenant-access', namespace: 'flux-system' }],
      leastPrivilege: false,
    }))!;
    expect(r.applied).toEqual([
      'added RoleBinding flux-system/what-if-1-tekton-pipelines-controller-tenant-access → ClusterRole tekton-pipelines-controller-tenant-access',
    ]);
    expect(r.delta.clusterAdmin).toEqual({ before: null, after: 1 });
    const admin = r.after.escalation.targets.find((t) => t.target === 'cluster-admin')!;
    expect(admin.via).toBe('ServiceAccount flux-system/helm-controller');
    expect(admin.steps).toEqual([
      'ServiceAccount payments/payments-api creates a pod (or a workload that creates pods) in namespace flux-system running as ServiceAccount flux-system/helm-controller, and uses the token mounted in it.',
      'ServiceAccount flux-system/helm-controller already holds every permission cluster-wide.',
    ]);
    expect(r.delta.identities.added).toContain('ServiceAccount flux-system/helm-controller');
    expect(r.delta.findings.appeared.map((f) => `${f.ruleId} ${f.severity}`)).toEqual(['NHI-POS-002 critical']);
    expect(r.delta.capabilities.added.map((c) => c.id)).toEqual(
      expect.arrayContaining(['pods-create', 'secrets-read', 'workloads-modify']),
    );
    expect(r.delta.score.before).toBe(await storedScore(id));
    expect(r.delta.score).toMatchObject({ before: 6, after: 80, change: 74 });
    expect(r.delta.score.factors.find((f) => f.factor === 'Path to cluster-admin')).toMatchObject({
      before: null,
      after: { name: 'Path to cluster-admin in 1 step', points: 35 },
    });
  });

  it('the least-privilege fix of checkout/checkout-worker shrinks its reach to what it used', async () => {
    const id = await idOf('checkout', 'checkout-worker');
    const r = (await whatIf(prisma, id, { addBindings: [], leastPrivilege: true, days: 90 }))!;
    expect(r.leastPrivilegeApplied).toBe(true);
    expect(r.applied).toEqual([
      'removed RoleBinding checkout/checkout-worker-edit (replaced by the least-privilege Role)',
      'added Role checkout/checkout-worker-least-privilege (least privilege)',
      'added RoleBinding checkout/checkout-worker-least-privilege → Role checkout-worker-least-privilege (least privilege)',
    ]);
    const ns = (p: { scope: string }) => p.scope === 'namespace checkout';
    expect(r.before.permissions.filter(ns).length).toBeGreaterThan(r.after.permissions.filter(ns).length);
    expect(r.delta.permissions.filter((p) => p.change === 'added')).toEqual([]);
    expect(r.delta.findings.resolved.map((f) => `${f.ruleId} ${f.severity}`)).toEqual([
      'NHI-POS-001 high',
      'NHI-POS-003 critical',
    ]);
    expect(r.delta.targets.removed.map((t) => `${t.target} ${t.scope}`)).toEqual(['node checkout']);
    expect(r.delta.score.before).toBe(await storedScore(id));
    expect(r.delta.score).toMatchObject({ before: 56, after: 21, change: -35 });
  });

  it('nhi what-if: the same simulation from the command line, as text and JSON', async () => {
    const previous = process.env.DATABASE_URL;
    process.env.DATABASE_URL = db.url;
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const run = (args: string[]) => {
      const program = new Command('nhi').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
      registerWhatIfCommand(program);
      return program.parseAsync(['node', 'nhi', 'what-if', ...args]);
    };
    try {
      await run(['kube-system/superadmin', '--remove-binding', 'ClusterRoleBinding/superadmin']);
      const text = out.mock.calls.map((c) => String(c[0])).join('\n');
      expect(text).toContain('removed ClusterRoleBinding superadmin');
      expect(text).toContain('Risk score: 99 → 5 (-94)');
      expect(text).toContain('Cluster-admin: already cluster-admin-equivalent → no path to cluster-admin');
      expect(text).toMatch(/resolved +NHI-POS-001 \(critical\)/);

      await run([
        'payments/payments-api',
        '--add-role',
        'ClusterRole/tekton-pipelines-controller-tenant-access@flux-system',
        '--json',
      ]);
      const json = JSON.parse(String(out.mock.calls.at(-1)?.[0])) as WhatIfResponse;
      expect(json.delta.clusterAdmin).toEqual({ before: null, after: 1 });
      expect(json.delta.score).toMatchObject({ before: 6, after: 80 });
    } finally {
      out.mockRestore();
      if (previous === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = previous;
    }
  });

  it('refuses a binding that does not designate the identity', async () => {
    const id = await idOf('payments', 'payments-api');
    const other = (
      await pool.query<{ id: string }>(`SELECT id FROM "RbacBinding" WHERE kind = 'ClusterRoleBinding' AND name = 'superadmin'`)
    ).rows[0]!.id;
    await expect(whatIf(prisma, id, { removeBindingIds: [other], addBindings: [], leastPrivilege: false })).rejects.toThrow(
      /does not designate/,
    );
    expect(await whatIf(prisma, '00000000-0000-4000-8000-000000000000', { addBindings: [], leastPrivilege: false })).toBeNull();
  });
});
