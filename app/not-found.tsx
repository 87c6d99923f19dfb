import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found' };

/** Unknown paths, and pages whose object does not exist (an identity id that is not in the inventory). */
export default function NotFound() {
  return (
    <section className="panel empty-state" data-testid="not-found">
      <h1>Not found</h1>
      <p>Nothing is at this address. The object may have been removed from the inventory, or the link is mistyped.</p>
      <p>
        <Link href="/">Overview</Link> · <Link href="/identities">Identities</Link>
      </p>
    </section>
  );
}
