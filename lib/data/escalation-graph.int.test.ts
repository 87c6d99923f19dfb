/**
 * The escalation graph on the demo data (issue 14, item 3): an identity the collection found to reach cluster-admin
 * gets a drawn path from itself to the cluster-admin node, one that does not gets none; team scope hides another
 * team's identity; `nhi paths` prints the same paths.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { formatPaths, runPaths } from '@/lib/cli/commands/paths';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { identityPathGraph, type IdentityPathGraph } from './escalation-graph';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'escgraph');
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  prisma = createPrisma(db.url);
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

/** Follows edges from the start node; the nodes reached. */
function reachable(g: IdentityPathGraph): Set<string> {
  const start = g.nodes.find((n) => n.kind === 'start')!.id;
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length) {
    const at = queue.shift()!;
    for (const e of g.edges)
      if (e.source === at && !seen.has(e.target)) {
        seen.add(e.target);
        queue.push(e.target);
      }
  }
  return seen;
}

describe('identityPathGraph on the demo data', () => {
  it('draws the path of an identity that reaches cluster-admin, ending at the cluster-admin node', async () => {
    const reach = await prisma.identityReach.findFirst({
      where: { reachesClusterAdmin: true, escalationDistance: { gt: 0 }, identity: { kind: 'ServiceAccount', deletedAt: null } },
      orderBy: [{ escalationDistance: 'asc' }, { identityId: 'asc' }],
      select: { identityId: true, escalationDistance: true },
    });
    expect(reach, 'the demo has a ServiceAccount a few steps from cluster-admin').toBeTruthy();
    const g = (await identityPathGraph(prisma, reach!.identityId))!;
    expect(g.computed).toBe(true);
    const admin = g.paths.find((p) => p.target === 'cluster-admin');
    expect(admin).toMatchObject({ shown: true, end: 'cluster-admin', severity: 'critical', distance: reach!.escalationDistance });
    // It is the first, highlighted path, and the cluster-admin node is reached from the identity along the edges.
    expect(g.paths[0]!.target).toBe('cluster-admin');
    const node = g.nodes.find((n) => n.id === 'cluster-admin')!;
    expect(node).toMatchObject({ kind: 'target', severity: 'critical', highlighted: true });
    expect(node.targets).toContain('cluster-admin');
    expect(reachable(g).has('cluster-admin')).toBe(true);
    expect(g.edges.filter((e) => e.highlighted).length).toBeGreaterThanOrEqual(1);
    expect(g.edges.every((e) => e.capability.length > 0 && e.text.length > 0)).toBe(true);
    expect(g.nodes.length).toBeLessThanOrEqual(g.maxNodes);
    expect(g.nodes.find((n) => n.kind === 'start')!.identityId).toBe(reach!.identityId);

    // The CLI prints the same path first.
    const cli = await runPaths(prisma, `${g.identity.namespace}/${g.identity.name}`);
    const text = formatPaths(cli);
    expect(text.split('\n')[2]).toMatch(/^cluster-admin \(cluster-wide\) — critical, \d+ steps?/);
  });

  it('draws no path to cluster-admin for an identity that does not reach it', async () => {
    const reach = await prisma.identityReach.findFirst({
      where: { reachesClusterAdmin: false, identity: { kind: 'ServiceAccount', deletedAt: null } },
      orderBy: { identityId: 'asc' },
      select: { identityId: true },
    });
    expect(reach).toBeTruthy();
    const g = (await identityPathGraph(prisma, reach!.identityId))!;
    expect(g.paths.some((p) => p.target === 'cluster-admin')).toBe(false);
    expect(g.nodes.some((n) => n.id === 'cluster-admin')).toBe(false);
  });

  it("hides another team's identity, and an unknown id", async () => {
    const any = await prisma.identityReach.findFirst({ where: { reachesClusterAdmin: true }, select: { identityId: true } });
    expect(await identityPathGraph(prisma, any!.identityId, ['00000000-0000-4000-8000-000000000000'])).toBeNull();
    expect(await identityPathGraph(prisma, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await identityPathGraph(prisma, 'not-a-uuid')).toBeNull();
  });

  it('caps the nodes and counts the paths left out', async () => {
    const rows = await prisma.identityReach.findMany({
      where: { identity: { kind: 'ServiceAccount', deletedAt: null } },
      select: { identityId: true, escalationTargets: true },
    });
    const many = rows.find((r) => Array.isArray(r.escalationTargets) && r.escalationTargets.length >= 2);
    expect(many, 'the demo has a ServiceAccount with two paths or more').toBeTruthy();
    const g = (await identityPathGraph(prisma, many!.identityId, null, 2))!;
    expect(g.nodes.length).toBeLessThanOrEqual(2);
    expect(g.totalPaths).toBeGreaterThanOrEqual(2);
    expect(g.shownPaths).toBeLessThan(g.totalPaths);
  });
});
