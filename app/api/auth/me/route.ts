import { csrfTokenOf } from '@/lib/auth/secret-token';
import { route } from '@/lib/http/route';

export const dynamic = 'force-dynamic';

/**
 * Who the request is signed in as: e-mail, name, role, teams, how (session or API token), the token's scope, and
 * for a browser session its CSRF token (readable only by the app's own pages: the answer is same-origin JSON).
 */
export const GET = route({ access: 'signed-in' }, async ({ viewer }) => ({
  email: viewer.email,
  name: viewer.name,
  role: viewer.role,
  teams: viewer.teams.map((t) => t.name),
  via: viewer.via,
  scope: viewer.scope,
  demo: viewer.demo,
  csrf: viewer.sessionSecret ? csrfTokenOf(viewer.sessionSecret) : null,
}));
