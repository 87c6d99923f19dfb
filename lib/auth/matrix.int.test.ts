/**
 * The authorization matrix: every route handler of the app (found by walking app/api for route.ts files, so
 * a new route is in the matrix the moment it exists), each method it exports, asked as nobody, as each role,
 * as a read-only API token, and as the service owner of another team — against the demo data in a database
 * of its own. A route missing from EXPECTED fails, so every new route needs a rule written down here, by hand,
 * independently of the one it declares. Pages get the same treatment in e2e/auth-pages.spec.ts.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { loadDemoData } from '@/lib/demo/load';
import { createApiToken } from './api-tokens';
import { allows, type Access, type Role } from './roles';
import { csrfTokenOf } from './secret-token';
import { createSession } from './session';
import { addUser } from './users';

/** Every route and method with the access it must have: written here by hand, compared with what the route declares. */
const EXPECTED: Record<string, Access> = {
  'POST /api/admission/[cluster]': 'ingest',
  'GET /api/admission/decisions': 'cluster.read',
  'GET /api/anomalies': 'owned.read',
  'GET /api/anomalies/export': 'owned.read',
  'GET /api/anomalies/[id]': 'owned.read',
  'POST /api/anomalies/[id]/status': 'owned.act',
  'GET /api/anomalies/suppressions': 'cluster.read',
  'POST /api/anomalies/suppressions': 'risk.approve',
  'POST /api/anomalies/suppressions/[id]/revoke': 'risk.approve',
  'POST /api/api-tokens': 'signed-in',
  'GET /api/api-tokens': 'signed-in',
  'POST /api/api-tokens/[id]/revoke': 'signed-in',
  'GET /api/auth/demo': 'public',
  'GET /api/auth/me': 'signed-in',
  'GET /api/auth/oidc/callback': 'public',
  'GET /api/auth/oidc/start': 'public',
  'POST /api/auth/sign-in': 'public',
  'POST /api/auth/sign-out': 'signed-in',
  'POST /api/check': 'owned.read',
  'GET /api/claims': 'owned.read',
  'POST /api/claims': 'ownership.claim',
  'POST /api/claims/[id]/decide': 'ownership.decide',
  'POST /api/claims/[id]/withdraw': 'ownership.claim',
  'GET /api/clusters': 'owned.read',
  'GET /api/credentials': 'owned.read',
  'GET /api/credentials/export': 'owned.read',
  'GET /api/credentials/coverage': 'cluster.read',
  'GET /api/events/[clusterId]/[key]': 'owned.read',
  'GET /api/exceptions': 'cluster.read',
  'POST /api/exceptions': 'risk.approve',
  'POST /api/exceptions/[id]/revoke': 'risk.approve',
  'POST /api/exports': 'report.export',
  'GET /api/exports/[id]': 'report.export',
  'GET /api/findings': 'owned.read',
  'GET /api/findings/export': 'owned.read',
  'GET /api/findings/[id]': 'owned.read',
  'POST /api/findings/[id]/assign': 'owned.act',
  'POST /api/findings/[id]/mark-fixed': 'owned.act',
  'GET /api/findings/queue': 'owned.read',
  'GET /api/health': 'public',
  'GET /api/openapi.json': 'public',
  'GET /api/identities/export': 'owned.read',
  'GET /api/identities/[id]/activity': 'owned.read',
  'GET /api/identities/[id]/fix': 'owned.read',
  'GET /api/identities/[id]/permissions': 'owned.read',
  'GET /api/identities/[id]/paths': 'owned.read',
  'GET /api/identities/[id]/risk': 'owned.read',
  'GET /api/identities/[id]/what-if': 'owned.read',
  'POST /api/identities/[id]/what-if': 'owned.read',
  'POST /api/ingest/audit': 'ingest',
  'POST /api/ingest/falco': 'ingest',
  'GET /api/ingest/status': 'cluster.read',
  'POST /api/push/inventory': 'ingest',
  'GET /api/overview': 'owned.read',
  'GET /api/ownership/unowned': 'owned.read',
  'GET /api/risk': 'owned.read',
  'GET /api/risk/rollups': 'owned.read',
  'GET /api/teams': 'owned.read',
  'GET /api/tokens': 'cluster.read',
  'GET /api/trail': 'trail.read',
  'GET /api/trail/verify': 'trail.read',
  'GET /api/users': 'users.manage',
  'POST /api/users': 'users.manage',
  'POST /api/users/[id]/disable': 'users.manage',
  'GET /api/workloads': 'owned.read',
  'GET /api/workloads/[id]/activity': 'owned.read',
  'POST /api/workloads/[id]/class': 'owned.act',
  'GET /api/workloads/[id]/risk': 'owned.read',
  'GET /api/workloads/[id]/timeline': 'owned.read',
};

