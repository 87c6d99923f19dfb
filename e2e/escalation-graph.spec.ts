/**
 * The identity page's escalation graph (issue 14, item 3): the riskiest identity with a path to cluster-admin is
 * opened from the identities list, the graph draws its nodes, and selecting the cluster-admin node (by click, and by
 * keyboard) shows its details. Runs after overview.spec.ts has loaded the demo data; signed in as an admin.
 */
import { expect, test } from './fixtures';

test.describe('escalation graph on the identity page', () => {
  test('the riskiest identity with a path draws it; the cluster-admin node shows its details', async ({
    page,
    visit,
    request,
  }) => {
    const list = await visit('/identities?risk=cluster-admin', 'identities-cluster-admin');
    const links = list.getByTestId('identity-table').locator('tbody tr td a[href^="/identities/"]');
    await expect(links.first()).toBeVisible();
    // Riskiest first: the first listed identity whose stored paths draw a cluster-admin node.
    let chosen: string | undefined;
    for (const href of (await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')!))).slice(0, 20)) {
      const res = await request.get(`/api/identities/${href.split('/').pop()}/paths`);
      expect(res.status()).toBe(200);
      const graph = (await res.json()) as { nodes: { id: string }[]; shownPaths: number; totalPaths: number };
      expect(graph.shownPaths).toBeLessThanOrEqual(graph.totalPaths);
      if (graph.nodes.some((n) => n.id === 'cluster-admin')) {
        chosen = href;
        break;
      }
    }
    expect(chosen, 'one of the riskiest identities has a drawn path to cluster-admin').toBeTruthy();

    await visit(chosen!, 'identity-escalation-graph');
    const graph = page.getByTestId('escalation-graph');
    await expect(graph).toBeVisible();
    await expect(page.getByTestId('escalation-graph-count')).toContainText(/Showing \d+ of \d+ paths?/);
    const nodes = graph.getByTestId('graph-node');
    expect(await nodes.count()).toBeGreaterThanOrEqual(2);
    // The text equivalent stays.
    await expect(page.getByTestId('escalation')).toBeVisible();

    const admin = graph.locator('[data-node-id="cluster-admin"]');
    await expect(admin).toContainText('critical');
    await admin.click();
    const details = page.getByTestId('graph-details');
    await expect(details).toBeVisible();
    await expect(details.getByRole('heading')).toContainText('cluster-admin');
    await expect(details).toContainText('Target: cluster-admin');
    await expect(details).toContainText('critical');
    await expect(details).toContainText('Reached by');
    await page.screenshot({ path: 'e2e/screenshots/escalation-graph--cluster-admin-selected.png', fullPage: true });

    // Keyboard: focus the identity's own node and press Enter.
    const start = graph.locator('.react-flow__node').filter({ has: page.getByText('this identity') });
    await start.focus();
    await page.keyboard.press('Enter');
    await expect(details.getByRole('heading')).not.toContainText('cluster-admin');
    await expect(details).toContainText('Leads on');
  });

  test('the paths API answers 404 for an unknown identity and 400 for a bad cap', async ({ request }) => {
    expect((await request.get('/api/identities/00000000-0000-4000-8000-000000000000/paths')).status()).toBe(404);
    expect((await request.get('/api/identities/00000000-0000-4000-8000-000000000000/paths?maxNodes=1')).status()).toBe(400);
  });
});
