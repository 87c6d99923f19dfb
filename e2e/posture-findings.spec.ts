import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';

// Runs after overview.spec.ts (the first-run project of playwright.config.ts), on its database with the demo dataset,
// whose posture findings were written when it was imported (lib/findings).
test.describe.serial('findings', () => {
  test.beforeAll(async () => {
    await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {});
  });

  test('the Findings page lists posture findings worst first, filters them on the server, and refuses a bad filter', async ({
    visit,
    request,
  }) => {
    const page = await visit('/findings', 'list');
    const table = page.getByTestId('findings-table');
    await expect(table.locator('tbody tr').first()).toBeVisible();
    await expect(table.locator('tbody tr').first()).toContainText('critical');

    await page.getByLabel('Rule').selectOption('NHI-POS-004');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/rule=NHI-POS-004/);
    await expect(page.getByTestId('findings-table')).toContainText('falco');
    const rows = page.getByTestId('findings-table').locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    for (const text of await rows.allTextContents()) expect(text).toContain('NHI-POS-004');

    const api = await request.get('/api/findings?rule=NHI-POS-004&severity=critical');
    expect(api.status()).toBe(200);
    expect((await request.get('/api/findings?severity=dreadful')).status()).toBe(400);
    await visit('/findings?status=sometimes', 'bad-filter');
    await expect(page.getByText('Invalid filter "status"')).toBeVisible();
  });
});
