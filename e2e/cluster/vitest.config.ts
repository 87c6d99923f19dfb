import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Only the test-cluster tests, with no database: `npx vitest run -c e2e/cluster/vitest.config.ts`. */
export default defineConfig({
  root,
  resolve: { alias: { '@': root } },
  test: {
    name: 'cluster',
    include: ['e2e/cluster/**/*.int.test.ts'],
    environment: 'node',
    globalSetup: ['e2e/cluster/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
