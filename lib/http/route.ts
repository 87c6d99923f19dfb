/**
 * The one wrapper for route handlers (app/api/**): it parses the query string with zod when the route
 * declares a schema, runs the handler, turns its value into a JSON response that is never cached, and maps
 * every thrown error to a response. Sign-in and role checks (issue 13) hang on this wrapper, so no route
 * handler is written without it.
 *
 *   export const GET = route({ query: z.object({ cluster: z.string().optional() }) }, async ({ query }) =>
 *     listSomething(prisma(), query));
 *
 * - An AppError answers with its status and `{ error, code }`; its message is user-safe by contract.
 * - Anything else answers 500 with a generic message and a reference id; the detail goes to the server log
 *   only (a driver's message can name hosts, users or SQL).
 * - A handler may return a Response of its own (e.g. a health report with its own status).
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { AppError, invalidInput, isAppError } from '@/lib/errors';

export interface RouteInput<Q, B = unknown> {
  request: Request;
  query: Q;
  /** The JSON body parsed with the route's `body` schema (undefined without one). */
  body: B;
  params: Record<string, string | string[] | undefined>;
}

export interface RouteOptions<S extends z.ZodType | undefined, B extends z.ZodType | undefined = undefined> {
  /** Schema of the query string (one value per key; repeated keys take the first). */
  query?: S;
  /**
   * Schema of a JSON body (state-changing routes called by the app's pages). Such a request must be
   * `application/json` and come from the app's own origin (a browser's Origin or Sec-Fetch-Site says so),
   * so that another site cannot make a signed-in browser post it.
   */
  body?: B;
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

async function parseBody<B extends z.ZodType>(schema: B, request: Request): Promise<z.output<B>> {
  assertSameOrigin(request);
  if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
    throw invalidInput('send the body as application/json');
  const text = await request.text();
  if (text.length > MAX_JSON_BODY) throw invalidInput('the body is too large');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidInput('the body is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidInput(`Invalid field "${issue?.path.join('.') || '?'}": ${issue?.message ?? 'invalid'}`);
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

export function route<S extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  options: RouteOptions<S, B>,
  handler: (input: RouteInput<QueryOf<S>, BodyOf<B>>) => Promise<unknown>,
): (request: Request, context?: { params?: Promise<Record<string, string | string[] | undefined>> }) => Promise<Response> {
  return async (request, context) => {
    try {
      const query = (options.query ? parseQuery(options.query, request.url) : {}) as QueryOf<S>;
      const body = (options.body ? await parseBody(options.body, request) : undefined) as BodyOf<B>;
      const params = (await context?.params) ?? {};
      const result = await handler({ request, query, body, params });
      return result instanceof Response ? result : json(result);
    } catch (e) {
      return errorResponse(e);
    }
  };
}
