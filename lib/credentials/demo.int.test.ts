/**
 * The bundled demo dataset, judged as a person checked it by hand: its credentials all have a class and an
 * age, the certificate its expiry, and the findings of the four demo namespaces are exactly these.
 * Database only (no cluster); the clock is fixed, so the certificate's days left do not drift.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { fixedClock } from '@/lib/clock';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
import { allCredentials, credentialFilterSchema } from '@/lib/data/credentials';
import { createPrisma } from '@/lib/db/client';
import { demoDataFile } from '@/lib/demo/load';

let db: TestDatabase;
let pool: pg.Pool;
const at = new Date('2026-12-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'creddemo');
  pool = openStore(db.url);
  await importDumps(pool, [demoDataFile], { clusterName: 'demo', source: 'demo', tlsCertificates: true, now: fixedClock(at) });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('the demo dataset, credential by credential', () => {
  it('gives every credential a class and an age, the certificate its expiry', async () => {
    const prisma = createPrisma(db.url);
    try {
      const rows = await allCredentials(prisma, credentialFilterSchema.parse({}), at);
      expect(rows.length).toBeGreaterThan(250);
      expect(rows.filter((r) => !r.class || r.ageDays === null)).toEqual([]);
      const tls = rows.find((r) => r.namespace === 'checkout' && r.name === 'checkout-tls')!;
      expect(tls).toMatchObject({ class: 'tls-certificate', expiresAt: '2026-12-19T20:15:57.000Z' });
      expect(rows.find((r) => r.name === 'payments-db')).toMatchObject({ class: 'database-credential', lifetime: 'long-lived' });
      expect(rows.find((r) => r.name === 'stripe-api-key')).toMatchObject({ class: 'api-token' });
      expect(rows.find((r) => r.name === 'payments-registry')).toMatchObject({ class: 'image-pull-secret' });
    } finally {
      await prisma.$disconnect();
    }
  });

  it('finds exactly the hand-checked findings in the demo namespaces', async () => {
    const rows = await pool.query<{ f: string }>(
      `SELECT "ruleId" || ' ' || "subjectKey" || ' ' || severity AS f FROM "Finding"
       WHERE status = 'open' AND "subjectKey" ~ '^(ServiceAccount/)?(payments|checkout|data-platform|monitoring)/' ORDER BY 1`,
    );
    expect(rows.rows.map((r) => r.f)).toEqual([
      'NHI-CRED-001 data-platform/LegacyServiceAccountToken/etl-runner-token high',
      'NHI-CRED-001 monitoring/LegacyServiceAccountToken/legacy-exporter-token high',
      'NHI-CRED-001 payments/LegacyServiceAccountToken/payments-api-legacy-token high',
      'NHI-CRED-002 checkout/TlsCertificate/checkout-tls medium',
    ]);
    const coverage = await pool.query(
      `SELECT workloads, "shortLived", "longLived", none FROM "CredentialCoverage" WHERE "scopeKind" = 'cluster'`,
    );
    expect(coverage.rows).toEqual([{ workloads: 250, shortLived: 246, longLived: 0, none: 4 }]);
  });
});
