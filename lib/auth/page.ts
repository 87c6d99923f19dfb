/**
 * The page guard: every page (app/**\/page.tsx) starts with `const viewer = await pageViewer('/pattern', here)`.
 * It resolves the browser's session and checks the page's access in PAGE_ACCESS (the one list of pages, which
 * the authorization matrix test walks): nobody is sent to the sign-in page (under `nhi demo`, to the demo's
 * automatic sign-in instead), a role without the page's permission gets the 403 page (app/forbidden.tsx), and
 * the denial is logged as for routes. Detail pages of team-scoped subjects then call `inScopeOr404`.
 */
import { cookies, headers } from 'next/headers';
import { forbidden, notFound, redirect } from 'next/navigation';
import { prisma } from '@/lib/db/client';
import { isAppError } from '@/lib/errors';
import { recordDenial, refusal } from './authorize';
import { authenticate, teamScope, type Principal } from './principal';
import type { Access, TeamScope } from './roles';
import { csrfTokenOf } from './secret-token';
import { demoMode } from './web';

/** Every page of the app and who may open it. A page missing here fails to compile (PagePattern) and the matrix test. */
export const PAGE_ACCESS = {
  '/': 'owned.read',
  '/identities': 'owned.read',
  '/identities/[id]': 'owned.read',
  '/identities/[id]/what-if': 'owned.read',
  '/workloads': 'owned.read',
  '/workloads/[id]': 'owned.read',
  '/credentials': 'owned.read',
  '/risk': 'owned.read',
  '/findings': 'owned.read',
  '/findings/[id]': 'owned.read',
  '/queue': 'owned.read',
  '/anomalies': 'owned.read',
  '/anomalies/[id]': 'owned.read',
  '/events/[clusterId]/[key]': 'owned.read',
  '/check': 'owned.read',
  '/teams': 'owned.read',
  '/ownership': 'owned.read',
  '/admission': 'cluster.read',
  '/exceptions': 'cluster.read',
  '/reports': 'report.export',
  '/trail': 'trail.read',
  '/account': 'signed-in',
  '/users': 'users.manage',
  '/sign-in': 'public',
} as const satisfies Record<string, Access>;
export type PagePattern = keyof typeof PAGE_ACCESS;

/** The principal of the browser asking for a page (null only on public pages), or a redirect / 403. */
export async function pageViewer(page: Exclude<PagePattern, '/sign-in'>, here: string): Promise<Principal> {
  const h = await headers();
  const db = prisma();
  const who = await optionalViewer();
  const access = PAGE_ACCESS[page];
  const error = refusal(who, access);
  if (!who)
    redirect(demoMode() ? `/api/auth/demo?next=${encodeURIComponent(here)}` : `/sign-in?next=${encodeURIComponent(here)}`);
  if (error) {
    const url = `http://${h.get('host') ?? 'localhost'}${here}`;
    await recordDenial(db, who, { method: 'GET', url, headers: h }, error);
    forbidden();
  }
  return who;
}

/** The CSRF token for the signed-in browser's state-changing requests (rendered into the page for postJson). */
export const csrfOf = (viewer: Principal | null) => (viewer?.sessionSecret ? csrfTokenOf(viewer.sessionSecret) : '');

/** Runs a team-scope check (lib/auth/scope.ts) and shows the 404 page when the subject is not the viewer's. */
export async function inScopeOr404(check: (scope: TeamScope) => Promise<void>, viewer: Principal): Promise<void> {
  try {
    await check(teamScope(viewer));
  } catch (e) {
    if (isAppError(e) && e.kind === 'not_found') notFound();
    throw e;
  }
}

/** The signed-in principal of the browser, if any, without redirecting (the layout's user menu). */
export async function optionalViewer(): Promise<Principal | null> {
  const [h, c] = await Promise.all([headers(), cookies()]);
  const secure = h.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
  return authenticate(prisma(), { cookie: c.toString() || null, authorization: null, secure });
}
