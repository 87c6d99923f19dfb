/**
 * Writes lib/http/api-index.ts, the list of every route module under app/api with the summary of each method
 * (the doc comment above its `export const GET = route(…)`), which GET /api/openapi.json turns into the
 * OpenAPI document. `npm run api:index` rewrites it; lib/http/api-index.test.ts fails when it is stale.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const INDEX_FILE = 'lib/http/api-index.ts';

export interface RouteSource {
  /** `/api/findings/{id}` (OpenAPI path form). */
  path: string;
  /** `app/api/findings/[id]/route.ts`, relative to the repository. */
  file: string;
  /** Method → the first paragraph of its doc comment, whitespace folded. */
  summaries: Record<string, string>;
}

function routeFiles(root: string, dir = 'app/api'): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? routeFiles(root, `${dir}/${e.name}`) : e.name === 'route.ts' ? [`${dir}/${e.name}`] : []));
}

const METHOD = /(\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?export const (GET|POST|PUT|PATCH|DELETE)\s*=/g;

/** The summaries of the methods a route file exports. */
export function summariesOf(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of source.matchAll(METHOD)) {
    const doc = (m[2] ?? '')
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, ''))
      .join('\n')
      .trim()
      .split(/\n\s*\n/)[0]!
      .replace(/\s+/g, ' ')
      .trim();
    out[m[3]!] = doc;
  }
  return out;
}

export function routeSources(root: string): RouteSource[] {
  return routeFiles(root).map((file) => ({
    path: file
      .replace(/^app/, '')
      .replace(/\/route\.ts$/, '')
      .replace(/\[([^\]]+)\]/g, '{$1}'),
    file,
    summaries: summariesOf(readFileSync(path.join(root, file), 'utf8')),
  }));
}

/** The text of lib/http/api-index.ts. */
export function renderIndex(root: string): string {
  const entries = routeSources(root).map(
    (r) =>
      `  {\n    path: ${JSON.stringify(r.path)},\n    file: ${JSON.stringify(r.file)},\n    summaries: ${JSON.stringify(r.summaries)},\n    load: () => import(${JSON.stringify(`@/${r.file.replace(/\.ts$/, '')}`)}),\n  },`,
  );
  return [
    '// Written by `npm run api:index` (lib/http/api-index-gen.ts) from app/api: do not edit by hand.',
    "import type { ApiRouteEntry } from './openapi';",
    '',
    'export const API_ROUTES: ApiRouteEntry[] = [',
    ...entries,
    '];',
    '',
  ].join('\n');
}