/** Route files under app/api, as `/api/...` patterns. */
function routePatterns(dir = path.resolve('app/api'), prefix = '/api'): { pattern: string; file: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? routePatterns(path.join(dir, e.name), `${prefix}/${e.name}`)
      : e.name === 'route.ts'
        ? [{ pattern: prefix, file: path.join(dir, e.name) }]
        : [],
  );
}

type Who = 'nobody' | Role | 'owner-other-team' | 'read-token';
const WHO: Who[] = ['nobody', 'admin', 'security_lead', 'auditor', 'service_owner', 'owner-other-team', 'read-token'];
type Handler = ((r: Request, c?: { params?: Promise<Record<string, string>> }) => Promise<Response>) & { access: Access };

let db: TestDatabase;
let prisma: PrismaClient;
const users: Partial<Record<Who, { id: string; email: string }>> = {};
let readToken = '';
/** The subjects team A owns (the service owner's) and the values of the routes' path parameters. */
const subject: Record<string, string> = {};
const BASE = 'http://localhost:3000';

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'authmatrix');
  process.env.DATABASE_URL = db.url;
  expect(await loadDemoData(db.url, () => {})).toBe(true);
  prisma = createPrisma(db.url);
  // Team A owns one ServiceAccount that has an anomaly, a finding and runtime events; team B another one.
  const [x] = await prisma.$queryRaw<
    { id: string; workloadId: string; anomalyId: string; findingId: string; clusterId: string; ns: string; name: string }[]
  >`
    SELECT i.id, wi."workloadId", a.id AS "anomalyId", f.id AS "findingId", i."clusterId", i.namespace AS ns, i.name
    FROM "Identity" i JOIN "Anomaly" a ON a."identityId" = i.id JOIN "Finding" f ON f."identityId" = i.id
    JOIN "WorkloadIdentity" wi ON wi."identityId" = i.id
    WHERE EXISTS (SELECT 1 FROM "RuntimeEvent" e WHERE e."clusterId" = i."clusterId" AND e."saNamespace" = i.namespace AND e."saName" = i.name)
    ORDER BY i.namespace, i.name LIMIT 1`;
  expect(x, 'the demo has an identity with an anomaly, a finding, a workload and events').toBeTruthy();
  const [y] = await prisma.$queryRaw<{ id: string }[]>`
    SELECT i.id FROM "Identity" i WHERE i.kind = 'ServiceAccount' AND i.namespace <> ${x!.ns}
      AND NOT EXISTS (SELECT 1 FROM "WorkloadIdentity" a JOIN "WorkloadIdentity" b ON a."workloadId" = b."workloadId"
                      WHERE a."identityId" = i.id AND b."identityId" = ${x!.id}::uuid)
    ORDER BY i.namespace, i.name LIMIT 1`;
  const [event] = await prisma.$queryRaw<{ key: string }[]>`
    SELECT key FROM "RuntimeEvent" WHERE "clusterId" = ${x!.clusterId}::uuid AND "saNamespace" = ${x!.ns} AND "saName" = ${x!.name} LIMIT 1`;
  Object.assign(subject, {
    identity: x!.id,
    workload: x!.workloadId,
    anomaly: x!.anomalyId,
    finding: x!.findingId,
    clusterId: x!.clusterId,
    key: event!.key,
  });
  for (const [team, identityId] of [
    ['matrix-a', x!.id],
    ['matrix-b', y!.id],
  ] as const) {
    const t = await prisma.team.create({ data: { name: team } });
    await prisma.ownership.create({ data: { teamId: t.id, identityId, origin: 'claimed' } });
  }
  const make = async (who: Who, role: Role, teams: string[] = []) => {
    const u = await addUser(prisma, { email: `${who}@matrix.test`, name: who, role, teams }, 'matrix');
    users[who] = { id: u.id, email: u.email };
  };
  await make('admin', 'admin');
  await make('security_lead', 'security_lead');
  await make('auditor', 'auditor');
  await make('service_owner', 'service_owner', ['matrix-a']);
  await make('owner-other-team', 'service_owner', ['matrix-b']);
  const victim = await addUser(prisma, { email: 'victim@matrix.test', name: 'victim', role: 'auditor' }, 'matrix');
  subject.user = victim.id;
  readToken = (await createApiToken(prisma, { user: 'security_lead@matrix.test', name: 'read', scope: 'read' }, 'matrix')).token;
  const victimToken = await createApiToken(prisma, { user: 'victim@matrix.test', name: 'v', scope: 'read' }, 'matrix');
  subject.apiToken = victimToken.row.id;
}, 600_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await db?.drop();
});

