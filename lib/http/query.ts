import type { z } from 'zod';

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

/**
 * A list page's query string parsed with its zod schema (one value per key, empty values dropped). A bad
 * value gives the schema's defaults and a message naming the field, which the page shows.
 */
export function parseFilter<S extends z.ZodType>(
  schema: S,
  params: Record<string, string | string[] | undefined>,
): { filter: z.output<S>; error?: string } {
  const flat = Object.fromEntries(
    Object.entries(params)
      .map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])
      .filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(flat);
  if (parsed.success) return { filter: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { filter: schema.parse({}), error: `Invalid filter "${issue.path.join('.')}": ${issue.message}` };
}
