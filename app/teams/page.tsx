import type { Metadata } from 'next';
import Link from 'next/link';
import { TeamTable } from '@/components/team-table';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';
import { prisma } from '@/lib/db/client';
import { listTeams } from '@/lib/ownership/teams';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Teams' };

export default async function TeamsPage() {
  const viewer = await pageViewer('/teams', '/teams');
  const scope = teamScope(viewer);
  const teams = await listTeams(prisma(), scope);
  return (
    <section>
      <h1>Teams</h1>
      <p className="muted">
        {scope ? 'Your teams' : 'Every team'}, each with the identities and workloads it owns — claimed (approved on{' '}
        <Link href="/ownership">Ownership</Link>) or inferred from their labels —, the risk scores of its identities, its open
        findings, active (open or acknowledged) anomalies and claims waiting for a decision. Counts lead to the lists behind them.
      </p>
      {teams.length ? (
        <TeamTable teams={teams} />
      ) : (
        <div className="empty-state">
          <p>No team yet.</p>
          <p className="muted">
            Teams come from owner labels on workloads and ServiceAccounts (<code>team</code>, <code>owner</code>,{' '}
            <code>app.kubernetes.io/part-of</code>, …) and from the teams users are added to.
          </p>
        </div>
      )}
    </section>
  );
}
