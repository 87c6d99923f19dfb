import type { Metadata } from 'next';
import Link from 'next/link';
import { FilterSelect } from '@/components/filter-select';
import { Pager } from '@/components/pager';
import { SeverityPill } from '@/components/severity';
import {
  FINDING_PAGE_SIZE,
  FINDING_SORTS,
  listFindings,
  parseFindingFilter,
  type FindingFilter,
  type FindingSort,
} from '@/lib/data/findings';
import { ariaSort, nextSort } from '@/lib/http/sort';
import { SortHeader } from '@/components/sort-header';
import { SortInputs } from '@/components/sort-inputs';
import { ExportLinks } from '@/components/export-links';
import { prisma } from '@/lib/db/client';
import { POSTURE_RULES } from '@/lib/findings/rules';
import { RUNTIME_RULE } from '@/lib/findings/runtime';
import { RULES as CREDENTIAL_RULES } from '@/lib/credentials/assess';
import { filterHref } from '@/lib/http/query';
import { OWASP_NHI_TOP10 } from '@/lib/owasp';
import { FilterError } from '@/components/filter-error';
import { FindingSubject } from '@/components/finding-subject';
import { pageViewer } from '@/lib/auth/page';
import { teamScope } from '@/lib/auth/principal';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Findings' };

const DEFAULTS = { page: 1, status: 'open' };
const pageHref = (f: FindingFilter, page: number) => filterHref('/findings', { ...f, page }, DEFAULTS);

/** A sortable column's header (no `sort`: the default order, open first and worst first, marks none). */
function Sortable({ f, column, label }: { f: FindingFilter; column: FindingSort; label: string }) {
  return (
    <SortHeader
      label={label}
      testId={`sort-${column}`}
      sorted={ariaSort(FINDING_SORTS, f, column)}
      href={filterHref('/findings', { ...f, ...nextSort(FINDING_SORTS, f, column), page: 1 }, DEFAULTS)}
    />
  );
}
const day = (iso: string) => iso.slice(0, 10);
const RULE_OPTIONS = [
  ...POSTURE_RULES.map((r) => [r.id, `${r.id} ${r.title}`] as const),
  ...Object.entries(CREDENTIAL_RULES).map(([id, r]) => [id, `${id} ${r.title}`] as const),
  [RUNTIME_RULE.id, `${RUNTIME_RULE.id} ${RUNTIME_RULE.title}`] as const,
];

export default async function FindingsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const viewer = await pageViewer('/findings', '/findings');
  const { filter, error } = parseFindingFilter(await searchParams);
  const { rows, total } = await listFindings(prisma(), filter, teamScope(viewer));
  const pages = Math.max(1, Math.ceil(total / FINDING_PAGE_SIZE));
  return (
    <section>
      <h1>Findings</h1>
      <form className="filters" method="get" action="/findings">
        <input name="cluster" placeholder="Cluster" defaultValue={filter.cluster ?? ''} aria-label="Cluster" />
        <input name="namespace" placeholder="Namespace" defaultValue={filter.namespace ?? ''} aria-label="Namespace" />
        <input name="owner" placeholder="Owner team" defaultValue={filter.owner ?? ''} aria-label="Owner" />
        <FilterSelect
          name="severity"
          label="Severity"
          any="Any severity"
          value={filter.severity}
          options={(['critical', 'high', 'medium', 'low', 'info'] as const).map((s) => [s, s])}
        />
        <FilterSelect
          name="owasp"
          label="OWASP item"
          any="Any OWASP item"
          value={filter.owasp}
          options={Object.entries(OWASP_NHI_TOP10).map(([id, name]) => [id, `${id} ${name}`])}
        />
        <FilterSelect name="rule" label="Rule" any="Any rule" value={filter.rule} options={RULE_OPTIONS} />
        <select name="status" defaultValue={filter.status} aria-label="Status">
          <option value="open">Open</option>
          <option value="excepted">Excepted</option>
          <option value="resolved">Resolved</option>
          <option value="all">All</option>
        </select>
        <SortInputs sort={filter.sort} dir={filter.dir} />
        <button type="submit">Filter</button>
      </form>
      <FilterError error={error} />
      <p className="muted" data-testid="finding-count">
        {total} findings · {filter.sort ? 'sorted by the marked column' : 'open first, worst first'} · one per rule and subject,
        resolved when a later collection no longer sees it
      </p>
      <ExportLinks route="/api/findings/export" values={filter} defaults={DEFAULTS} />
      <table className="data" data-testid="findings-table">
        <thead>
          <tr>
            <Sortable f={filter} column="severity" label="Severity" />
            <Sortable f={filter} column="rule" label="Rule" />
            <th>Subject</th>
            <th>OWASP</th>
            <th>CIS</th>
            <Sortable f={filter} column="firstSeen" label="First seen" />
            <Sortable f={filter} column="lastSeen" label="Last seen" />
            <Sortable f={filter} column="status" label="Status" />
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.id}>
              <td>
                <SeverityPill severity={f.severity} />
              </td>
              <td title={f.explanation}>
                <Link href={`/findings/${f.id}`}>{f.title}</Link> <span className="muted">{f.ruleId}</span>
              </td>
              <td>
                <FindingSubject f={f} />
              </td>
              <td>{f.owasp.map((o) => o.id).join(', ')}</td>
              <td>{f.cis ?? <span className="muted">—</span>}</td>
              <td>{day(f.firstSeenAt)}</td>
              <td>{day(f.lastSeenAt)}</td>
              <td>
                {f.status}
                {f.resolvedAt ? ` ${day(f.resolvedAt)}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!rows.length && <p>No finding matches.</p>}
      <Pager page={filter.page} pages={pages} href={(p) => pageHref(filter, p)} />
    </section>
  );
}
