/**
 * Bearer secrets of the app's own (session cookies, API tokens): 32 random bytes, base64url, with a prefix
 * naming what they are (so a leaked one is recognised by secret scanners and in logs). Only their SHA-256 is
 * stored, so a database dump cannot be replayed.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_PREFIX = 'nhi_s_';
export const API_TOKEN_PREFIX = 'nhi_pat_';

export const newSecret = (prefix: string) => prefix + randomBytes(32).toString('base64url');

export const secretHash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** The CSRF token of a session: an HMAC keyed by the session's secret, so it needs no storage of its own. */
export const csrfTokenOf = (sessionSecret: string) =>
  createHmac('sha256', sessionSecret).update('nhi csrf v1').digest('base64url');

/** Constant-time comparison of two strings (false when their lengths differ). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
