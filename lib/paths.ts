import path from 'node:path';

/**
 * The repository root. `bin/nhi.mjs` sets NHI_ROOT (so `npx nhi` works from any folder) and passes it on to
 * the web server it starts; tests and tools run from the root itself. Not derived from import.meta.url
 * because inside the Next.js server bundle that points into .next/.
 */
export const repoRoot: string = path.resolve(/*turbopackIgnore: true*/ process.env.NHI_ROOT ?? process.cwd());
