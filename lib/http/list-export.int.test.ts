/**
 * The list exports (GET /api/<list>/export) on the demo data: each export holds exactly the rows of the
 * filtered view (counted by an independent query here), in the view's sort, as CSV that parses (header row
 * first) and as JSON; a service owner's export holds their teams' rows only. And the identities list's
 * stored sort keys (workloadCount, anomalyCount, kept by triggers) agree with a count of the rows.
 */
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { createSession } from '@/lib/auth/session';
import { addUser } from '@/lib/auth/users';
import { IDENTITY_EXPORT_COLUMNS } from '@/lib/data/identities';
import { FINDING_EXPORT_COLUMNS } from '@/lib/data/findings';
import { CREDENTIAL_EXPORT_COLUMNS } from '@/lib/data/credentials';
import { ANOMALY_EXPORT_COLUMNS } from '@/lib/data/anomalies';

type Handler = (r: Request) => Promise<Response>;

let db: TestDatabase;
let prisma: PrismaClient;
const cookies: Record<'admin' | 'owner', string> = { admin: '', owner: '' };
let ownedIdentities: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'listexport');
  process.env.DATABASE_URL = db.url;
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  prisma = createPrisma(db.url);
  // The owner's team owns two ServiceAccounts, one of them with an anomaly.
  const owned = await prisma.$queryRaw<{ id: string }[]>`
    (SELECT i.id FROM "Identity" i JOIN "Anomaly" a ON a."identityId" = i.id ORDER BY i.namespace, i.name LIMIT 1)
    UNION (SELECT i.id FROM "Identity" i WHERE i.kind = 'ServiceAccount' AND NOT i."builtIn" ORDER BY i.name DESC LIMIT 1)`;
  ownedIdentities = owned.map((o) => o.id);
  const team = await prisma.team.create({ data: { name: 'export-a' } });
  for (const { id } of owned) await prisma.ownership.create({ data: { teamId: team.id, identityId: id, origin: 'claimed' } });
  const admin = await addUser(prisma, { email: 'admin@export.test', name: 'a', role: 'admin' }, 'test');
  const owner = await addUser(
    prisma,
    { email: 'owner@export.test', name: 'o', role: 'service_owner', teams: ['export-a'] },
    'test',
  );
  cookies.admin = `nhi_session=${(await createSession(prisma, admin.id)).secret}`;
  cookies.owner = `nhi_session=${(await createSession(prisma, owner.id)).secret}`;
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await db?.drop();
});

const ROUTES = {
  identities: () => import('@/app/api/identities/export/route'),
  findings: () => import('@/app/api/findings/export/route'),
  credentials: () => import('@/app/api/credentials/export/route'),
  anomalies: () => import('@/app/api/anomalies/export/route'),
} as const;

async function download(list: keyof typeof ROUTES, query: string, who: 'admin' | 'owner' = 'admin') {
  const { GET } = (await ROUTES[list]()) as unknown as { GET: Handler };
  const res = await GET(
    new Request(`http://localhost:3000/api/${list}/export?${query}`, { headers: { cookie: cookies[who], 'user-agent': 'test' } }),
  );
  return { res, text: await res.text() };
}

const csvRows = (text: string) => parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];

