import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';

// Runs after overview.spec.ts (the first-run project of playwright.config.ts), on its database with the demo dataset,
// scored when it was loaded (lib/risk).
test.describe.serial('risk and exceptions', () => {
  test.beforeAll(async () => {
    await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {});
  });

  test('the Risk page ranks identities; the riskiest one shows factors that add up to its score, with evidence links', async ({
    visit,
    request,
  }) => {
    const page = await visit('/risk', 'list');
    await expect(page.getByTestId('rollup-clusters')).toContainText('demo');
    const rows = page.getByTestId('risk-table').locator(':scope > tbody > tr');
    expect(await rows.count()).toBe(50);
    const scores = (await page.getByTestId('risk-table').getByTestId('risk-score').allTextContents()).map(Number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    // The top identity's page: the factors' points add up to the score shown.
    await rows.first().getByRole('link').first().click();
    await page.waitForURL(/\/identities\/[0-9a-f-]+#risk/);
    const panel = page.getByTestId('risk-panel');
    await expect(panel).toBeVisible();
    const total = Number(await panel.getByTestId('risk-total').textContent());
    const points = (await panel.getByTestId('risk-factors').locator(':scope > tbody > tr > td.num').allTextContents()).map((t) =>
      Number(t.replace('+', '')),
    );
    expect(points.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Number(await panel.getByTestId('risk-score').first().textContent())).toBe(total);
    expect(await panel.locator('ul.evidence a').count()).toBeGreaterThan(0);

    // The API gives the same ten, each adding up.
    const api = await request.get('/api/risk?pageSize=10');
    expect(api.status()).toBe(200);
    const body = (await api.json()) as { rows: { score: number; factors: { points: number }[] }[] };
    expect(body.rows).toHaveLength(10);
    for (const r of body.rows) expect(r.factors.reduce((s, f) => s + f.points, 0)).toBe(r.score);
    expect((await request.get('/api/risk?min=900')).status()).toBe(400);
  });

  test('a finding is accepted with a justification, an approver and an expiry, listed with its approver, and revoked', async ({
    visit,
    request,
  }) => {
    const list = await visit('/findings?rule=NHI-POS-005', 'findings-mutable-tags');
    await list.getByTestId('findings-table').locator('tbody tr').first().getByRole('link').first().click();
    await list.waitForURL(/\/findings\/[0-9a-f-]{36}$/);
    const findingUrl = list.url();
    await expect(list.getByTestId('finding-status')).toHaveText('open');
    await expect(list.getByTestId('fix-command')).toContainText('crane digest');

    // The approver must be someone else: refused with the reason.
    const form = list.getByTestId('exception-form');
    await form.getByLabel('Justification').fill('Vendor image; pinned at the next release');
    await form.getByLabel('Requested by').fill('admin@e2e.test');
    await form.getByRole('button', { name: 'Accept the risk' }).click();
    await expect(form.getByRole('alert')).toContainText('approver must be someone other than the requester');

    await form.getByLabel('Requested by').fill('alice');
    await form.getByLabel('Expires after').selectOption('90d');
    await form.getByRole('button', { name: 'Accept the risk' }).click();
    await expect(list.getByTestId('finding-status')).toHaveText('excepted');
    await expect(list.getByTestId('exceptions-table')).toContainText('admin@e2e.test');

    const page = await visit('/exceptions?state=active', 'exceptions-active');
    const row = page.getByTestId('exceptions-table').locator('tbody tr').first();
    await expect(row).toContainText('Vendor image; pinned at the next release');
    await expect(row).toContainText('alice');
    await expect(row).toContainText('admin@e2e.test');

    // A cross-site POST is refused whatever its body.
    const forged = await request.post('/api/exceptions', {
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      data: {
        findingId: findingUrl.split('/').pop(),
        reason: 'forged by another site',
        requestedBy: 'x',
        expires: '1d',
      },
    });
    expect(forged.status()).toBe(403);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByTestId('exception-count')).toHaveText('0 exceptions');
    const again = await visit(findingUrl, 'finding-reopened');
    await expect(again.getByTestId('finding-status')).toHaveText('open');
    await expect(again.getByTestId('exceptions-table').locator('tbody tr')).toHaveCount(1);
  });
});
