'use client';

import Link from 'next/link';

/**
 * What a person sees when a page fails: what happened in plain words, a way to try again, and the
 * reference the server logged with the detail (production builds never send the detail to the browser).
 */
export function ErrorPanel({ title, digest, onRetry }: { title: string; digest?: string; onRetry?: () => void }) {
  return (
    <section className="panel empty-state" role="alert" data-testid="error-panel">
      <h1>{title}</h1>
      <p>
        The server could not build this page. If the database is down or its migrations are not current, the status badge in the
        top bar says so; {/* An API route, not a page: a plain link (next/link would prefetch it as a page). */}
        <a href="/api/health">/api/health</a> gives the detail.
      </p>
      {digest && (
        <p className="muted">
          Reference <code>{digest}</code>: the server log has the full error under this reference.
        </p>
      )}
      <p>
        {onRetry && (
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        )}{' '}
        <Link href="/">Back to the overview</Link>
      </p>
    </section>
  );
}
