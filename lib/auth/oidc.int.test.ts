/**
 * Single sign-on against a small OpenID provider run by the test (discovery, JWKS, a token endpoint that checks
 * the PKCE verifier and signs ID tokens with RS256 through `jose`): the dashboard's start and callback routes,
 * the account made from the claims with the role and teams its groups give, refusals (no role, forged state,
 * an unverified address over a local account), and the role refreshed at the next sign-in.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { roleAndTeams } from './oidc';
import { addUser } from './users';

type Handler = (r: Request) => Promise<Response>;
let db: TestDatabase;
let prisma: PrismaClient;
let idp: http.Server;
let issuer = '';
let start: Handler;
let callback: Handler;
const BASE = 'http://localhost:3000';
/** What the provider will put in the next ID token (the person "signing in" at the provider). */
let person: Record<string, unknown> = {};
const codes = new Map<string, { nonce: string; challenge: string; claims: Record<string, unknown> }>();

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  idp = http.createServer((req, res) => {
    const url = new URL(req.url!, issuer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration')
      return send(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    if (url.pathname === '/jwks') return send(200, { keys: [jwk] });
    if (url.pathname === '/token') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        // The client authenticates with HTTP Basic or in the form (client_secret_basic / client_secret_post).
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        const auth = basic || `${form.get('client_id')}:${form.get('client_secret')}`;
        const grant = codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (auth !== 'dashboard:s3cret' || !grant) return send(400, { error: 'invalid_grant' });
        if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
          return send(400, { error: 'invalid_grant' });
        codes.delete(form.get('code')!);
        void new SignJWT({ ...grant.claims, nonce: grant.nonce })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(issuer)
          .setAudience('dashboard')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
          .then((idToken) => send(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken }));
      });
      return;
    }
    send(404, {});
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    NHI_OIDC_ISSUER: issuer,
    NHI_OIDC_CLIENT_ID: 'dashboard',
    NHI_OIDC_CLIENT_SECRET: 's3cret',
    NHI_OIDC_REDIRECT_URL: `${BASE}/api/auth/oidc/callback`,
    NHI_OIDC_ROLES: 'admin=nhi-admins,security_lead=nhi-leads,auditor=nhi-auditors,service_owner=nhi-owners',
    NHI_OIDC_ALLOW_HTTP: '1',
  });
  db = await createTestDatabase(inject('serverUrl'), 'oidc');
  process.env.DATABASE_URL = db.url;
  prisma = createPrisma(db.url);
  ({ GET: start } = (await import('@/app/api/auth/oidc/start/route')) as unknown as { GET: Handler });
  ({ GET: callback } = (await import('@/app/api/auth/oidc/callback/route')) as unknown as { GET: Handler });
});

afterAll(async () => {
  for (const k of [
    'NHI_OIDC_ISSUER',
    'NHI_OIDC_CLIENT_ID',
    'NHI_OIDC_CLIENT_SECRET',
    'NHI_OIDC_REDIRECT_URL',
    'NHI_OIDC_ROLES',
    'NHI_OIDC_ALLOW_HTTP',
  ])
    delete process.env[k];
  idp?.close();
  await prisma?.$disconnect();
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await db?.drop();
});

/** The whole round trip: start, "sign in at the provider" as `person`, come back; the callback's response. */
async function signInAs(claims: Record<string, unknown>, tamper?: (u: URL) => void): Promise<Response> {
  person = claims;
  const started = await start(new Request(`${BASE}/api/auth/oidc/start?next=%2Frisk`));
  expect(started.status).toBe(303);
  const to = new URL(started.headers.get('location')!);
  expect(to.origin + to.pathname).toBe(`${issuer}/authorize`);
  expect(to.searchParams.get('code_challenge_method')).toBe('S256');
  const cookie = started.headers.get('set-cookie')!.split(';')[0]!;
  expect(started.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax; Max-Age=600/);
  const code = randomUUID();
  codes.set(code, { nonce: to.searchParams.get('nonce')!, challenge: to.searchParams.get('code_challenge')!, claims: person });
  const back = new URL(`${BASE}/api/auth/oidc/callback`);
  back.searchParams.set('code', code);
  back.searchParams.set('state', to.searchParams.get('state')!);
  tamper?.(back);
  return callback(new Request(back, { headers: { cookie } }));
}

