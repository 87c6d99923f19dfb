/**
 * The authorization matrix of the pages: every page of the app (found by walking app/ for page.tsx files, so
 * a new page is in the matrix the moment it exists) opened as nobody, as each role, and as the service owner
 * of another team, in the production build. A page missing from PAGES fails the first test. Routes have the
 * same matrix in lib/auth/matrix.int.test.ts. Runs after overview.spec.ts has loaded the demo data.
 */
import { request as playwrightRequest, type APIRequestContext } from '@playwright/test';
import pg from 'pg';
import { csrfHeaders, expect, test } from './fixtures';
import { demoIds, pagePatterns, urlOf, type DemoIds } from './page-urls';

type Access = 'public' | 'signed-in' | 'owned.read' | 'cluster.read' | 'report.export' | 'trail.read' | 'users.manage';
/** Every page and who may open it: written here by hand, independently of lib/auth/page.ts. */
const PAGES: Record<string, Access> = {
  '/': 'owned.read',
  '/account': 'signed-in',
  '/admission': 'cluster.read',
  '/anomalies': 'owned.read',
  '/anomalies/[id]': 'owned.read',
  '/check': 'owned.read',
  '/credentials': 'owned.read',
  '/events/[clusterId]/[key]': 'owned.read',
  '/exceptions': 'cluster.read',
  '/findings': 'owned.read',
  '/findings/[id]': 'owned.read',
  '/queue': 'owned.read',
  '/identities': 'owned.read',
  '/identities/[id]': 'owned.read',
  '/identities/[id]/what-if': 'owned.read',
  '/ownership': 'owned.read',
  '/reports': 'report.export',
  '/risk': 'owned.read',
  '/sign-in': 'public',
  '/teams': 'owned.read',
  '/trail': 'trail.read',
  '/users': 'users.manage',
  '/workloads': 'owned.read',
  '/workloads/[id]': 'owned.read',
};
const ALLOWED: Record<Exclude<Access, 'public' | 'signed-in'>, string[]> = {
  'owned.read': ['admin', 'security_lead', 'service_owner', 'auditor'],
  'cluster.read': ['admin', 'security_lead', 'auditor'],
  'report.export': ['admin', 'security_lead', 'auditor'],
  'trail.read': ['admin', 'security_lead', 'auditor'],
  'users.manage': ['admin'],
};

type Who = 'nobody' | 'admin' | 'security_lead' | 'auditor' | 'service_owner' | 'owner-other-team';
const PASSWORD = 'a page matrix password';
let ids: DemoIds & { otherTeam?: string };
const contexts: Partial<Record<Who, APIRequestContext>> = {};

test.describe('pages: who may open what', () => {
  test.beforeAll(async ({ request, baseURL }) => {
    // Team A: the team that owns (by the demo's labels) an identity with an anomaly, a finding and events.
    ids = await demoIds();
    const db = new pg.Client({ connectionString: process.env.NHI_E2E_DATABASE_URL });
    await db.connect();
    try {
      // Team B: another team, none of whose identities or workloads touch team A's identity.
      const other = await db.query<{ name: string }>(
        `SELECT t.name FROM "Team" t WHERE t.name <> $1 AND EXISTS (SELECT 1 FROM "Ownership" o WHERE o."teamId" = t.id)
           AND NOT EXISTS (SELECT 1 FROM "Ownership" o JOIN "WorkloadIdentity" wi ON wi."workloadId" = o."workloadId" OR wi."identityId" = o."identityId"
                           WHERE o."teamId" = t.id AND (wi."identityId" = $2 OR wi."workloadId" = $3))
         ORDER BY 1 LIMIT 1`,
        [ids.team, ids.identity, ids.workload],
      );
      ids.otherTeam = other.rows[0]!.name;
    } finally {
      await db.end();
    }
    const headers = await csrfHeaders(request);
    const make = async (who: Who, role: string, teams: string[] = []) => {
      const res = await request.post('/api/users', {
        headers,
        data: { email: `${who}@pages.test`, name: who, role, teams, password: PASSWORD },
      });
      // 409: made by an earlier run of this hook (a retry after a failure restarts the worker).
      expect([200, 409], await res.text()).toContain(res.status());
      // A context of its own, without the admin's cookie (a sign-in ends the session a browser came with).
      const ctx = await playwrightRequest.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
      const signIn = await ctx.post('/api/auth/sign-in', { data: { email: `${who}@pages.test`, password: PASSWORD } });
      expect(signIn.status()).toBe(200);
      contexts[who] = ctx;
    };
    await make('admin', 'admin');
    await make('security_lead', 'security_lead');
    await make('auditor', 'auditor');
    await make('service_owner', 'service_owner', [ids.team!]);
    await make('owner-other-team', 'service_owner', [ids.otherTeam!]);
    contexts.nobody = await playwrightRequest.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  });

  test.afterAll(async () => {
    for (const c of Object.values(contexts)) await c.dispose();
  });

  test('every page file is in the matrix', () => {
    expect(pagePatterns().sort()).toEqual(Object.keys(PAGES).sort());
  });

  const url = (pattern: string) => urlOf(pattern, ids);

  for (const [pattern, access] of Object.entries(PAGES))
    test(`${pattern} (${access})`, async () => {
      for (const who of ['nobody', 'admin', 'security_lead', 'auditor', 'service_owner', 'owner-other-team'] as Who[]) {
        const res = await contexts[who]!.get(url(pattern), { maxRedirects: 0 });
        const body = await res.text();
        const what = `${pattern} as ${who}: ${res.status()}`;
        const role = who === 'owner-other-team' ? 'service_owner' : who;
        if (access === 'public') {
          // The sign-in page: nobody sees the form; a signed-in browser is sent on.
          expect(res.status(), what).toBe(who === 'nobody' ? 200 : 307);
        } else if (who === 'nobody') {
          expect(res.status(), what).toBe(307);
          expect(res.headers().location, what).toMatch(/^\/sign-in\?next=/);
        } else if (access !== 'signed-in' && !ALLOWED[access].includes(role)) {
          expect(res.status(), what).toBe(403);
          expect(body, what).toContain('Not for your role');
        } else if (who === 'owner-other-team' && pattern.includes('[')) {
          expect(res.status(), what).toBe(404);
        } else {
          expect(res.status(), what).toBe(200);
        }
        // Nobody and another team's owner get nothing of team A's but what they asked for by its id.
        if (who === 'owner-other-team' || who === 'nobody')
          for (const id of [ids.identity, ids.workload, ids.finding, ids.anomaly])
            if (!url(pattern).includes(id!)) expect(body, `${what}: nothing of team A`).not.toContain(id);
      }
    });
});
