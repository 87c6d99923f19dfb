/**
 * The one error type of the product (lib/, app/, the CLI): a stable code, a message that is safe to show
 * a person (no stack, no connection string, no Secret value), an HTTP status, and the cause for logs.
 *
 * - Route handlers are wrapped by `route()` (lib/http/route.ts), which answers `{ error, code }` with the
 *   status; anything that is not an AppError becomes a 500 with a generic message (details only in logs).
 * - The CLI prints `nhi: <message>` and exits with `exitCode` (2 for bad input, 1 otherwise).
 * - Pages throw it; app/error.tsx shows the message of the kinds below that are meant for users.
 *
 * Throw it through the factories, which fix code and status together:
 *   throw invalidInput(`--port must be a TCP port number, got "${value}"`);
 *   throw notFound(`no cluster named "${name}"`);
 *   throw unavailable('the database is not reachable', { cause: e });
 */
export const ERROR_KINDS = {
  /** Input from outside (arguments, query strings, bodies, files) is malformed. */
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  /** The request is valid but the state forbids it (e.g. several clusters and none chosen). */
  conflict: 409,
  /** Too many attempts (sign-in throttling): retry after `details.retryAfterSeconds`. */
  rate_limited: 429,
  /** A dependency (database, API server, corpus) is missing or down. */
  unavailable: 503,
  internal: 500,
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

export interface AppErrorOptions {
  cause?: unknown;
  /** A more specific code than the kind, e.g. `DB_MIGRATIONS`, `CLUSTER_AMBIGUOUS`. */
  code?: string;
  /** Extra structured facts a caller may show (e.g. the cluster names to choose from). Never secrets. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(
    readonly kind: ErrorKind,
    /** User-safe: shown as is by the CLI, the API and error pages. */
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = ERROR_KINDS[kind];
    this.code = options.code ?? kind.toUpperCase();
    this.details = options.details ?? {};
  }

  /** The CLI's exit status: 2 for input a person can correct, 1 for everything else. */
  get exitCode(): number {
    return this.kind === 'invalid_input' ? 2 : 1;
  }
}

export const invalidInput = (message: string, options?: AppErrorOptions) => new AppError('invalid_input', message, options);
export const notFound = (message: string, options?: AppErrorOptions) => new AppError('not_found', message, options);
export const unauthenticated = (message: string, options?: AppErrorOptions) => new AppError('unauthenticated', message, options);
export const forbidden = (message: string, options?: AppErrorOptions) => new AppError('forbidden', message, options);
export const conflict = (message: string, options?: AppErrorOptions) => new AppError('conflict', message, options);
export const unavailable = (message: string, options?: AppErrorOptions) => new AppError('unavailable', message, options);

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/**
 * A short description of any thrown value, for a person. Plain Errors keep their message (the CLI runs
 * on the operator's own machine); values that are not Errors (a rejected string, an object) are still
 * described instead of printing `undefined`.
 */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e || 'unknown error (an empty string was thrown)';
  if (e === undefined || e === null) return `unknown error (${String(e)} was thrown)`;
  try {
    const json = JSON.stringify(e);
    if (json && json !== '{}') return json;
  } catch {
    // fall through
  }
  return String(e);
}
