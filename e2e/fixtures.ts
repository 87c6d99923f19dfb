import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

export const screenshotDir = path.resolve('e2e', 'screenshots');

/**
 * Every page a test visits goes through `visit`, which waits for the page to settle, checks the status
 * (below 400 unless `status` says otherwise) and that the browser logged no error, and saves a full-page
 * screenshot to e2e/screenshots/<test>--<name>.png (git-ignored) for people to look at.
 */
export const test = base.extend<{ visit: (url: string, name: string, expected?: { status: number }) => Promise<Page> }>({
  visit: async ({ page }, provide, testInfo) => {
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    mkdirSync(screenshotDir, { recursive: true });
    const slug = testInfo.titlePath
      .slice(1)
      .join(' ')
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase();
    await provide(async (url, name, expected) => {
      consoleErrors.length = 0;
      const response = await page.goto(url);
      if (expected) expect(response?.status(), `status of ${url}`).toBe(expected.status);
      else expect(response?.status(), `status of ${url}`).toBeLessThan(400);
      await page.waitForLoadState('networkidle');
      // A page that fails on purpose logs its failure (the 404 or 500 of the document) in the console.
      if (!expected) expect(consoleErrors, `browser console errors on ${url}`).toEqual([]);
      await page.screenshot({ path: path.join(screenshotDir, `${slug}--${name}.png`), fullPage: true });
      return page;
    });
  },
});

export { expect };

/** The first admin the e2e server makes (playwright.config.ts), signed in by e2e/auth.setup.ts for every spec. */
export const E2E_ADMIN = { email: 'admin@e2e.test', password: 'e2e admin password, not secret' };

/** The signed-in session's CSRF header, for state-changing API requests a spec makes itself. */
export async function csrfHeaders(request: APIRequestContext): Promise<Record<string, string>> {
  const me = (await (await request.get('/api/auth/me')).json()) as { csrf?: string };
  if (!me.csrf) throw new Error('not signed in: no CSRF token');
  return { 'x-csrf-token': me.csrf };
}
