import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';

export const screenshotDir = path.resolve('e2e', 'screenshots');

/**
 * Every page a test visits goes through `visit`, which waits for the page to settle, checks the status
 * (below 400 unless `status` says otherwise), that the browser logged no error and that axe finds no serious
 * or critical accessibility violation, and saves a full-page screenshot to
 * e2e/screenshots/<test>--<name>.png (git-ignored) for people to look at.
 */
export const test = base.extend<{ visit: Visit }>({
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
      // Going to the URL the page is on, but for its #fragment, is no navigation (no response): load it again.
      const response = (await page.goto(url)) ?? (await page.reload());
      if (expected) expect(response?.status(), `status of ${url}`).toBe(expected.status);
      else expect(response?.status(), `status of ${url}`).toBeLessThan(400);
      await page.waitForLoadState('networkidle');
      // A page that fails on purpose logs its failure (the 404 or 500 of the document) in the console.
      if (!expected) expect(consoleErrors, `browser console errors on ${url}`).toEqual([]);
      await expectAccessible(page, url);
      await page.screenshot({ path: path.join(screenshotDir, `${slug}--${name}.png`), fullPage: true });
      return page;
    });
  },
});

export { expect };

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it is now: a serious or critical violation fails, named with
 * the elements it found (minor and moderate ones are left to review).
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
  expect(serious, `axe on ${what}`).toEqual([]);
}

/** The first admin the e2e server makes (playwright.config.ts), signed in by e2e/auth.setup.ts for every spec. */
export const E2E_ADMIN = { email: 'admin@e2e.test', password: 'e2e admin password, not secret' };

export type Visit = (url: string, name: string, expected?: { status: number }) => Promise<Page>;

/** Signs the page's browser in as `email` through the sign-in page (its cookies cleared first) and waits for `next`. */
export async function signInAs(page: Page, visit: Visit, email: string, password: string, next: string): Promise<void> {
  await page.context().clearCookies();
  const form = await visit(`/sign-in?next=${encodeURIComponent(next)}`, `sign-in-${email.split('@')[0]}`);
  await form.getByLabel('E-mail address').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await form.waitForURL((u) => u.pathname === next.split('?')[0]);
}

/** Makes a user through the admin's API (409: made by an earlier try of the same hook). */
export async function ensureUser(
  request: APIRequestContext,
  user: { email: string; role: string; teams?: string[]; password: string },
): Promise<void> {
  const res = await request.post('/api/users', {
    headers: await csrfHeaders(request),
    data: {
      email: user.email,
      name: user.email.split('@')[0],
      role: user.role,
      teams: user.teams ?? [],
      password: user.password,
    },
  });
  expect([200, 409], await res.text()).toContain(res.status());
}

/** The signed-in session's CSRF header, for state-changing API requests a spec makes itself. */
export async function csrfHeaders(request: APIRequestContext): Promise<Record<string, string>> {
  const me = (await (await request.get('/api/auth/me')).json()) as { csrf?: string };
  if (!me.csrf) throw new Error('not signed in: no CSRF token');
  return { 'x-csrf-token': me.csrf };
}