describe('list exports', () => {
  it('identities: the CSV holds exactly the filtered view, header first, in the sort asked for', async () => {
    const { res, text } = await download('identities', 'format=csv&sort=name&dir=desc');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="nhi-identities-\d{4}-\d{2}-\d{2}\.csv"/);
    expect(text.split('\n')[0]).toBe(IDENTITY_EXPORT_COLUMNS.join(','));
    const rows = csvRows(text);
    const want = await prisma.$queryRaw<{ id: string }[]>`
      SELECT id FROM "Identity" WHERE "deletedAt" IS NULL AND NOT "builtIn" ORDER BY name DESC, namespace DESC, id DESC`;
    expect(want.length).toBeGreaterThan(10);
    expect(rows.map((r) => r.id)).toEqual(want.map((w) => w.id));
  });

  it('identities: a filter (search, built-in shown) as JSON', async () => {
    const { res, text } = await download('identities', 'format=json&q=controller&builtIn=show');
    expect(res.headers.get('content-type')).toContain('application/json');
    const rows = JSON.parse(text) as { id: string; owners: string[] }[];
    const [{ n }] = (await prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Identity"
      WHERE "deletedAt" IS NULL AND (name ILIKE '%controller%' OR namespace ILIKE '%controller%')`) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    expect(rows).toHaveLength(n);
    expect(Array.isArray(rows[0]!.owners)).toBe(true);
  });

  it('findings: every status, and one severity', async () => {
    const all = csvRows((await download('findings', 'status=all')).text);
    expect(all.length).toBe(await prisma.finding.count());
    const high = csvRows((await download('findings', 'format=csv&severity=high&sort=firstSeen&dir=asc')).text);
    expect(high.length).toBe(await prisma.finding.count({ where: { severity: 'high', status: 'open' } }));
    expect(high.every((r) => r.severity === 'high' && r.status === 'open')).toBe(true);
    const first = high.map((r) => r.firstSeenAt);
    expect(first).toEqual([...first].sort());
    expect(Object.keys(all[0]!)).toEqual([...FINDING_EXPORT_COLUMNS]);
  });

  it('credentials: metadata only, every live credential', async () => {
    const { text } = await download('credentials', 'format=csv&sort=name');
    const rows = csvRows(text);
    expect(rows.length).toBe(await prisma.credential.count({ where: { deletedAt: null } }));
    expect(Object.keys(rows[0]!)).toEqual([...CREDENTIAL_EXPORT_COLUMNS]);
    expect(CREDENTIAL_EXPORT_COLUMNS.some((c) => /value|data|token$|secret$/i.test(c))).toBe(false);
    const names = await prisma.$queryRaw<{ name: string }[]>`
      SELECT name FROM "Credential" WHERE "deletedAt" IS NULL ORDER BY name`;
    expect(rows.map((r) => r.name)).toEqual(names.map((n) => n.name));
  });

  it('anomalies: every status as JSON', async () => {
    const rows = JSON.parse((await download('anomalies', 'format=json&status=all')).text) as Record<string, unknown>[];
    expect(rows.length).toBe(await prisma.anomaly.count());
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.keys(rows[0]!)).toEqual([...ANOMALY_EXPORT_COLUMNS]);
  });

  it('a bad filter is refused with a message naming it', async () => {
    const { res, text } = await download('identities', 'format=xlsx');
    expect(res.status).toBe(400);
    expect(text).toContain('format');
    expect((await download('findings', 'sort=workloads')).res.status).toBe(400);
  });

  it('a service owner’s export holds their teams’ rows only', async () => {
    const ids = csvRows((await download('identities', 'builtIn=show', 'owner')).text).map((r) => r.id);
    const inScope = await prisma.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM "Identity" i WHERE i."deletedAt" IS NULL AND (
        EXISTS (SELECT 1 FROM "Ownership" o JOIN "Team" t ON t.id = o."teamId" WHERE o."identityId" = i.id AND t.name = 'export-a')
        OR EXISTS (SELECT 1 FROM "WorkloadIdentity" wi JOIN "Ownership" o ON o."workloadId" = wi."workloadId"
                   JOIN "Team" t ON t.id = o."teamId" WHERE wi."identityId" = i.id AND t.name = 'export-a'))`;
    expect(ids.sort()).toEqual(inScope.map((r) => r.id).sort());
    expect(ids).toEqual(expect.arrayContaining(ownedIdentities));
    const anomalies = JSON.parse((await download('anomalies', 'format=json&status=all', 'owner')).text) as {
      id: string;
    }[];
    const ownAnomalies = await prisma.anomaly.count({ where: { identityId: { in: ownedIdentities } } });
    expect(anomalies.length).toBeGreaterThanOrEqual(1);
    expect(anomalies.length).toBeLessThan(await prisma.anomaly.count());
    expect(anomalies.length).toBeGreaterThanOrEqual(ownAnomalies);
    const findings = csvRows((await download('findings', 'status=all', 'owner')).text);
    expect(findings.length).toBeLessThan(await prisma.finding.count());
  });
});

