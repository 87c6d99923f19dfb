/**
 * Optional single sign-on with OpenID Connect (authorization code flow with PKCE, through `openid-client`, the
 * certified relying-party library), configured by the environment:
 *
 *   NHI_OIDC_ISSUER          the issuer URL (its /.well-known/openid-configuration is read)
 *   NHI_OIDC_CLIENT_ID       the client registered for the dashboard
 *   NHI_OIDC_CLIENT_SECRET   its secret (confidential client)
 *   NHI_OIDC_REDIRECT_URL    https://<dashboard>/api/auth/oidc/callback, as registered
 *   NHI_OIDC_ROLES           which group gives which role, e.g.
 *                            `admin=nhi-admins,security_lead=nhi-leads,auditor=nhi-auditors,service_owner=nhi-owners`
 *   NHI_OIDC_GROUPS_CLAIM    the claim listing the groups (default `groups`)
 *   NHI_OIDC_TEAM_PREFIX     groups naming a team, e.g. `team:` (`team:payments` → team payments; default `team:`)
 *
 * The identity provider decides: the first sign-in makes the account (source `oidc`, keyed by issuer and
 * subject), every sign-in refreshes its role (the strongest the groups give) and teams; a person whose groups
 * give no role is refused. An existing local account is taken over only when the provider says the e-mail
 * address is verified. HTTP issuers are refused unless NHI_OIDC_ALLOW_HTTP=1 (tests, a lab).
 */
import * as client from 'openid-client';
import { z } from 'zod';
import type { PrismaClient } from '@/lib/db/client';
import { forbidden, invalidInput, unauthenticated } from '@/lib/errors';
import { appendTrail, prismaExecutor } from '@/lib/trail/write';
import { ROLES, type Role } from './roles';

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  roles: { role: Role; group: string }[];
  groupsClaim: string;
  teamPrefix: string;
  allowHttp: boolean;
}

/** The settings from the environment, or null when single sign-on is not configured. */
export function oidcSettings(env: Record<string, string | undefined> = process.env): OidcSettings | null {
  if (!env.NHI_OIDC_ISSUER) return null;
  const missing = ['NHI_OIDC_CLIENT_ID', 'NHI_OIDC_CLIENT_SECRET', 'NHI_OIDC_REDIRECT_URL', 'NHI_OIDC_ROLES'].filter(
    (k) => !env[k],
  );
  if (missing.length) throw invalidInput(`single sign-on: NHI_OIDC_ISSUER is set but not ${missing.join(', ')}`);
  const roles = env.NHI_OIDC_ROLES!.split(',').map((pair) => {
    const [role, group] = pair.split('=').map((s) => s.trim());
    if (!role || !group || !(ROLES as readonly string[]).includes(role))
      throw invalidInput(`NHI_OIDC_ROLES: "${pair}" is not role=group (roles: ${ROLES.join(', ')})`);
    return { role: role as Role, group };
  });
  return {
    issuer: new URL(env.NHI_OIDC_ISSUER),
    clientId: env.NHI_OIDC_CLIENT_ID!,
    clientSecret: env.NHI_OIDC_CLIENT_SECRET!,
    redirectUrl: env.NHI_OIDC_REDIRECT_URL!,
    roles,
    groupsClaim: env.NHI_OIDC_GROUPS_CLAIM || 'groups',
    teamPrefix: env.NHI_OIDC_TEAM_PREFIX ?? 'team:',
    allowHttp: env.NHI_OIDC_ALLOW_HTTP === '1',
  };
}

const configs = new Map<string, Promise<client.Configuration>>();

function configuration(s: OidcSettings): Promise<client.Configuration> {
  const key = `${s.issuer.href}|${s.clientId}`;
  let c = configs.get(key);
  if (!c) {
    c = client.discovery(
      s.issuer,
      s.clientId,
      s.clientSecret,
      undefined,
      s.allowHttp ? { execute: [client.allowInsecureRequests] } : undefined,
    );
    c.catch(() => configs.delete(key));
    configs.set(key, c);
  }
  return c;
}

/** What the browser keeps between the redirect to the provider and the way back (an HttpOnly cookie). */
export const pendingSchema = z.object({
  state: z.string().min(20).max(200),
  nonce: z.string().min(20).max(200),
  verifier: z.string().min(43).max(200),
  next: z.string().max(2000),
});
export type PendingSignIn = z.infer<typeof pendingSchema>;

export async function startOidc(s: OidcSettings, next: string): Promise<{ url: URL; pending: PendingSignIn }> {
  const config = await configuration(s);
  const pending = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), next };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: s.redirectUrl,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url, pending };
}

