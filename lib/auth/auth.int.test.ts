/**
 * Sign-in against a real database: the session cookie's attributes, fixation (a new secret at every sign-in,
 * the old one dead), idle and absolute expiry, sign-out and revocation, throttling (per account and per
 * address, with Retry-After), failed sign-ins on the trail, API tokens (scope, expiry, revocation), the first
 * admin. Through the real route handlers where a browser would use them.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/e2e/setup/test-database';
import { createPrisma, type PrismaClient } from '@/lib/db/client';
import { verifyTrail } from '@/lib/trail/read';
import { createApiToken, revokeApiToken } from './api-tokens';
import { authenticate } from './principal';
import { csrfTokenOf } from './secret-token';
import { createSession, sessionConfig } from './session';
import { THROTTLE } from './sign-in';
import { addUser, disableUser, ensureFirstAdmin } from './users';

type Handler = (r: Request, c?: { params?: Promise<Record<string, string>> }) => Promise<Response>;
let db: TestDatabase;
let prisma: PrismaClient;
let signInRoute: Handler;
let signOutRoute: Handler;
let meRoute: Handler;
const PASSWORD = 'correct horse battery staple';
const BASE = 'http://localhost:3000';

const signIn = (email: string, password: string, extra: Record<string, string> = {}, base = BASE) =>
  signInRoute(
    new Request(`${base}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, 'x-forwarded-for': '203.0.113.7', ...extra },
      body: JSON.stringify({ email, password, next: '/findings' }),
    }),
  );
const cookieOf = (res: Response) => res.headers.get('set-cookie') ?? '';
const secretOf = (res: Response) => /nhi_session=([^;]+)/.exec(cookieOf(res))?.[1] ?? '';
const me = (secret: string) => meRoute(new Request(`${BASE}/api/auth/me`, { headers: { cookie: `nhi_session=${secret}` } }));
const creds = (secret: string) => ({ cookie: `nhi_session=${secret}`, authorization: null, secure: false });

beforeAll(async () => {
  db = await createTestDatabase(inject('serverUrl'), 'auth');
  process.env.DATABASE_URL = db.url;
  prisma = createPrisma(db.url);
  await addUser(prisma, { email: 'Lead@Example.com', name: 'Lea', role: 'security_lead', password: PASSWORD }, 'test');
  ({ POST: signInRoute } = (await import('@/app/api/auth/sign-in/route')) as unknown as { POST: Handler });
  ({ POST: signOutRoute } = (await import('@/app/api/auth/sign-out/route')) as unknown as { POST: Handler });
  ({ GET: meRoute } = (await import('@/app/api/auth/me/route')) as unknown as { GET: Handler });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await (globalThis as { nhiPool?: pg.Pool }).nhiPool?.end();
  await (globalThis as { nhiPrisma?: PrismaClient }).nhiPrisma?.$disconnect();
  await db?.drop();
});

describe('sign-in', () => {
  it('sets an HttpOnly SameSite session cookie (Secure, __Host- over TLS) and stores only its hash', async () => {
    const res = await signIn('lead@example.com', PASSWORD);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ next: '/findings' });
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^nhi_session=nhi_s_[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const secret = secretOf(res);
    expect(JSON.stringify(await prisma.session.findMany())).not.toContain(secret);
    expect((await me(secret)).status).toBe(200);
    const tls = await signIn('lead@example.com', PASSWORD, { 'x-forwarded-proto': 'https' }, 'https://nhi.example');
    expect(cookieOf(tls)).toMatch(/^__Host-nhi_session=nhi_s_[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
  });

  it('never carries a session over: the secret a browser came with is revoked and a new one issued (fixation)', async () => {
    const first = secretOf(await signIn('lead@example.com', PASSWORD));
    const second = await signIn('lead@example.com', PASSWORD, { cookie: `nhi_session=${first}` });
    const fresh = secretOf(second);
    expect(fresh).not.toBe(first);
    expect((await me(first)).status).toBe(401);
    expect((await me(fresh)).status).toBe(200);
    // A secret planted by someone else (never issued) opens nothing and is not adopted.
    const planted = 'nhi_s_' + 'A'.repeat(43);
    const after = await signIn('lead@example.com', PASSWORD, { cookie: `nhi_session=${planted}` });
    expect(secretOf(after)).not.toBe(planted);
    expect((await me(planted)).status).toBe(401);
  });

  it('ends a session after its idle time and at its absolute expiry, whatever the activity', async () => {
    const user = await prisma.user.findUniqueOrThrow({ where: { email: 'lead@example.com' } });
    const t0 = new Date('2026-01-01T08:00:00Z');
    const config = { idleMs: 30 * 60_000, absoluteMs: 2 * 3_600_000 };
    const { secret } = await createSession(prisma, user.id, {}, t0, config);
    const at = (min: number) => new Date(t0.getTime() + min * 60_000);
    expect(await authenticate(prisma, creds(secret), at(29), config)).not.toBeNull(); // moves the idle clock
    expect(await authenticate(prisma, creds(secret), at(58), config)).not.toBeNull();
    expect(await authenticate(prisma, creds(secret), at(89), config)).toBeNull(); // 31 min idle
    const { secret: busy } = await createSession(prisma, user.id, {}, t0, config);
    for (let m = 10; m < 120; m += 10) expect(await authenticate(prisma, creds(busy), at(m), config)).not.toBeNull();
    expect(await authenticate(prisma, creds(busy), at(120), config)).toBeNull(); // absolute, though active
    expect(sessionConfig({ NHI_SESSION_IDLE_MINUTES: '15', NHI_SESSION_MAX_HOURS: '8' })).toEqual({
      idleMs: 900_000,
      absoluteMs: 28_800_000,
    });
    expect(() => sessionConfig({ NHI_SESSION_IDLE_MINUTES: '-1' })).toThrow(/positive/);
  });

  it('sign-out ends the session on the server, clears the cookie and needs the CSRF token', async () => {
    const secret = secretOf(await signIn('lead@example.com', PASSWORD));
    const post = (csrf?: string) =>
      signOutRoute(
        new Request(`${BASE}/api/auth/sign-out`, {
          method: 'POST',
          headers: { cookie: `nhi_session=${secret}`, origin: BASE, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
        }),
      );
    expect((await post()).status).toBe(403);
    expect((await post('forged')).status).toBe(403);
    const out = await post(csrfTokenOf(secret));
    expect(out.status).toBe(200);
    expect(cookieOf(out)).toMatch(/^nhi_session=; .*Max-Age=0/);
    expect((await me(secret)).status).toBe(401);
  });

  it('disabling a user ends their sessions and tokens at once', async () => {
    await addUser(prisma, { email: 'temp@example.com', name: 'T', role: 'auditor', password: PASSWORD }, 'test');
    const secret = secretOf(await signIn('temp@example.com', PASSWORD));
    const { token } = await createApiToken(prisma, { user: 'temp@example.com', name: 'ci' }, 'test');
    expect((await me(secret)).status).toBe(200);
    await disableUser(prisma, 'temp@example.com', 'admin@example.com');
    expect((await me(secret)).status).toBe(401);
    expect(await authenticate(prisma, { cookie: null, authorization: `Bearer ${token}`, secure: false })).toBeNull();
    expect((await signIn('temp@example.com', PASSWORD)).status).toBe(401);
  });

  it('refuses a wrong password with the same answer as an unknown account, and writes both on the trail', async () => {
    const wrong = await signIn('lead@example.com', 'not the password at all');
    const unknown = await signIn('nobody@example.com', 'not the password at all');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    const failed = await prisma.activityLog.findMany({ where: { action: 'auth.sign_in_failed' }, orderBy: { seq: 'asc' } });
    expect(failed.map((f) => [f.actor, (f.after as { reason: string }).reason, f.ip])).toEqual(
      expect.arrayContaining([
        ['lead@example.com', 'wrong password', '203.0.113.7'],
        ['nobody@example.com', 'unknown account', '203.0.113.7'],
      ]),
    );
    expect(JSON.stringify(failed, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('not the password');
  });

  it('throttles an account after 5 failures in 15 minutes (429, Retry-After), even with the right password', async () => {
    await addUser(prisma, { email: 'target@example.com', name: 'T', role: 'auditor', password: PASSWORD }, 'test');
    for (let i = 0; i < THROTTLE.perAccount; i++)
      expect((await signIn('target@example.com', `guess number ${i}`, { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(
        401,
      );
    const locked = await signIn('target@example.com', PASSWORD, { 'x-forwarded-for': '198.51.100.99' });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(((await locked.json()) as { code: string }).code).toBe('SIGN_IN_THROTTLED');
    // The window moves on: failures older than 15 minutes no longer count.
    await prisma.signInAttempt.updateMany({
      where: { email: 'target@example.com' },
      data: { at: new Date(Date.now() - THROTTLE.windowMs - 1000) },
    });
    expect((await signIn('target@example.com', PASSWORD)).status).toBe(200);
  });

  it('throttles an address after 20 failures across accounts', async () => {
    const ip = { 'x-forwarded-for': '192.0.2.55' };
    for (let i = 0; i < THROTTLE.perAddress; i++) await signIn(`spray${i}@example.com`, 'Winter2026!', ip);
    expect((await signIn('lead@example.com', PASSWORD, ip)).status).toBe(429);
    expect((await signIn('lead@example.com', PASSWORD, { 'x-forwarded-for': '192.0.2.56' })).status).toBe(200);
  });

  it('refuses a sign-in posted by another site', async () => {
    const res = await signInRoute(
      new Request(`${BASE}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
        body: JSON.stringify({ email: 'lead@example.com', password: PASSWORD }),
      }),
    );
    expect(res.status).toBe(403);
  });

  it('never sends a browser to another site after sign-in', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example']) {
      const res = await signInRoute(
        new Request(`${BASE}/api/auth/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: BASE, 'x-forwarded-for': '203.0.113.8' },
          body: JSON.stringify({ email: 'lead@example.com', password: PASSWORD, next }),
        }),
      );
      expect(await res.json()).toEqual({ next: '/' });
    }
  });
});

describe('API tokens', () => {
  it('act as their user with at most their scope, until they expire or are revoked; only the hash is kept', async () => {
    const now = new Date();
    const { token, row } = await createApiToken(
      prisma,
      { user: 'lead@example.com', name: 'nightly', scope: 'read', expires: '1h' },
      'test',
      now,
    );
    expect(token).toMatch(/^nhi_pat_[\w-]{43}$/);
    expect(JSON.stringify(await prisma.apiToken.findMany())).not.toContain(token);
    const bearer = { cookie: null, authorization: `Bearer ${token}`, secure: false };
    const p = await authenticate(prisma, bearer, now);
    expect(p).toMatchObject({ via: 'token', role: 'security_lead', scope: 'read', email: 'lead@example.com' });
    expect(await authenticate(prisma, bearer, new Date(now.getTime() + 3_600_001))).toBeNull();
    await revokeApiToken(prisma, row.prefix, 'test');
    expect(await authenticate(prisma, bearer, now)).toBeNull();
    await expect(createApiToken(prisma, { user: 'lead@example.com', name: 'long', expires: '400d' }, 'test')).rejects.toThrow(
      /365/,
    );
    const other = await createApiToken(prisma, { user: 'lead@example.com', name: 'nightly2', scope: 'write' }, 'test');
    expect((await me(`x`)).status).toBe(401);
    const viaToken = await meRoute(new Request(`${BASE}/api/auth/me`, { headers: { authorization: `Bearer ${other.token}` } }));
    expect(await viaToken.json()).toMatchObject({ via: 'token', scope: 'write' });
  });
});

describe('the first admin and the trail', () => {
  it('is made once, from the environment or with a printed random password', async () => {
    const made = await ensureFirstAdmin(prisma, { NHI_ADMIN_EMAIL: 'root@example.com' });
    expect(made?.email).toBe('root@example.com');
    expect(made?.password).toMatch(/^[\w-]{24}$/);
    expect(await ensureFirstAdmin(prisma, {})).toBeNull();
    const res = await signIn('root@example.com', made!.password!);
    expect(res.status).toBe(200);
  });

  it('every sign-in, sign-out, user and token change is on the chained trail, which verifies', async () => {
    const actions = new Set((await prisma.activityLog.findMany({ select: { action: true } })).map((a) => a.action));
    for (const a of [
      'auth.sign_in',
      'auth.sign_out',
      'auth.sign_in_failed',
      'user.create',
      'user.disable',
      'api_token.create',
      'api_token.revoke',
      'access.denied',
    ])
      expect(actions, a).toContain(a);
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      expect((await verifyTrail(pool)).broken).toBeNull();
    } finally {
      await pool.end();
    }
  });
});
