/**
 * The one decision of who may ask what, for route handlers (lib/http/route.ts) and pages (lib/auth/page.ts):
 * the request's principal (lib/auth/principal.ts) against the access the route or page declares
 * (lib/auth/roles.ts), and for a state-changing request from a browser, its CSRF token. Denials are logged
 * (a JSON line on the server's log; for a signed-in person also an `access.denied` entry on the trail).
 */
import { prisma, type PrismaClient } from '@/lib/db/client';
import { AppError, forbidden, unauthenticated } from '@/lib/errors';
import { appendTrail, prismaExecutor, trailContextOf } from '@/lib/trail/write';
import { actorOf, authenticate, credentialsOf, type Principal } from './principal';
import { allows, ROLE_LABELS, type Access } from './roles';
import { csrfTokenOf, sameSecret } from './secret-token';
import { securityEvent } from './security-log';

export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthorizeOptions {
  db?: PrismaClient;
  now?: Date;
}

/** Logs a refusal; never throws (a denial stands even if it cannot be recorded). */
export async function recordDenial(
  db: PrismaClient,
  who: Principal | null,
  request: Pick<Request, 'method' | 'url' | 'headers'>,
  error: AppError,
): Promise<void> {
  const { pathname } = new URL(request.url);
  const ctx = trailContextOf(request as Request);
  securityEvent('access.denied', {
    status: error.status,
    code: error.code,
    method: request.method,
    path: pathname,
    user: who?.email ?? null,
    ip: ctx.ip,
  });
  if (!who) return;
  try {
    await db.$transaction((tx) =>
      appendTrail(prismaExecutor(tx), {
        actor: actorOf(who),
        userId: who.userId,
        action: 'access.denied',
        target: `${request.method} ${pathname}`.slice(0, 1000),
        after: { code: error.code, status: error.status },
        ...ctx,
      }),
    );
  } catch (e) {
    console.error('could not record a denial on the trail', e);
  }
}

/** Why `who` may not have `access` (null: allowed). Pure, for the matrix test and the page guard. */
export function refusal(who: Principal | null, access: Access, method = 'GET'): AppError | null {
  if (access === 'public' || access === 'ingest') return null;
  if (!who) return unauthenticated('sign in first', { code: 'SIGN_IN_REQUIRED' });
  if (access !== 'signed-in' && !allows(who.role, access))
    return forbidden(`a ${ROLE_LABELS[who.role].toLowerCase()} may not do this`, { code: 'ROLE_FORBIDDEN' });
  if (!SAFE_METHODS.has(method) && who.scope !== 'write')
    return forbidden('this API token may only read (made with --scope read)', { code: 'TOKEN_READ_ONLY' });
  return null;
}

/** Refuses a state-changing browser request without its session's CSRF token (API tokens need none). */
function checkCsrf(who: Principal, request: Pick<Request, 'method' | 'headers'>): AppError | null {
  if (SAFE_METHODS.has(request.method) || who.via !== 'session' || !who.sessionSecret) return null;
  const sent = request.headers.get(CSRF_HEADER) ?? '';
  return sent && sameSecret(sent, csrfTokenOf(who.sessionSecret))
    ? null
    : forbidden('the request has no valid CSRF token: reload the page and try again', { code: 'CSRF' });
}

/**
 * The principal allowed to make this request (null for public and ingestion routes), or throws the 401/403
 * after logging it.
 */
export async function authorize(request: Request, access: Access, options: AuthorizeOptions = {}): Promise<Principal | null> {
  if (access === 'public' || access === 'ingest') return null;
  const db = options.db ?? prisma();
  const who = await authenticate(db, credentialsOf(request), options.now);
  const error = refusal(who, access, request.method) ?? (who ? checkCsrf(who, request) : null);
  if (error) {
    await recordDenial(db, who, request, error);
    throw error;
  }
  return who;
}
