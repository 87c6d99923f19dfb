import { filterHref } from '@/lib/http/query';

/**
 * "Export CSV" and "Export JSON" of a list page: its export route with the view's filters and sort (every
 * page, not only the one shown), downloaded as a file.
 */
export function ExportLinks({
  route,
  values,
  defaults = {},
}: {
  /** The list's export route, e.g. /api/identities/export. */
  route: string;
  /** The view's filter and sort (`page` is left out). */
  values: Record<string, unknown>;
  defaults?: Record<string, unknown>;
}) {
  const { page: _page, ...view } = values;
  const href = (format: 'csv' | 'json') => filterHref(route, { format, ...view }, defaults);
  return (
    <p className="export-links small" data-testid="export-links">
      <a href={href('csv')} download data-testid="export-csv">
        Export CSV
      </a>
      {' · '}
      <a href={href('json')} download data-testid="export-json">
        Export JSON
      </a>
      <span className="muted"> (all pages of this view)</span>
    </p>
  );
}