describe('the identities list’s stored sort keys', () => {
  const mismatches = () => prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "Identity" i
    WHERE i."workloadCount" <> (SELECT count(*) FROM "WorkloadIdentity" w WHERE w."identityId" = i.id AND w."deletedAt" IS NULL)
       OR i."anomalyCount" <> (SELECT count(*) FROM "Anomaly" a WHERE a."identityId" = i.id AND a.status IN ('open', 'acknowledged'))`;

  it('agree with a count of the rows after the demo load', async () => {
    expect((await mismatches())[0]!.n).toBe(0);
    expect(await prisma.identity.count({ where: { workloadCount: { gt: 0 } } })).toBeGreaterThan(0);
    expect(await prisma.identity.count({ where: { anomalyCount: { gt: 0 } } })).toBeGreaterThan(0);
  });

  it('riskSort orders the identities as the score and the reach did (the previous ORDER BY)', async () => {
    const stored = await prisma.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM "Identity" i WHERE i."deletedAt" IS NULL AND NOT i."builtIn"
      ORDER BY i."riskSort" DESC, i.namespace ASC, i.name ASC, i.id ASC`;
    const previous = await prisma.$queryRaw<{ id: string }[]>`
      SELECT i.id FROM "Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id
      LEFT JOIN "RiskScore" rs ON rs."identityId" = i.id
      WHERE i."deletedAt" IS NULL AND NOT i."builtIn"
      ORDER BY rs.score DESC, r."escalationDistance" ASC NULLS LAST, r."maxSeverity" DESC NULLS LAST,
        r."capabilityCount" DESC, i.namespace ASC, i.name ASC, i.id ASC`;
    expect(stored.length).toBeGreaterThan(10);
    expect(stored.map((r) => r.id)).toEqual(previous.map((r) => r.id));
    // And a rescoring moves the identity.
    const top = stored[0]!.id;
    await prisma.riskScore.update({ where: { identityId: top }, data: { score: 0 } });
    const [moved] = await prisma.$queryRaw<{ k: number; want: number }[]>`
      SELECT i."riskSort" AS k, nhi_identity_risk_sort(0, r."escalationDistance", r."maxSeverity"::text, r."capabilityCount")::float8 AS want
      FROM "Identity" i LEFT JOIN "IdentityReach" r ON r."identityId" = i.id WHERE i.id = ${top}::uuid`;
    expect(moved!.k).toBe(moved!.want);
  });

  it('follow status changes, soft deletes and deletes', async () => {
    const a = await prisma.anomaly.findFirstOrThrow({ where: { identityId: { not: null }, status: 'open' } });
    const before = (await prisma.identity.findUniqueOrThrow({ where: { id: a.identityId! } })).anomalyCount;
    await prisma.anomaly.update({ where: { id: a.id }, data: { status: 'resolved' } });
    expect((await prisma.identity.findUniqueOrThrow({ where: { id: a.identityId! } })).anomalyCount).toBe(before - 1);
    const wi = await prisma.workloadIdentity.findFirstOrThrow({ where: { deletedAt: null } });
    const w0 = (await prisma.identity.findUniqueOrThrow({ where: { id: wi.identityId } })).workloadCount;
    const key = { workloadId_identityId: { workloadId: wi.workloadId, identityId: wi.identityId } };
    await prisma.workloadIdentity.update({ where: key, data: { deletedAt: new Date() } });
    expect((await prisma.identity.findUniqueOrThrow({ where: { id: wi.identityId } })).workloadCount).toBe(w0 - 1);
    await prisma.workloadIdentity.update({ where: key, data: { deletedAt: null } });
    expect((await prisma.identity.findUniqueOrThrow({ where: { id: wi.identityId } })).workloadCount).toBe(w0);
    await prisma.workloadIdentity.delete({ where: key });
    expect((await prisma.identity.findUniqueOrThrow({ where: { id: wi.identityId } })).workloadCount).toBe(w0 - 1);
    expect((await mismatches())[0]!.n).toBe(0);
  });
});
