#!/usr/bin/env node
// Runs `prisma generate` without letting the CLI download its schema-engine binary (it cannot be
// fetched on machines that only reach the package registries). Generation needs no engine binary:
// the CLI only checks that PRISMA_SCHEMA_ENGINE_BINARY names an existing file, so point it at one
// unless the caller already has a real engine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const env = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
