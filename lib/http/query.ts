/**
 * The URL of a filtered list page: the filter's values as the query string, leaving out empty values and
 * those equal to their default (so a shared link stays short and means the same thing).
 */
export function filterHref(path: string, values: Record<string, unknown>, defaults: Record<string, unknown> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === '' || defaults[k] === v) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
