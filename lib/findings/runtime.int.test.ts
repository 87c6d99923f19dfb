/**
 * Runtime findings and the risk they add, on the demo as `npm run demo` loads it (inventory, runtime events,
 * behaviour detection): one NHI-RUN-001 finding per ServiceAccount with anomalies needing a decision, at the
 * worst anomaly's severity; deciding every anomaly of an account resolves its finding and takes the
 * anomalies out of its score; reopening one brings both back. Real PostgreSQL, no cluster.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { openStore } from '@/lib/collect/store';
import { setAnomalyStatus } from '@/lib/data/anomalies';
import { riskOf } from '@/lib/data/risk';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { afterAnomalyDecision, RUNTIME_RULE } from './runtime';

let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'runtimefindings');
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  pool = openStore(db.url);
  prisma = createPrisma(db.url);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const runtimeFindings = async () =>
  (
    await pool.query<{
      id: string;
      subjectKey: string;
      severity: string;
      status: string;
      identityId: string | null;
      evidence: { count: number };
    }>(
      `SELECT id, "subjectKey", severity::text, status::text, "identityId", evidence FROM "Finding" WHERE "ruleId" = $1 ORDER BY "subjectKey"`,
      [RUNTIME_RULE.id],
    )
  ).rows;

describe('runtime findings of the demo', () => {
  it('one finding per ServiceAccount with open anomalies, at the worst severity, linked to the identity', async () => {
    const expected = await pool.query<{ k: string; n: number; worst: string }>(
      `SELECT 'identity:ServiceAccount/' || "saNamespace" || '/' || "saName" AS k, count(*)::int AS n,
              (array_agg(severity::text ORDER BY array_position(ARRAY['critical','high','medium','low','info'], severity::text)))[1] AS worst
       FROM "Anomaly" WHERE status IN ('open', 'acknowledged') GROUP BY 1 ORDER BY 1`,
    );
    expect(expected.rowCount).toBeGreaterThan(0);
    const found = await runtimeFindings();
    expect(found.map((f) => [f.subjectKey, f.severity, f.evidence.count, f.status])).toEqual(
      expected.rows.map((r) => [r.k, r.worst, r.n, 'open']),
    );
    expect(found.every((f) => f.identityId !== null)).toBe(true);
  });

  it('deciding every anomaly of an account resolves its finding and lowers its score; reopening brings both back', async () => {
    const [target] = await runtimeFindings();
    const anomalies = await prisma.anomaly.findMany({
      where: { identityId: target!.identityId!, status: { in: ['open', 'acknowledged'] } },
    });
    const before = (await riskOf(prisma, { identityId: target!.identityId! }))!;
    expect(before.factors.some((f) => f.name.startsWith('Runtime anomalies'))).toBe(true);
    for (const a of anomalies) {
      const changed = await setAnomalyStatus(prisma, a.id, { status: 'false_positive', by: 'tester' });
      await afterAnomalyDecision(pool, changed);
    }
    expect((await runtimeFindings()).find((f) => f.id === target!.id)!.status).toBe('resolved');
    const after = (await riskOf(prisma, { identityId: target!.identityId! }))!;
    expect(after.factors.some((f) => f.name.startsWith('Runtime anomalies'))).toBe(false);
    expect(after.score).toBeLessThan(before.score);

    const reopened = await setAnomalyStatus(prisma, anomalies[0]!.id, { status: 'open', by: 'tester' });
    await afterAnomalyDecision(pool, reopened);
    const again = (await runtimeFindings()).find((f) => f.id === target!.id)!;
    expect(again).toMatchObject({ status: 'open', evidence: { count: 1 } });
    expect(
      (await riskOf(prisma, { identityId: target!.identityId! }))!.factors.some((f) => f.name.startsWith('Runtime anomalies')),
    ).toBe(true);
  });
});
