/**
 * The overview as a security lead reads it every morning, on the demo data (loaded by overview.spec.ts, which runs
 * first): identity sprawl, risk with the ten riskiest identities linked, paths to cluster-admin, coverage, open
 * anomalies, audit principals, trends with their tables, and each cluster's status. Then a service owner of the
 * demo's `payments` team sees their slice only, without the cluster-wide blocks.
 */
import { ensureUser, expect, signInAs, test } from './fixtures';

const OWNER = { email: 'payments-owner@overview-lead.test', password: 'an overview e2e password', role: 'service_owner' };

test.describe.serial('overview for a security lead', () => {
  test('every block is shown, with numbers, and no block failed', async ({ page, visit }) => {
    await visit('/', 'overview-lead');
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    for (const name of [
      'Identity sprawl',
      'Risk',
      'Escalation paths (anomalous sources first)',
      'Short-lived credential coverage',
      'Open anomalies',
      'Principals in the audit logs',
      'Trends (last 30 days)',
      'Clusters',
      'Runtime ingestion',
    ])
      await expect(page.getByRole('heading', { level: 2, name, exact: true })).toBeVisible();
    await expect(page.getByTestId('block-error')).toHaveCount(0);
    await expect(page.getByTestId('block-loading')).toHaveCount(0);

    await expect(page.getByTestId('sprawl-summary')).toContainText(/\d+ identities/);
    await expect(page.getByTestId('sprawl-summary')).toContainText(/\d+ unowned \(\d+%\)/);
    for (const id of ['sprawl-kind', 'sprawl-cluster', 'sprawl-namespace', 'sprawl-team', 'sprawl-per-workload', 'risk-bands'])
      await expect(page.getByTestId(id).locator('figcaption')).not.toBeEmpty();
    await expect(page.getByTestId('sprawl-namespace')).toContainText('other namespaces');

    // Each chart is an image with a text summary, and its numbers are a table too.
    const kinds = page.getByTestId('sprawl-kind');
    await expect(kinds.getByRole('img')).toHaveAttribute('aria-label', /ServiceAccount \d+/);
    await kinds.getByText('Show as a table').click();
    await expect(kinds.getByRole('table')).toContainText('ServiceAccount');

    await expect(page.getByTestId('escalation-paths')).toContainText('is cluster-admin');
    await expect(page.getByTestId('coverage-summary')).toContainText('%');
    await expect(page.getByTestId('anomaly-severities')).toContainText('open');
    await expect(page.getByTestId('principals')).toContainText('demo-cluster');
    await expect(page.getByTestId('principals-summary')).toContainText('machine principals');
    for (const id of ['trend-identities', 'trend-riskMean', 'trend-coverage', 'trend-anomalies'])
      await expect(page.getByTestId(id)).toBeVisible();
    await expect(page.getByTestId('cluster-row-demo-cluster')).toBeVisible();
    await expect(page.getByTestId('ingestion-status')).toBeVisible();
  });

  test('the ten riskiest identities are listed highest first and link to their page', async ({ page, visit }) => {
    await visit('/', 'overview-top-risks');
    const rows = page.getByTestId('top-risks').locator('tbody tr');
    await expect(rows).toHaveCount(10);
    const scores = (await rows.getByTestId('risk-score').allTextContents()).map(Number);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const first = rows.first().getByRole('link');
    const name = (await first.textContent())!;
    await first.click();
    await page.waitForURL(/\/identities\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  });

  test('GET /api/overview answers every block', async ({ request }) => {
    const res = await request.get('/api/overview?cluster=demo-cluster');
    expect(res.status()).toBe(200);
    const body = (await res.json()) as Record<string, { ok: boolean } | null>;
    for (const [name, block] of Object.entries(body)) expect(block?.ok, name).toBe(true);
    expect((await request.get('/api/overview?cluster=no-such-cluster')).status()).toBe(400);
    expect((await request.get('/api/overview?days=1000')).status()).toBe(400);
  });

  test('a service owner sees their team’s slice, without the cluster-wide blocks', async ({ page, visit, request }) => {
    await ensureUser(request, { ...OWNER, teams: ['payments'] });
    await signInAs(page, visit, OWNER.email, OWNER.password, '/');
    await visit('/', 'overview-service-owner');
    await expect(page.getByRole('heading', { level: 1, name: 'Overview of payments' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Principals in the audit logs' })).toHaveCount(0);
    await expect(page.getByRole('heading', { name: 'Runtime ingestion' })).toHaveCount(0);
    await expect(page.getByTestId('sprawl-summary')).toContainText(/0 unowned/);
    const api = (await (await page.request.get('/api/overview')).json()) as {
      sprawl: { data: { total: number; byTeam: { team: string }[] } };
      principals: unknown;
      ingestion: unknown;
    };
    expect(api.principals).toBeNull();
    expect(api.ingestion).toBeNull();
    expect(api.sprawl.data.total).toBeGreaterThan(0);
    expect(api.sprawl.data.byTeam.map((t) => t.team)).toContain('payments');
  });
});
