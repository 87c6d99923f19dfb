import type { Metadata } from 'next';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { TrailTable } from '@/components/trail-table';
import { pgPool } from '@/lib/db/pool';
import { filterHref } from '@/lib/http/query';
import { TRAIL_ACTION_LABELS, TRAIL_ACTIONS } from '@/lib/trail/actions';
import { listTrail, parseTrailFilter, verifyTrail } from '@/lib/trail/read';
import { FilterError } from '@/components/filter-error';
import { pageViewer } from '@/lib/auth/page';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Activity trail' };

export default async function TrailPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await pageViewer('/trail', '/trail');
  const { filter, error } = parseTrailFilter(await searchParams);
  const pool = pgPool();
  const [page, chain] = await Promise.all([listTrail(pool, filter), verifyTrail(pool)]);
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const { page: _page, ...rest } = filter;
  return (
    <section>
      <h1>Activity trail</h1>
      <p
        className={chain.broken ? 'pill pill-down' : 'pill pill-ok'}
        data-testid="trail-chain"
        role={chain.broken ? 'alert' : undefined}
      >
        {chain.line}
      </p>
      <p className="muted">
        Every change people make (exceptions, anomaly decisions, suppression rules, workload classes, ingest tokens, exports) is
        written here in the same transaction as the change, append-only and chained by SHA-256: an entry edited, deleted or moved
        breaks the chain from there. Head: entry {chain.head?.seq ?? '—'}{' '}
        <code className="small">{chain.head?.hash ?? 'missing'}</code>. Check it from a terminal with{' '}
        <code>npx nhi trail verify</code>; export it from <a href="/reports">Reports</a>.
      </p>
      <form className="filters" method="get" aria-label="Filter the trail">
        <FilterSelect
          name="action"
          label="Action"
          any="any action"
          value={filter.action}
          options={TRAIL_ACTIONS.map((a) => [a, TRAIL_ACTION_LABELS[a]] as const)}
        />
        <input name="actor" defaultValue={filter.actor ?? ''} placeholder="Actor" aria-label="Actor" />
        <input name="target" defaultValue={filter.target ?? ''} placeholder="Target starts with" aria-label="Target" />
        <input name="since" defaultValue={filter.since ?? ''} placeholder="Since (7d or a date)" aria-label="Since" />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="trail-count">
        {page.total} entries
      </p>
      {page.items.length ? <TrailTable entries={page.items} /> : <p>No entry matches.</p>}
      <Pager page={page.page} pages={pages} href={(p) => filterHref('/trail', { ...rest, page: p }, { page: 1, pageSize: 50 })} />
    </section>
  );
}
