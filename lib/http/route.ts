/**
 * The one wrapper for route handlers (app/api/**): it checks who is asking against the access the route
 * declares (lib/auth/authorize.ts: sign-in, role, API token scope, CSRF token), parses the query string with
 * zod when the route declares a schema, runs the handler (with the principal, and with the trail context so
 * that every trail entry it writes names the user and their address), turns its value into a JSON response
 * that is never cached, and maps every thrown error to a response. No route handler is written without it,
 * and `access` is not optional: the authorization matrix test (lib/auth/matrix.int.test.ts) asks every route.
 *
 *   export const GET = route({ access: 'owned.read', query: z.object({ cluster: z.string().optional() }) },
 *     async ({ query, viewer }) => listSomething(prisma(), query, teamScope(viewer)));
 *
 * - An AppError answers with its status and `{ error, code }`; its message is user-safe by contract.
 * - Anything else answers 500 with a generic message and a reference id; the detail goes to the server log
 *   only (a driver's message can name hosts, users or SQL).
 * - A handler may return a Response of its own (e.g. a health report with its own status).
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { authorize } from '@/lib/auth/authorize';
import type { Principal } from '@/lib/auth/principal';
import type { Access } from '@/lib/auth/roles';
import { AppError, invalidInput, isAppError } from '@/lib/errors';
import { trailContextOf, withTrailContext } from '@/lib/trail/write';
import { parseFields } from '@/lib/validate';

export { parseFields };

type ViewerOf<A extends Access> = A extends 'public' | 'ingest' ? null : Principal;

export interface RouteInput<Q, B = unknown, V = Principal | null> {
  request: Request;
  /** Who is asking (null only on public and ingestion routes). */
  viewer: V;
  query: Q;
  /** The JSON body parsed with the route's `body` schema (undefined without one). */
  body: B;
  params: Record<string, string | string[] | undefined>;
}

export interface RouteOptions<
  S extends z.ZodType | undefined,
  B extends z.ZodType | undefined = undefined,
  A extends Access = Access,
> {
  /** Who may ask (lib/auth/roles.ts): a permission, `signed-in`, `public`, or `ingest` (a cluster's token). */
  access: A;
  /** Schema of the query string (one value per key; repeated keys take the first). */
  query?: S;
  /**
   * Schema of a JSON body (state-changing routes called by the app's pages). Such a request must be
   * `application/json` and come from the app's own origin (a browser's Origin or Sec-Fetch-Site says so),
   * so that another site cannot make a signed-in browser post it.
   */
  body?: B;
  /** Largest JSON body accepted, in characters (default 64 KiB; a route that takes pasted files says more). */
  maxBody?: number;
}

type QueryOf<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;
type BodyOf<B> = B extends z.ZodType ? z.output<B> : undefined;

const MAX_JSON_BODY = 64 * 1024;

/** Refuses a cross-site request: a browser names the page's origin (Origin) or says the request is cross-site. */
export function assertSameOrigin(request: Request): void {
  const site = request.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none')
    throw new AppError('forbidden', 'cross-site requests are refused', { code: 'CROSS_SITE' });
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null') {
    const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host') ?? new URL(request.url).host;
    if (new URL(origin).host !== host) throw new AppError('forbidden', 'cross-site requests are refused', { code: 'CROSS_SITE' });
  } else if (origin === 'null') throw new AppError('forbidden', 'cross-site requests are refused', { code: 'CROSS_SITE' });
}

async function parseBody<B extends z.ZodType>(schema: B, request: Request, max = MAX_JSON_BODY): Promise<z.output<B>> {
  assertSameOrigin(request);
  if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
    throw invalidInput('send the body as application/json');
  const text = await request.text();
  if (text.length > max) throw invalidInput('the body is too large');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidInput('the body is not JSON');
  }
  return parseFields(schema, raw);
}

export interface ErrorBody {
  error: string;
  code: string;
  /** For 500s: quote it to the operator, who finds the detail in the server log. */
  reference?: string;
}

const NO_STORE = { 'cache-control': 'no-store' };

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: NO_STORE });
}

/** The response for a thrown value (exported for tests and for pages' server actions later). */
export function errorResponse(e: unknown, log: (line: string, e: unknown) => void = defaultLog): Response {
  if (isAppError(e) && e.kind !== 'internal') {
    const res = json({ error: e.message, code: e.code } satisfies ErrorBody, e.status);
    // A busy service says when to come back (the audit webhook and falcosidekick retry).
    if (typeof e.details.retryAfterSeconds === 'number') res.headers.set('retry-after', String(e.details.retryAfterSeconds));
    if (e.status === 401) res.headers.set('www-authenticate', 'Bearer');
    return res;
  }
  const reference = randomUUID();
  log(`route error ${reference}`, e);
  return json({ error: 'Internal error: the server could not answer.', code: 'INTERNAL', reference } satisfies ErrorBody, 500);
}

function defaultLog(line: string, e: unknown): void {
  console.error(line, e);
}

function parseQuery<S extends z.ZodType>(schema: S, url: string): z.output<S> {
  const params = new URL(url).searchParams;
  const flat: Record<string, string> = {};
  for (const key of new Set(params.keys())) flat[key] = params.get(key) ?? '';
  const parsed = schema.safeParse(flat);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidInput(`Invalid query parameter "${issue?.path.join('.') || '?'}": ${issue?.message ?? 'invalid'}`);
}

/** A route handler as route() makes it, with the access it declared (read by the authorization matrix test). */
export type RouteHandler = ((
  request: Request,
  context?: { params?: Promise<Record<string, string | string[] | undefined>> },
) => Promise<Response>) & {
  access: Access;
  /** The schemas it declared, for the OpenAPI document (lib/http/openapi.ts). */
  query?: z.ZodType;
  body?: z.ZodType;
};

export function route<
  S extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  A extends Access = Access,
>(
  options: RouteOptions<S, B, A>,
  handler: (input: RouteInput<QueryOf<S>, BodyOf<B>, ViewerOf<A>>) => Promise<unknown>,
): RouteHandler {
  const wrapped = async (request: Request, context?: { params?: Promise<Record<string, string | string[] | undefined>> }) => {
    try {
      const viewer = (await authorize(request, options.access)) as ViewerOf<A>;
      if (viewer && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) assertSameOrigin(request);
      const query = (options.query ? parseQuery(options.query, request.url) : {}) as QueryOf<S>;
      const body = (options.body ? await parseBody(options.body, request, options.maxBody) : undefined) as BodyOf<B>;
      const params = (await context?.params) ?? {};
      const result = await withTrailContext({ ...trailContextOf(request), userId: viewer?.userId ?? null }, () =>
        handler({ request, viewer, query, body, params }),
      );
      return result instanceof Response ? result : json(result);
    } catch (e) {
      return errorResponse(e);
    }
  };
  return Object.assign(wrapped, { access: options.access, query: options.query, body: options.body });
}
