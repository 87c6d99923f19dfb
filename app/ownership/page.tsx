import type { Metadata } from 'next';
import Link from 'next/link';
import { ClaimTable } from '@/components/claim-table';
import { FilterError } from '@/components/filter-error';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { UnownedTable } from '@/components/unowned-table';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';
import { allows } from '@/lib/auth/roles';
import { prisma } from '@/lib/db/client';
import { filterHref, parseFilter } from '@/lib/http/query';
import { listClaims } from '@/lib/ownership/claims';
import { teamNames } from '@/lib/ownership/teams';
import { UNOWNED_KINDS, UNOWNED_PAGE_SIZE, unownedFilterSchema, unownedQueue, type UnownedFilter } from '@/lib/ownership/unowned';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Ownership' };

const DEFAULTS = { page: 1, pageSize: UNOWNED_PAGE_SIZE };
const href = (f: UnownedFilter, page: number) => `${filterHref('/ownership', { ...f, page }, DEFAULTS)}#unowned`;
const KINDS: (readonly [string, string])[] = [
  ['ServiceAccount', 'ServiceAccounts'],
  ['workload', 'workloads (every kind)'],
  ...UNOWNED_KINDS.filter((k) => k !== 'ServiceAccount').map((k) => [k, k] as const),
];

export default async function OwnershipPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/ownership', '/ownership');
  const scope = teamScope(viewer);
  const params = await searchParams;
  const { filter, error } = parseFilter(unownedFilterSchema, params);
  const claimTeam = typeof params.claimTeam === 'string' && params.claimTeam ? params.claimTeam.slice(0, 253) : undefined;
  const db = prisma();
  const canClaim = allows(viewer.role, 'ownership.claim');
  const canDecide = allows(viewer.role, 'ownership.decide');
  const [queue, pending, decided, teams, clusters] = await Promise.all([
    unownedQueue(db, filter, scope),
    listClaims(db, scope, { status: 'pending', team: claimTeam, pageSize: 200 }, viewer.userId),
    listClaims(db, scope, { status: 'decided', team: claimTeam, pageSize: 50 }, viewer.userId),
    canClaim ? (scope ? viewer.teams.map((t) => t.name) : teamNames(db)) : [],
    db.cluster.findMany({ select: { name: true }, orderBy: { name: 'asc' } }),
  ]);
  const pages = Math.max(1, Math.ceil(queue.total / queue.pageSize));
  // Service owners see the names of what nobody owns, not its pages (those are not their teams').
  const linkSubjects = !scope;
  return (
    <section>
      <h1>Ownership</h1>
      <p className="muted">
        Every identity and workload should have a team that answers for it. Claim what is yours: a security lead or admin approves
        the claim, and the team becomes its owner (in place of an earlier claimed owner; owners inferred from labels stay). Every
        step is on the activity trail. Teams and what they own: <Link href="/teams">Teams</Link>.
      </p>
      <nav className="tabs" aria-label="Sections">
        <a href="#unowned">Unowned ({queue.total})</a>
        <a href="#claims">Waiting for a decision ({pending.total})</a>
        <a href="#history">Decided claims</a>
      </nav>

      <h2 id="unowned">Unowned, riskiest first ({queue.total})</h2>
      <p className="muted">
        ServiceAccounts (Kubernetes&apos; own left out) and workloads without an owner of their own
        {scope ? ' that no other team answers for' : ''}. Suggested owners: the teams owning the workloads that run as it (or the
        ServiceAccount it runs as), teams its labels name, and the teams owning its namespace&apos;s other subjects.
      </p>
      <form className="filters" method="get" action="/ownership#unowned">
        <FilterSelect
          name="cluster"
          label="Cluster"
          any="any cluster"
          value={filter.cluster}
          options={clusters.map((c) => [c.name, c.name] as const)}
        />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <FilterSelect name="kind" label="Kind" any="any kind" value={filter.kind} options={KINDS} />
        <input name="q" placeholder="Name contains" defaultValue={filter.q ?? ''} aria-label="Name contains" />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      {queue.rows.length ? (
        <UnownedTable rows={queue.rows} teams={teams} linkSubjects={linkSubjects} />
      ) : (
        <div className="empty-state" data-testid="unowned-empty">
          <p>Nothing unowned {filter.namespace || filter.q || filter.kind || filter.cluster ? 'matches' : 'left'}.</p>
        </div>
      )}
      <Pager page={filter.page} pages={pages} href={(p) => href(filter, p)} />

      <h2 id="claims">Waiting for a decision ({pending.total})</h2>
      {claimTeam && (
        <p className="muted">
          Team {claimTeam} only. <Link href="/ownership#claims">All teams</Link>
        </p>
      )}
      {pending.rows.length ? (
        <ClaimTable
          claims={pending.rows}
          caption="Claims waiting for a decision, oldest first"
          viewerId={viewer.userId}
          canDecide={canDecide}
          linkSubjects={linkSubjects}
          testId="pending-claims"
        />
      ) : (
        <p className="muted" data-testid="pending-empty">
          No claim is waiting for a decision.
        </p>
      )}

      <h2 id="history">Decided claims</h2>
      {decided.rows.length ? (
        <ClaimTable
          claims={decided.rows}
          caption="Decided claims, latest first"
          viewerId={viewer.userId}
          canDecide={false}
          linkSubjects={linkSubjects}
          testId="decided-claims"
        />
      ) : (
        <p className="muted">No claim decided yet.</p>
      )}
      {decided.total > decided.rows.length && (
        <p className="muted">
          The latest {decided.rows.length} of {decided.total}; all of them: <code>nhi claims list --status decided</code> or{' '}
          <code>GET /api/claims?status=decided</code>.
        </p>
      )}
    </section>
  );
}