/** The role the groups give (the strongest of them), and the teams they name. */
export function roleAndTeams(
  s: Pick<OidcSettings, 'roles' | 'teamPrefix'>,
  groups: readonly string[],
): { role: Role | null; teams: string[] } {
  const rank = (r: Role) => ['admin', 'security_lead', 'auditor', 'service_owner'].indexOf(r);
  const given = s.roles
    .filter((r) => groups.includes(r.group))
    .map((r) => r.role)
    .sort((a, b) => rank(a) - rank(b));
  const teams = s.teamPrefix
    ? [
        ...new Set(
          groups
            .filter((g) => g.startsWith(s.teamPrefix) && g.length > s.teamPrefix.length)
            .map((g) => g.slice(s.teamPrefix.length)),
        ),
      ].sort()
    : [];
  return { role: given[0] ?? null, teams };
}

/**
 * Completes the sign-in: the code exchanged (state, nonce and PKCE checked by openid-client), the ID token's
 * claims mapped to an account, made or refreshed. Returns the user to start a session for.
 */
export async function finishOidc(
  db: PrismaClient,
  s: OidcSettings,
  callbackUrl: URL,
  pending: PendingSignIn,
): Promise<{ id: string; email: string }> {
  const config = await configuration(s);
  let claims: client.IDToken | undefined;
  try {
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
    });
    claims = tokens.claims();
  } catch (e) {
    throw unauthenticated("single sign-on failed: the provider's answer did not check out", { cause: e, code: 'OIDC_FAILED' });
  }
  if (!claims) throw unauthenticated('single sign-on failed: no ID token', { code: 'OIDC_FAILED' });
  const email = z.email().safeParse(String(claims.email ?? '').toLowerCase());
  if (!email.success) throw forbidden('single sign-on: the provider gave no e-mail address', { code: 'OIDC_NO_EMAIL' });
  const raw = claims[s.groupsClaim];
  const groups = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : [];
  const { role, teams } = roleAndTeams(s, groups);
  const subject = `${claims.iss}#${claims.sub}`;
  const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : email.data;
  return db.$transaction(async (tx) => {
    const bySubject = await tx.user.findUnique({ where: { oidcSubject: subject } });
    const byEmail = bySubject ? null : await tx.user.findUnique({ where: { email: email.data } });
    if (byEmail && claims.email_verified !== true)
      throw forbidden(
        'single sign-on: an account with this e-mail address exists and the provider has not verified the address',
        {
          code: 'OIDC_UNVERIFIED_EMAIL',
        },
      );
    const existing = bySubject ?? byEmail;
    if (existing?.disabledAt) throw forbidden('this account is disabled', { code: 'ACCOUNT_DISABLED' });
    if (!role) throw forbidden('single sign-on: your groups give you no role in the dashboard', { code: 'OIDC_NO_ROLE' });
    const teamIds: string[] = [];
    for (const t of teams)
      teamIds.push((await tx.team.upsert({ where: { name: t }, create: { name: t }, update: {}, select: { id: true } })).id);
    const user = existing
      ? await tx.user.update({ where: { id: existing.id }, data: { role, name, oidcSubject: subject, email: email.data } })
      : await tx.user.create({ data: { email: email.data, name, role, source: 'oidc', oidcSubject: subject } });
    const before = existing ? { role: existing.role } : null;
    await tx.teamMember.deleteMany({ where: { userId: user.id, teamId: { notIn: teamIds } } });
    for (const teamId of teamIds)
      await tx.teamMember.upsert({
        where: { userId_teamId: { userId: user.id, teamId } },
        create: { userId: user.id, teamId },
        update: {},
      });
    if (!existing || existing.role !== role)
      await appendTrail(prismaExecutor(tx), {
        actor: 'system',
        action: existing ? 'user.update' : 'user.create',
        target: `user:${user.email}`,
        before,
        after: { email: user.email, role, teams, source: 'oidc' },
      });
    return { id: user.id, email: user.email };
  });
}

const PENDING_COOKIE = (secure: boolean) => (secure ? '__Host-nhi_oidc' : 'nhi_oidc');

/** The cookie that carries the pending sign-in to the callback (10 minutes, HttpOnly). */
export function pendingCookie(p: PendingSignIn | null, secure: boolean): string {
  const value = p ? Buffer.from(JSON.stringify(p)).toString('base64url') : '';
  return [
    `${PENDING_COOKIE(secure)}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${p ? 600 : 0}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function pendingOf(cookieHeader: string | null, secure: boolean): PendingSignIn | null {
  const name = PENDING_COOKIE(secure);
  const raw = cookieHeader
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  if (!raw || raw.length > 4000) return null;
  try {
    const parsed = pendingSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
