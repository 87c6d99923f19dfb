/**
 * One error type for the whole app: a stable code, an internal message for logs, and a message that
 * is safe to show to a user (no stack, no connection strings, no secret values).
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly userMessage: string = message,
    readonly status: number = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** A short, user-safe description of any thrown value. */
export function describeError(e: unknown): string {
  if (isAppError(e)) return e.userMessage;
  if (e instanceof Error) return e.message;
  return String(e);
}
