import type { Metadata } from 'next';
import Link from 'next/link';
import { ExceptionTable } from '@/components/exception-table';
import { pgPool } from '@/lib/db/pool';
import { EXCEPTION_STATES, exceptionFilterSchema, listExceptions } from '@/lib/findings/exceptions';
import { parseFilter } from '@/lib/http/query';
import { FilterError } from '@/components/filter-error';
import { pageViewer } from '@/lib/auth/page';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Exceptions' };

export default async function ExceptionsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await pageViewer('/exceptions', '/exceptions');
  const { filter, error } = parseFilter(exceptionFilterSchema, await searchParams);
  const exceptions = await listExceptions(pgPool(), filter);
  return (
    <section>
      <h1>Exceptions</h1>
      <p className="muted">
        Findings accepted as known risks: each with its justification, who asked, who approved it and until when. An expired or
        revoked exception reopens its finding. Accept a finding from its page (<Link href="/findings">Findings</Link>).
      </p>
      <nav className="tabs" aria-label="State">
        {EXCEPTION_STATES.map((s) => (
          <Link
            key={s}
            href={s === 'all' ? '/exceptions' : `/exceptions?state=${s}`}
            aria-current={filter.state === s ? 'page' : undefined}
          >
            {s}
          </Link>
        ))}
      </nav>
      <FilterError error={error} />
      <p className="muted" data-testid="exception-count">
        {exceptions.length} exceptions
      </p>
      {exceptions.length ? <ExceptionTable exceptions={exceptions} /> : <p>No exception matches.</p>}
    </section>
  );
}