describe('single sign-on (OIDC)', () => {
  it('maps groups to the strongest role and to teams', () => {
    const s = {
      roles: [
        { role: 'auditor' as const, group: 'a' },
        { role: 'security_lead' as const, group: 'l' },
      ],
      teamPrefix: 'team:',
    };
    expect(roleAndTeams(s, ['a', 'l', 'team:payments', 'team:', 'x'])).toEqual({ role: 'security_lead', teams: ['payments'] });
    expect(roleAndTeams(s, ['x'])).toEqual({ role: null, teams: [] });
  });

  it('makes the account from the ID token, with its role and teams, and starts a session', async () => {
    const res = await signInAs({
      sub: 'u-1',
      email: 'Olga@Example.com',
      email_verified: true,
      name: 'Olga',
      groups: ['nhi-owners', 'team:payments'],
    });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/risk');
    expect(res.headers.getSetCookie().join('\n')).toMatch(/nhi_session=nhi_s_/);
    const user = await prisma.user.findUniqueOrThrow({
      where: { email: 'olga@example.com' },
      include: { teams: { include: { team: true } } },
    });
    expect(user).toMatchObject({ role: 'service_owner', source: 'oidc', oidcSubject: `${issuer}#u-1`, passwordHash: null });
    expect(user.teams.map((t) => t.team.name)).toEqual(['payments']);
  });

  it('refreshes the role and teams from the provider at the next sign-in, on the trail', async () => {
    const res = await signInAs({ sub: 'u-1', email: 'olga@example.com', email_verified: true, groups: ['nhi-leads'] });
    expect(res.status).toBe(303);
    const user = await prisma.user.findUniqueOrThrow({ where: { email: 'olga@example.com' }, include: { teams: true } });
    expect(user.role).toBe('security_lead');
    expect(user.teams).toEqual([]);
    const change = await prisma.activityLog.findFirst({ where: { action: 'user.update', target: 'user:olga@example.com' } });
    expect(change?.after).toMatchObject({ role: 'security_lead' });
  });

  it('refuses a person whose groups give no role, a forged state, and an unverified address over a local account', async () => {
    expect((await signInAs({ sub: 'u-2', email: 'x@example.com', email_verified: true, groups: ['staff'] })).status).toBe(403);
    expect(await prisma.user.findUnique({ where: { email: 'x@example.com' } })).toBeNull();
    const forged = await signInAs({ sub: 'u-3', email: 'y@example.com', email_verified: true, groups: ['nhi-admins'] }, (u) =>
      u.searchParams.set('state', 'forged-state-forged-state-forged'),
    );
    expect(forged.status).toBe(401);
    await addUser(prisma, { email: 'local@example.com', name: 'L', role: 'admin', password: 'a local password here' }, 'test');
    const takeover = await signInAs({ sub: 'u-4', email: 'local@example.com', email_verified: false, groups: ['nhi-auditors'] });
    expect(takeover.status).toBe(403);
    expect((await prisma.user.findUniqueOrThrow({ where: { email: 'local@example.com' } })).oidcSubject).toBeNull();
    const failures = await prisma.activityLog.findMany({ where: { action: 'auth.sign_in_failed', actor: 'oidc' } });
    expect(failures.map((f) => (f.after as { reason: string }).reason).sort()).toEqual([
      'OIDC_FAILED',
      'OIDC_NO_ROLE',
      'OIDC_UNVERIFIED_EMAIL',
    ]);
  });
});
