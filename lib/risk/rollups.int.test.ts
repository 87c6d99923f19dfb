/**
 * The Risk page's roll-ups read from the counts kept beside the scores (lib/risk/rollups.ts) are exactly what
 * the former computation over every score returned (kept here as the reference, `scanRollups`): on the demo
 * dataset and a generated cluster side by side (real PostgreSQL, no cluster), for everyone and for service
 * owners' team scopes, per cluster, after a partial and a full rescore, an ownership change and an identity's
 * deletion; and a service owner's roll-ups count their teams' identities only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { identityInScopeSql } from '@/lib/auth/scope';
import type { TeamScope } from '@/lib/auth/roles';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { riskRollups, type RiskRollups } from '@/lib/data/risk';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { Prisma } from '@/lib/db/generated/client';
import { loadDemoData } from '@/lib/demo/load';
import { benchClusterAsList, FULL_SCALE, generateBenchCluster, scaledDown } from '@/scripts/bench/cluster-gen';
import { rebuildRiskRollups, refreshRiskRollupsOf } from './rollups';
import { scanRollups } from './rollups-reference';
import { updateRiskScores } from './store';
import { loadWeights } from './weights';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-rollups-test-'));
let demoId: string;
let benchId: string;
let teams: { id: string; name: string }[];
const today = new Date();
const later = (days: number) => new Date(today.getTime() + days * 86_400_000);

/** Every view compared: everyone, each cluster, no team, each team alone, pairs of teams, all teams. */
async function expectSameAsScan(step: string, { trend = true } = {}) {
  const ids = teams.map((t) => t.id);
  const scopes: TeamScope[] = [null, [], ...ids.map((id) => [id]), ids.slice(0, 2), ids.slice(1, 4), ids];
  const filters = [{}, { cluster: 'bench' }, { cluster: 'demo-cluster', days: 365 }, { cluster: 'nope' }];
  for (const scope of scopes)
    for (const filter of filters) {
      const [fresh, scanned] = await Promise.all([riskRollups(prisma, filter, scope), scanRollups(prisma, filter, scope)]);
      if (!trend) [fresh.trend, scanned.trend] = [[], []];
      expect(fresh, `${step}: ${JSON.stringify({ scope, filter })}`).toEqual(scanned);
    }
}

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'rollups');
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  const file = path.join(dir, 'cluster.json');
  writeFileSync(
    file,
    JSON.stringify(benchClusterAsList(generateBenchCluster({ ...scaledDown(50, FULL_SCALE), serviceAccounts: 2000 }))),
  );
  benchId = (await importDumps(pool, [file], { clusterName: 'bench' })).clusterId;
  demoId = (await pool.query<{ id: string }>(`SELECT id FROM "Cluster" WHERE name = 'demo-cluster'`)).rows[0]!.id;
  teams = (await pool.query<{ id: string; name: string }>(`SELECT id, name FROM "Team" ORDER BY name`)).rows;
}, 300_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('risk roll-ups kept beside the scores', () => {
  it('are what a scan of every score gives, on the demo data and a generated cluster', async () => {
    expect(teams.length).toBeGreaterThan(3);
    const all = await riskRollups(prisma);
    expect(all.clusters.map((c) => c.name).sort()).toEqual(['bench', 'demo-cluster']);
    expect(all.clusters.find((c) => c.name === 'bench')!.identities).toBeGreaterThan(1900);
    expect(all.trend.length).toBeGreaterThan(0);
    await expectSameAsScan('after loading');
  });

  it("give a service owner their teams' identities only", async () => {
    const all = await riskRollups(prisma);
    for (const team of teams.slice(0, 4)) {
      const mine = await riskRollups(prisma, {}, [team.id]);
      const [expected] = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "RiskScore" s JOIN "Identity" i ON i.id = s."identityId"
        WHERE NOT i."builtIn" AND ${identityInScopeSql([team.id], Prisma.sql`i.id`)}`;
      const counted = mine.clusters.reduce((n, c) => n + c.identities, 0);
      expect(counted, team.name).toBe(expected!.n);
      expect(counted, team.name).toBeLessThan(all.clusters.reduce((n, c) => n + c.identities, 0));
      expect(mine.namespaces.reduce((n, c) => n + c.identities, 0)).toBeLessThanOrEqual(counted);
      // Their own team is there; teams they do not belong to only as co-owners of their identities.
      if (counted) expect(mine.teams.map((t) => t.name)).toContain(team.name);
    }
    const none = await riskRollups(prisma, {}, []);
    expect(none).toEqual({ clusters: [], namespaces: [], teams: [], trend: [] });
  });

  it('follow a partial rescore after a claimed owner, and a workload claimed by another team; the trend the next full scoring', async () => {
    const [unowned] = (
      await pool.query<{ id: string; clusterId: string }>(
        `SELECT i.id, i."clusterId" FROM "Identity" i JOIN "RiskScore" s ON s."identityId" = i.id
         WHERE NOT i."builtIn" AND NOT EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id)
         ORDER BY i."clusterId" = $1 DESC, i.id LIMIT 1`,
        [benchId],
      )
    ).rows;
    await pool.query(
      `INSERT INTO "Ownership" (id, "teamId", "identityId", origin) VALUES (gen_random_uuid(), $1, $2, 'claimed')`,
      [teams[0]!.id, unowned!.id],
    );
    const trendBefore = (await riskRollups(prisma)).trend;
    await updateRiskScores(pool, unowned!.clusterId, today, { identityIds: [unowned!.id] });
    // The roll-ups at once; the day's trend is counted again by the next full scoring.
    await expectSameAsScan('after an identity claimed', { trend: false });
    expect((await riskRollups(prisma)).trend).toEqual(trendBefore);

    const [workload] = (
      await pool.query<{ id: string; clusterId: string }>(
        `SELECT w.id, w."clusterId" FROM "Workload" w JOIN "WorkloadIdentity" wi ON wi."workloadId" = w.id
         WHERE w."clusterId" = $1 ORDER BY w.id LIMIT 1`,
        [demoId],
      )
    ).rows;
    await pool.query(
      `INSERT INTO "Ownership" (id, "teamId", "workloadId", origin) VALUES (gen_random_uuid(), $1, $2, 'claimed')`,
      [teams[teams.length - 1]!.id, workload!.id],
    );
    await refreshRiskRollupsOf(pool, workload!.clusterId, { workloadIds: [workload!.id] });
    await expectSameAsScan('after a workload claimed', { trend: false });

    for (const id of [demoId, benchId]) await updateRiskScores(pool, id, today);
    await expectSameAsScan('after the next full scoring');
  });

  it('follow a full rescore with other weights the next day', async () => {
    const weights = loadWeights();
    const changed = {
      ...weights,
      metadata: { ...weights.metadata, version: weights.metadata.version + 1 },
      spec: {
        ...weights.spec,
        identity: { ...weights.spec.identity, unowned: Math.min(100, weights.spec.identity.unowned + 17) },
      },
    };
    const before = await riskRollups(prisma);
    for (const id of [demoId, benchId]) await updateRiskScores(pool, id, later(1), { weights: changed });
    const after = await riskRollups(prisma);
    expect(after).not.toEqual(before);
    expect(after.trend.length).toBe(before.trend.length + 2);
    await expectSameAsScan('after a rescore');
  });

  it('follow the deletion of identities', async () => {
    const gone = (
      await pool.query<{ id: string; clusterId: string }>(
        `SELECT DISTINCT ON (i."clusterId") i.id, i."clusterId" FROM "Identity" i JOIN "RiskScore" s ON s."identityId" = i.id
         WHERE NOT i."builtIn" AND EXISTS (SELECT 1 FROM "Ownership" o WHERE o."identityId" = i.id) ORDER BY i."clusterId", s.score DESC`,
      )
    ).rows;
    expect(gone).toHaveLength(2);
    const before = await riskRollups(prisma);
    // As a collection that no longer sees them: marked deleted, then a full scoring.
    for (const g of gone) {
      await pool.query(`UPDATE "Identity" SET "deletedAt" = $2 WHERE id = $1`, [g.id, later(1)]);
      await updateRiskScores(pool, g.clusterId, later(1));
    }
    const after = await riskRollups(prisma);
    const total = (r: RiskRollups) => r.clusters.reduce((n, c) => n + c.identities, 0);
    expect(total(after)).toBe(total(before) - 2);
    await expectSameAsScan('after deletions');
  });

  it('are counted again as they are by `nhi risk rollup --rebuild`', async () => {
    const before = await riskRollups(prisma, { days: 365 });
    await pool.query(`TRUNCATE "RiskRollup", "RiskRollupTeams", "RiskRollupNamespace", "RiskRollupDaily"`);
    expect((await riskRollups(prisma)).clusters).toEqual([]);
    expect(await rebuildRiskRollups(pool, { today: later(1) })).toEqual({ clusters: 2 });
    expect(await riskRollups(prisma, { days: 365 })).toEqual(before);
    await expectSameAsScan('after a rebuild');
  });
});