/** The path parameters of a route pattern: team A's subjects (the other team's owner must not reach them). */
function paramsOf(pattern: string): Record<string, string> {
  const p: Record<string, string> = {};
  if (pattern.includes('/identities/')) p.id = subject.identity!;
  else if (pattern.includes('/workloads/')) p.id = subject.workload!;
  else if (pattern.includes('/findings/')) p.id = subject.finding!;
  else if (pattern.startsWith('/api/anomalies/suppressions/')) p.id = '00000000-0000-4000-8000-000000000000';
  else if (pattern.includes('/anomalies/')) p.id = subject.anomaly!;
  else if (pattern.includes('/users/')) p.id = subject.user!;
  else if (pattern.includes('/api-tokens/')) p.id = subject.apiToken!;
  else if (pattern.includes('/exceptions/')) p.id = '00000000-0000-4000-8000-000000000000';
  else if (pattern.includes('/claims/')) p.id = '00000000-0000-4000-8000-000000000000';
  else if (pattern.includes('/exports/')) p.id = '1';
  if (pattern.includes('[clusterId]')) Object.assign(p, { clusterId: subject.clusterId!, key: subject.key! });
  return p;
}

/** Valid bodies where a route acts on a team-scoped subject (so that only the scope can refuse it). */
const BODIES: Record<string, unknown> = {
  'POST /api/anomalies/[id]/status': { status: 'acknowledged' },
  'POST /api/workloads/[id]/class': { class: 'auto' },
  'POST /api/findings/[id]/assign': { team: 'matrix-a' },
  // No team: a service owner's only team is taken (so neither owner is refused for naming another team's); leads get 400.
  get 'POST /api/claims'() {
    return { workloadId: subject.workload, note: 'matrix' };
  },
  'POST /api/claims/[id]/decide': { decision: 'reject', note: 'matrix' },
};

async function ask(who: Who, method: string, pattern: string, handler: Handler, csrf = true): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: BASE, 'user-agent': 'matrix' };
  if (who === 'read-token') headers.authorization = `Bearer ${readToken}`;
  else if (who !== 'nobody') {
    const { secret } = await createSession(prisma, users[who]!.id);
    headers.cookie = `nhi_session=${secret}`;
    if (csrf) headers['x-csrf-token'] = csrfTokenOf(secret);
  }
  const params = paramsOf(pattern);
  const url = BASE + pattern.replace(/\[(\w+)\]/g, (_, k: string) => encodeURIComponent(params[k]!));
  const body = method === 'GET' ? undefined : JSON.stringify(BODIES[`${method} ${pattern}`] ?? {});
  return handler(new Request(url, { method, headers, body }), { params: Promise.resolve(params) });
}

