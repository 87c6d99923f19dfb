/**
 * Security events on the server's log, one JSON line each (`{"event":"access.denied",…,"at":…}`), for a log
 * pipeline to alert on: refused requests, failed and throttled sign-ins. Never a password, token or cookie.
 */
export function securityEvent(event: string, fields: Record<string, unknown>, at = new Date()): void {
  console.warn(JSON.stringify({ event, ...fields, at: at.toISOString() }));
}
