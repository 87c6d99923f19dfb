/**
 * Browser sessions: a random secret in an HttpOnly cookie, its SHA-256 in the Session table. The cookie is
 * `__Host-nhi_session` with Secure when the app is served over TLS (directly or behind a proxy that says so
 * with X-Forwarded-Proto), `nhi_session` without Secure over plain HTTP (a `__Host-` cookie must be Secure, and
 * browsers drop Secure cookies set over HTTP except on localhost). SameSite=Lax, Path=/, no Domain.
 *
 * A session ends at the first of: its absolute expiry (NHI_SESSION_MAX_HOURS, default 12, never extended),
 * idle expiry (NHI_SESSION_IDLE_MINUTES, default 60, counted from the last request), sign-out, revocation
 * (a user disabled, `nhi users disable`), or a new sign-in in the same browser (the old one is revoked and a
 * new secret issued: no fixation).
 */
import type { PrismaClient } from '@/lib/db/client';
import { invalidInput } from '@/lib/errors';
import { newSecret, secretHash, SESSION_PREFIX } from './secret-token';

export interface SessionConfig {
  idleMs: number;
  absoluteMs: number;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw invalidInput(`${name} must be a positive number, got "${value}"`);
  return n;
}

export function sessionConfig(env: Record<string, string | undefined> = process.env): SessionConfig {
  return {
    idleMs: positive('NHI_SESSION_IDLE_MINUTES', env.NHI_SESSION_IDLE_MINUTES, 60) * 60_000,
    absoluteMs: positive('NHI_SESSION_MAX_HOURS', env.NHI_SESSION_MAX_HOURS, 12) * 3_600_000,
  };
}

/** lastSeenAt moves at most this often (one write per minute per session, not per request). */
const TOUCH_EVERY_MS = 60_000;

export const cookieName = (secure: boolean) => (secure ? '__Host-nhi_session' : 'nhi_session');

/** True when the request reached the app over TLS. */
export function isTls(request: Pick<Request, 'url' | 'headers'>): boolean {
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return (forwarded ?? new URL(request.url).protocol.replace(':', '')) === 'https';
}

export function sessionCookie(secret: string, secure: boolean, maxAgeSeconds: number): string {
  return [
    `${cookieName(secure)}=${secret}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearSessionCookie = (secure: boolean) => sessionCookie('', secure, 0);

/** The session secret a Cookie header carries (only the cookie name that matches the transport). */
export function sessionSecretOf(cookieHeader: string | null, secure: boolean): string | null {
  if (!cookieHeader) return null;
  const name = cookieName(secure);
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith(SESSION_PREFIX) && value.length < 200 ? value : null;
  }
  return null;
}

export interface NewSession {
  secret: string;
  expiresAt: Date;
}

export async function createSession(
  db: Pick<PrismaClient, 'session'>,
  userId: string,
  from: { ip?: string | null; userAgent?: string | null } = {},
  now = new Date(),
  config = sessionConfig(),
): Promise<NewSession> {
  const secret = newSecret(SESSION_PREFIX);
  const expiresAt = new Date(now.getTime() + config.absoluteMs);
  await db.session.create({
    data: {
      id: secretHash(secret),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      ip: from.ip ?? null,
      userAgent: from.userAgent?.slice(0, 500) ?? null,
    },
  });
  return { secret, expiresAt };
}

/** Ends one session (sign-out, or the previous session of a browser that signs in again). */
export async function revokeSession(db: Pick<PrismaClient, 'session'>, secret: string, now = new Date()): Promise<boolean> {
  const r = await db.session.updateMany({ where: { id: secretHash(secret), revokedAt: null }, data: { revokedAt: now } });
  return r.count > 0;
}

/** The user of a live session, moving its idle clock; null when the session is unknown, ended or the user disabled. */
export async function liveSession(db: PrismaClient, secret: string, now = new Date(), config = sessionConfig()) {
  const session = await db.session.findUnique({
    where: { id: secretHash(secret) },
    include: { user: { include: { teams: { include: { team: { select: { id: true, name: true } } } } } } },
  });
  if (!session || session.revokedAt || session.user.disabledAt) return null;
  if (session.expiresAt <= now) return null;
  if (session.lastSeenAt.getTime() + config.idleMs <= now.getTime()) return null;
  if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS)
    await db.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
  return session;
}
