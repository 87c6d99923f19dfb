/**
 * Every page of the app, on the demo data, in the light and the dark theme: it renders with no console
 * error, axe finds no serious or critical WCAG 2.1 A/AA violation (contrast included, so both themes are
 * checked), the keyboard reaches the main navigation through the skip link first, and a screenshot of each
 * is saved (e2e/screenshots/). Runs after overview.spec.ts has loaded the demo data; signed in as the admin.
 */
import { expect, expectAccessible, test } from './fixtures';
import { demoIds, pagePatterns, urlOf, type DemoIds } from './page-urls';

let ids: DemoIds;
test.beforeAll(async () => {
  ids = await demoIds();
});

for (const theme of ['light', 'dark'] as const)
  test.describe(`every page in the ${theme} theme`, () => {
    test.use({ colorScheme: theme });
    for (const pattern of pagePatterns().filter((p) => p !== '/sign-in'))
      test(`${pattern}`, async ({ visit }) => {
        const page = await visit(urlOf(pattern, ids), `${theme}-${pattern.replace(/[^a-z0-9]+/gi, '-') || 'overview'}`);
        await expect(page.locator('h1').first()).toBeVisible();
        expect(await page.locator('html').evaluate((el) => getComputedStyle(el).colorScheme)).toContain(theme);
      });
  });

test('the sign-in page is accessible to a signed-out browser', async ({ browser }) => {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expectAccessible(page, '/sign-in');
  await context.close();
});

test('the keyboard reaches the skip link first, and it moves focus to the main content', async ({ page }) => {
  await page.goto('/identities');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#content')).toBeFocused();
});

test('the theme switch changes the theme and keeps it across pages without a flash', async ({ page }) => {
  await page.goto('/');
  const html = page.locator('html');
  await page.getByLabel('Theme').selectOption('dark');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  const background = () => html.evaluate((el) => getComputedStyle(el).backgroundColor);
  const dark = await background();
  // The server renders the chosen theme (a cookie), so the next document arrives dark.
  const response = await page.request.get('/identities');
  expect(await response.text()).toContain('data-theme="dark"');
  await page.goto('/identities');
  expect(await background()).toBe(dark);
  await page.getByLabel('Theme').selectOption('light');
  await expect(html).toHaveAttribute('data-theme', 'light');
  expect(await background()).not.toBe(dark);
  await page.getByLabel('Theme').selectOption('system');
});
