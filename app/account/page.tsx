import type { Metadata } from 'next';
import { ApiTokenPanel } from '@/components/api-token-panel';
import { listApiTokens } from '@/lib/auth/api-tokens';
import { pageViewer } from '@/lib/auth/page';
import { ROLE_LABELS } from '@/lib/auth/roles';
import { prisma } from '@/lib/db/client';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Your account' };

/** Who you are signed in as, and your API tokens for scripts (made, listed and revoked here). */
export default async function AccountPage() {
  const viewer = await pageViewer('/account', '/account');
  const tokens = await listApiTokens(prisma(), viewer.email);
  return (
    <section>
      <h1>Your account</h1>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{viewer.name}</dd>
        <dt>E-mail</dt>
        <dd>{viewer.email}</dd>
        <dt>Role</dt>
        <dd data-testid="account-role">{ROLE_LABELS[viewer.role]}</dd>
        <dt>Teams</dt>
        <dd>{viewer.teams.length ? viewer.teams.map((t) => t.name).join(', ') : <span className="muted">none</span>}</dd>
      </dl>
      <h2>API tokens</h2>
      <p className="muted">
        For scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you — your role and teams — and with
        scope <code>read</code> it can only read. It is shown once, when made.
      </p>
      <ApiTokenPanel tokens={tokens} canWrite={viewer.role !== 'auditor'} />
    </section>
  );
}
