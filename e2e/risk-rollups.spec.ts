import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';

// Runs after overview.spec.ts (the first-run project of playwright.config.ts), on its database with the demo dataset.
// The roll-ups are read from the counts kept beside the scores (lib/risk/rollups.ts): the page shows them, the
// API gives the same numbers, and they agree with the ranked list below them.
test.describe.serial('risk roll-ups', () => {
  test.beforeAll(async () => {
    await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {});
  });

  test('the Risk page shows the roll-ups per cluster, namespace and team, and the trend, as the API gives them', async ({
    visit,
    request,
  }) => {
    const api = await request.get('/api/risk/rollups');
    expect(api.status()).toBe(200);
    const body = (await api.json()) as {
      clusters: { name: string; identities: number; mean: number; p90: number; max: number; high: number }[];
      namespaces: { name: string }[];
      teams: { name: string; identities: number }[];
      trend: { cluster: string; day: string }[];
    };
    expect(body.clusters.length).toBeGreaterThan(0);
    expect(body.trend.length).toBeGreaterThan(0);

    const page = await visit('/risk', 'list');
    const clusters = page.getByTestId('rollup-clusters');
    const first = body.clusters[0]!;
    const row = clusters.locator('tbody > tr').filter({ hasText: first.name });
    await expect(row.locator('td.num')).toHaveText([first.identities, first.mean, first.p90, first.max, first.high].map(String));
    await expect(page.getByTestId('rollup-namespaces').locator('tbody > tr')).toHaveCount(Math.min(10, body.namespaces.length));
    await expect(page.getByTestId('rollup-teams').locator('tbody > tr')).toHaveCount(Math.min(10, body.teams.length));
    // The trend is drawn when one cluster has one (the demo's, unless other specs added clusters).
    const trendClusters = new Set(body.trend.map((t) => t.cluster));
    await expect(page.getByRole('heading', { name: /^Trend/ })).toHaveCount(trendClusters.size === 1 ? 1 : 0);

    // A cluster's identities counted in its roll-up are those the list below counts for it.
    await row.getByRole('link', { name: first.name }).click();
    await page.waitForURL(/cluster=/);
    await expect(page.getByTestId('risk-count')).toHaveText(`${first.identities} scored`);

    // A team's link filters the list to what it owns: as many as its roll-up counts.
    const team = body.teams.find((t) => t.name !== '(none)');
    if (team) {
      const filtered = await visit(`/risk?team=${encodeURIComponent(team.name)}`, 'list');
      await expect(filtered.getByTestId('risk-count')).toHaveText(`${team.identities} scored`);
    }
  });
});
