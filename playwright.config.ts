import { defineConfig } from '@playwright/test';

// End-to-end tests: a production build (`next build` + `next start` through `nhi web`) in Debian's
// headless Chromium. The test runner (scripts/test-all.ts) creates and migrates the database it passes
// as NHI_E2E_DATABASE_URL, and drops it afterwards.
const port = Number(process.env.NHI_E2E_PORT ?? 3100);
const databaseUrl = process.env.NHI_E2E_DATABASE_URL;
if (!databaseUrl) {
  throw new Error('NHI_E2E_DATABASE_URL is not set: run the end-to-end tests with `npm run test:e2e` (or `npm test`).');
}

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
    trace: 'retain-on-failure',
  },
  // The specs run signed in as the first admin (e2e/auth.setup.ts signs in through the sign-in page once);
  // e2e/auth-pages.spec.ts signs in as each role itself.
  // Order: sign in (setup), then the first run on the empty database, which ends by loading the demo data
  // (overview.spec.ts), then every other spec on the demo data, whatever its file name.
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts$/ },
    {
      name: 'first-run',
      dependencies: ['setup'],
      testMatch: /overview\.spec\.ts$/,
      use: { storageState: 'test-results/e2e-auth/admin.json' },
    },
    {
      name: 'chromium',
      dependencies: ['first-run'],
      testIgnore: /overview\.spec\.ts$/,
      use: { storageState: 'test-results/e2e-auth/admin.json' },
    },
  ],
  webServer: {
    command: `node bin/nhi.mjs web --port ${port} --hostname 127.0.0.1`,
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: databaseUrl,
      NEXT_TELEMETRY_DISABLED: '1',
      // The first admin (lib/auth/users.ts ensureFirstAdmin), made when the server starts on the empty database.
      NHI_ADMIN_EMAIL: 'admin@e2e.test',
      NHI_ADMIN_PASSWORD: 'e2e admin password, not secret',
    },
  },
});
