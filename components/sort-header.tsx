import Link from 'next/link';

/**
 * A sortable column header of a list page: a link to the same view sorted by the column (lib/http/sort.ts
 * nextSort), `aria-sort` on the <th>, and the current direction shown as an arrow with words for screen readers.
 */
export function SortHeader({
  label,
  href,
  sorted,
  className,
  testId,
}: {
  label: string;
  /** The view sorted by this column (the other direction when it is the current one). */
  href: string;
  sorted: 'ascending' | 'descending' | 'none';
  className?: string;
  testId?: string;
}) {
  return (
    <th className={className} aria-sort={sorted} scope="col" data-testid={testId}>
      <Link href={href} className="sort-link">
        {label}
        {sorted !== 'none' && (
          <>
            <span aria-hidden="true"> {sorted === 'ascending' ? '▲' : '▼'}</span>
            <span className="sr-only"> (sorted {sorted})</span>
          </>
        )}
      </Link>
    </th>
  );
}
