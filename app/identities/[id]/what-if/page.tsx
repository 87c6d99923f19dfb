import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { WhatIf } from '@/components/what-if';
import { inScopeOr404, pageViewer } from '@/lib/auth/page';
import { assertIdentityInScope } from '@/lib/auth/scope';
import { prisma } from '@/lib/db/client';
import { whatIfOptions } from '@/lib/whatif/load';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'What if' };

/**
 * What-if on one ServiceAccount (lib/whatif): tick bindings to remove, add bindings to the cluster's roles, apply the
 * suggested least-privilege Role, then see its reach, escalation paths, findings and score before and after. Nothing
 * is written to the cluster or the database.
 */
export default async function WhatIfPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const db = prisma();
  const viewer = await pageViewer('/identities/[id]/what-if', `/identities/${encodeURIComponent(id)}/what-if`);
  await inScopeOr404((scope) => assertIdentityInScope(db, scope, id), viewer);
  const identity = await db.identity.findFirst({
    where: { id, deletedAt: null },
    select: { id: true, kind: true, namespace: true, name: true },
  });
  if (!identity) notFound();
  const label = `${identity.kind} ${identity.namespace ? `${identity.namespace}/` : ''}${identity.name}`;
  const options = identity.kind === 'ServiceAccount' ? await whatIfOptions(db, id, '', 50) : null;
  return (
    <>
      <p className="small">
        <Link href={`/identities/${id}`}>← {label}</Link>
      </p>
      <h1>What if: {label}</h1>
      <p className="muted">
        Simulate RBAC changes and see how its reach, escalation paths, findings and risk score would change, before anyone touches
        the cluster. Nothing is written to the cluster or to the dashboard&apos;s database.
      </p>
      {!options ? (
        <div className="empty-state">
          <p>What-if simulates the bindings of ServiceAccounts; this identity is a {identity.kind}.</p>
        </div>
      ) : (
        <WhatIf identityId={id} bindings={options.bindings} roles={options.roles} />
      )}
    </>
  );
}
