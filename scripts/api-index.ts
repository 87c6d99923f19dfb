/** Rewrites lib/http/api-index.ts from app/api (see lib/http/api-index-gen.ts). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { INDEX_FILE, renderIndex } from '@/lib/http/api-index-gen';
import { repoRoot } from '@/lib/paths';

writeFileSync(path.join(repoRoot, INDEX_FILE), renderIndex(repoRoot));
process.stdout.write(`wrote ${INDEX_FILE}\n`);