/** What `who` must get from a route with `access`: refused (401/403/404 for another team) or through. */
function expected(
  who: Who,
  access: Access,
  method: string,
  pattern: string,
): 'unauthenticated' | 'forbidden' | 'hidden' | 'through' {
  if (access === 'public') return 'through';
  if (access === 'ingest') return 'unauthenticated'; // a user's session or API token is never an ingest token
  if (who === 'nobody') return 'unauthenticated';
  const role: Role = who === 'owner-other-team' ? 'service_owner' : who === 'read-token' ? 'security_lead' : who;
  if (access !== 'signed-in' && !allows(role, access)) return 'forbidden';
  if (who === 'read-token' && method !== 'GET') return 'forbidden';
  if (who === 'owner-other-team' && access.startsWith('owned.') && pattern.includes('[')) return 'hidden';
  return 'through';
}

const routes = routePatterns();

describe('authorization matrix (every route × every principal)', () => {
  it('every route file has its methods in the matrix, with the access it declares', async () => {
    const seen: string[] = [];
    for (const { pattern, file } of routes) {
      const mod = (await import(file)) as Record<string, Handler>;
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        if (!mod[method]) continue;
        const key = `${method} ${pattern}`;
        seen.push(key);
        expect(EXPECTED[key], `${key} has no rule in the matrix: add one to EXPECTED`).toBeDefined();
        expect(mod[method].access, `${key} declares its access through route()`).toBe(EXPECTED[key]);
      }
    }
    expect(seen.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const { pattern, file } of routes)
    for (const method of ['GET', 'POST'] as const) {
      const key = `${method} ${pattern}`;
      if (!EXPECTED[key]) continue;
      it(`${key} (${EXPECTED[key]})`, async () => {
        const handler = ((await import(file)) as Record<string, Handler>)[method]!;
        for (const who of WHO) {
          const res = await ask(who, method, pattern, handler);
          const want = expected(who, EXPECTED[key]!, method, pattern);
          const text = await res.text();
          const what = `${key} as ${who}: ${res.status} ${text.slice(0, 200)}`;
          if (want === 'unauthenticated') expect(res.status, what).toBe(401);
          else if (want === 'forbidden') expect(res.status, what).toBe(403);
          else if (want === 'hidden') expect(res.status, what).toBe(404);
          else expect([401, 403], what).not.toContain(res.status);
          if (want !== 'through') expect(text, `${what}: no data in a refusal`).not.toContain(subject.identity);
          // Another team's owner gets no trace of team A's subjects from a list either.
          if (who === 'owner-other-team' && want === 'through' && method === 'GET')
            for (const id of [subject.identity, subject.workload, subject.finding, subject.anomaly])
              expect(text, `${what}: lists nothing of another team`).not.toContain(id);
          // The team's own owner reaches its subjects.
          if (who === 'service_owner' && want === 'through' && pattern.includes('[') && EXPECTED[key]!.startsWith('owned.'))
            expect([200, 400, 409], what).toContain(res.status);
        }
      });
    }

  it('a state-changing request with a session but without its CSRF token is refused, and logged on the trail', async () => {
    const { POST } = (await import('@/app/api/workloads/[id]/class/route')) as unknown as Record<string, Handler>;
    const res = await ask('security_lead', 'POST', '/api/workloads/[id]/class', POST!, false);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('CSRF');
    const denied = await prisma.activityLog.findMany({ where: { action: 'access.denied', actor: 'security_lead@matrix.test' } });
    expect(denied.some((d) => d.target === 'POST /api/workloads/' + subject.workload + '/class')).toBe(true);
  });

  it('a cross-site POST is refused even with the CSRF token', async () => {
    const { POST } = (await import('@/app/api/workloads/[id]/class/route')) as unknown as Record<string, Handler>;
    const { secret } = await createSession(prisma, users.security_lead!.id);
    const res = await POST!(
      new Request(`${BASE}/api/workloads/${subject.workload}/class`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: `nhi_session=${secret}`,
          'x-csrf-token': csrfTokenOf(secret),
          origin: 'https://evil.example',
        },
        body: JSON.stringify({ class: 'auto' }),
      }),
      { params: Promise.resolve({ id: subject.workload! }) },
    );
    expect(res.status).toBe(403);
  });
});
