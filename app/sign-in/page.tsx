import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/sign-in-form';
import { oidcSettings } from '@/lib/auth/oidc';
import { optionalViewer } from '@/lib/auth/page';
import { demoMode, safeNext } from '@/lib/auth/web';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign in' };

/** The sign-in page (public). A signed-in browser goes straight on; under `nhi demo`, to the demo's sign-in. */
export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { next } = await searchParams;
  const target = safeNext(typeof next === 'string' ? next : null);
  if (await optionalViewer()) redirect(target);
  if (demoMode()) redirect(`/api/auth/demo?next=${encodeURIComponent(target)}`);
  return (
    <section className="panel narrow">
      <h1>Sign in</h1>
      {oidcSettings() && (
        <p>
          <a className="button" href={`/api/auth/oidc/start?next=${encodeURIComponent(target)}`}>
            Sign in with single sign-on
          </a>
        </p>
      )}
      <SignInForm next={target} />
      <p className="muted small">
        Accounts are made by an admin (<code>npx nhi users add</code>). The first admin&apos;s password was printed when the
        server first started, or taken from <code>NHI_ADMIN_PASSWORD</code>.
      </p>
    </section>
  );
}
