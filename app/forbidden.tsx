import Link from 'next/link';

/** The 403 page (forbidden() in the page guard, lib/auth/page.ts): signed in, but this role may not open it. */
export default function Forbidden() {
  return (
    <section className="panel" data-testid="forbidden">
      <h1>Not for your role</h1>
      <p>You are signed in, but your role may not open this page. Ask an admin if you need it; the request has been recorded.</p>
      <p>
        <Link href="/">Back to the overview</Link>
      </p>
    </section>
  );
}
