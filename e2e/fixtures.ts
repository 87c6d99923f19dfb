import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

export const screenshotDir = path.resolve('e2e', 'screenshots');

/**
 * Every page a test visits goes through `visit`, which waits for the page to settle and saves a
 * full-page screenshot to e2e/screenshots/<test>--<name>.png (git-ignored) for people to look at.
 */
export const test = base.extend<{ visit: (url: string, name: string) => Promise<Page> }>({
  visit: async ({ page }, provide, testInfo) => {
    mkdirSync(screenshotDir, { recursive: true });
    const slug = testInfo.titlePath
      .slice(1)
      .join(' ')
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase();
    await provide(async (url, name) => {
      const response = await page.goto(url);
      expect(response?.status(), `status of ${url}`).toBeLessThan(400);
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: path.join(screenshotDir, `${slug}--${name}.png`), fullPage: true });
      return page;
    });
  },
});

export { expect };
