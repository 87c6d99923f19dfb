/**
 * Who is asking: a signed-in person (session cookie) or a script (API token, `Authorization: Bearer nhi_pat_…`).
 * Both resolve to the same Principal — the user's role and teams, with the token's scope as a further limit —
 * which route() (lib/http/route.ts) and the page guard (lib/auth/page.ts) check against the permissions of
 * lib/auth/roles.ts.
 */
import type { PrismaClient } from '@/lib/db/client';
import { forbidden, notFound } from '@/lib/errors';
import { isScoped, type Role, type TeamScope } from './roles';
import { API_TOKEN_PREFIX, secretHash } from './secret-token';
import { isTls, liveSession, sessionConfig, sessionSecretOf, type SessionConfig } from './session';

export interface Principal {
  /** session: a browser; token: an API token; cli: the user an operator names in a CLI command (`--by EMAIL`). */
  via: 'session' | 'token' | 'cli';
  userId: string;
  email: string;
  name: string;
  role: Role;
  teams: { id: string; name: string }[];
  /** What the credential itself allows: a session may write; an API token only if made with scope write. */
  scope: 'read' | 'write';
  /** A demo account (signed in automatically by `nhi demo`): shown as such on every page. */
  demo: boolean;
  /** The session's secret, to check the CSRF token of a state-changing request (sessions only). */
  sessionSecret?: string;
}

/** The parts of a request that say who sent it. */
export interface Credentials {
  cookie: string | null;
  authorization: string | null;
  secure: boolean;
}

export const credentialsOf = (request: Pick<Request, 'url' | 'headers'>): Credentials => ({
  cookie: request.headers.get('cookie'),
  authorization: request.headers.get('authorization'),
  secure: isTls(request),
});

type UserWithTeams = {
  id: string;
  email: string;
  name: string;
  role: Role;
  source: string;
  teams: { team: { id: string; name: string } }[];
};

const principalOf = (u: UserWithTeams, via: Principal['via'], scope: Principal['scope']): Principal => ({
  via,
  userId: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  teams: u.teams.map((t) => t.team).sort((a, b) => a.name.localeCompare(b.name)),
  scope,
  demo: u.source === 'demo',
});

async function tokenPrincipal(db: PrismaClient, token: string, now: Date): Promise<Principal | null> {
  const row = await db.apiToken.findUnique({
    where: { tokenHash: secretHash(token) },
    include: { user: { include: { teams: { include: { team: { select: { id: true, name: true } } } } } } },
  });
  if (!row || row.revokedAt || row.user.disabledAt || (row.expiresAt && row.expiresAt <= now)) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= 60_000)
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  return principalOf(row.user, 'token', row.scope === 'write' ? 'write' : 'read');
}

/**
 * The principal of a request, or null (nobody: no credential, or one that is unknown, expired, revoked or of
 * a disabled user). An Authorization header that is not an API token is not looked at here (ingestion routes
 * read their cluster tokens themselves).
 */
export async function authenticate(
  db: PrismaClient,
  creds: Credentials,
  now = new Date(),
  config: SessionConfig = sessionConfig(),
): Promise<Principal | null> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(creds.authorization ?? '')?.[1];
  if (bearer?.startsWith(API_TOKEN_PREFIX)) return bearer.length < 200 ? tokenPrincipal(db, bearer, now) : null;
  const secret = sessionSecretOf(creds.cookie, creds.secure);
  if (!secret) return null;
  const session = await liveSession(db, secret, now, config);
  return session ? { ...principalOf(session.user, 'session', 'write'), sessionSecret: secret } : null;
}

/**
 * The principal of the user an operator names in a CLI command (`--by EMAIL`): an enabled user, acting with
 * their role and teams (write scope: the operator runs the command on the database itself). Throws 404 for no
 * such user, 403 for a disabled one.
 */
export async function principalByEmail(db: PrismaClient, email: string): Promise<Principal> {
  const u = await db.user.findUnique({
    where: { email: email.trim().toLowerCase() },
    include: { teams: { include: { team: { select: { id: true, name: true } } } } },
  });
  if (!u) throw notFound(`no user ${email}: see nhi users list`);
  if (u.disabledAt) throw forbidden(`the user ${u.email} is disabled`);
  return principalOf(u, 'cli', 'write');
}

/** The team ids a principal's reads and actions are limited to (null: all). */
export const teamScope = (p: Pick<Principal, 'role' | 'teams'>): TeamScope =>
  isScoped(p.role) ? p.teams.map((t) => t.id) : null;

/** How the trail names a principal. */
export const actorOf = (p: Pick<Principal, 'email'>) => p.email;
