/**
 * The workloads list and a workload's timeline in the browser (issue 14), on the demo data loaded by
 * overview.spec.ts, signed in as the admin: the list filters, sorts (aria-sort on the header) and keeps its
 * view in the URL; the timeline's category toggles and its From/To window are in the URL and narrow the list
 * of events; the API answers the same view and refuses bad values.
 */
import { expect, test } from './fixtures';

interface Row {
  id: string;
  namespace: string;
  name: string;
  kind: string;
  podCount: number;
}

test.describe.serial('workloads list and timeline', () => {
  let rows: Row[] = [];

  test('the list shows the workloads, filters them in the URL and sorts by a column', async ({ page, visit, request }) => {
    const api = (await (await request.get('/api/workloads')).json()) as { total: number; rows: Row[] };
    expect(api.total).toBeGreaterThan(0);
    rows = api.rows;

    await visit('/workloads', 'list');
    await expect(page.getByRole('heading', { level: 1, name: 'Workloads' })).toBeVisible();
    await expect(page.getByTestId('workload-count')).toContainText(`${api.total.toLocaleString('en')} workload`);
    const table = page.getByTestId('workload-table');
    await expect(table.locator('tbody tr')).toHaveCount(Math.min(50, api.total));
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workloads' })).toBeVisible();

    // Sorted by name by default; a click on "Pods" sorts by it (most first), with aria-sort on its header.
    await expect(page.getByTestId('sort-name')).toHaveAttribute('aria-sort', 'ascending');
    await expect(page.getByTestId('sort-pods')).toHaveAttribute('aria-sort', 'none');
    await page.getByTestId('sort-pods').getByRole('link').click();
    await page.waitForURL(/sort=pods&dir=desc/);
    await expect(page.getByTestId('sort-pods')).toHaveAttribute('aria-sort', 'descending');
    await visit(page.url(), 'sorted-by-pods');

    // The GET form's filters go to the URL; the search keeps the sort.
    const kind = rows[0]!.kind;
    await page.getByLabel('Kind').selectOption(kind);
    await page.getByLabel('Search').fill(rows[0]!.name);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('kind') === kind && u.searchParams.get('sort') === 'pods');
    await expect(page.getByTestId('workload-table')).toContainText(rows[0]!.name);
    await visit(page.url(), 'filtered');

    // Nothing matches: the empty state, with a way back.
    await visit('/workloads?q=no-such-workload-anywhere', 'empty');
    await expect(page.getByTestId('workload-empty')).toContainText('No workload matches');
    // A bad value is named, and the list falls back to everything.
    await visit('/workloads?sort=secret', 'bad-filter');
    await expect(page.getByRole('alert').filter({ hasText: 'Invalid filter' })).toContainText('"sort"');
  });

  test("a workload's timeline: chart, category toggles and a window kept in the URL", async ({ page, visit, request }) => {
    const id = rows[0]!.id;
    const whole = (await (await request.get(`/api/workloads/${id}/timeline`)).json()) as {
      events: { kind: string; category: string; at: string }[];
      counts: Record<string, number>;
    };
    expect(whole.events.map((e) => e.kind)).toContain('workload.first_seen');

    await visit(`/workloads/${id}#timeline`, 'timeline');
    const timeline = page.getByTestId('workload-timeline');
    await expect(timeline).toBeVisible();
    await expect(page.getByTestId('timeline-chart')).toBeVisible();
    const list = page.getByTestId('workload-timeline-list');
    await expect(list.locator('li')).toHaveCount(whole.events.length);

    // Toggle "Deployments and images" off, with the keyboard: the URL says so and the list leaves them out.
    const deploy = page.getByRole('checkbox', { name: /Deployments and images/ });
    await deploy.focus();
    await page.keyboard.press('Space');
    await page.waitForURL(/types=/);
    expect(new URL(page.url()).searchParams.get('types')).not.toContain('deploy');
    await expect(page.getByRole('checkbox', { name: /Deployments and images/ })).not.toBeChecked();
    await expect(page.getByTestId('workload-timeline-list').locator('li[data-category="deploy"]')).toHaveCount(0);
    await visit(page.url(), 'timeline-without-deploy');

    // A window typed into From/To (UTC) and applied: a link to share; "Whole history" clears it.
    const first = whole.events.at(-1)!.at;
    await page.getByLabel('From (UTC)').fill(first.slice(0, 16));
    await page.getByLabel('To (UTC)').fill('2100-01-01T00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/from=/);
    const shared = page.url();
    expect(new URL(shared).searchParams.get('to')).toBe('2100-01-01T00:00:00.000Z');
    await visit(shared, 'timeline-window');
    await expect(page.getByLabel('From (UTC)')).toHaveValue(first.slice(0, 16));
    await page.getByRole('button', { name: 'Whole history' }).click();
    await page.waitForURL((u) => !u.searchParams.has('from') && !u.searchParams.has('to'));

    // A window with nothing in it: the empty state of the list.
    await visit(`/workloads/${id}?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z#timeline`, 'timeline-empty-window');
    await expect(page.getByTestId('timeline-none')).toBeVisible();
  });

  test('the timeline API answers the view and refuses bad values', async ({ request }) => {
    const id = rows[0]!.id;
    const only = (await (await request.get(`/api/workloads/${id}/timeline?types=deploy`)).json()) as {
      events: { category: string }[];
    };
    expect(only.events.length).toBeGreaterThan(0);
    expect(new Set(only.events.map((e) => e.category))).toEqual(new Set(['deploy']));
    expect((await request.get(`/api/workloads/${id}/timeline?types=secrets`)).status()).toBe(400);
    expect((await request.get(`/api/workloads/${id}/timeline?from=yesterday`)).status()).toBe(400);
    expect((await request.get('/api/workloads/00000000-0000-4000-8000-000000000000/timeline')).status()).toBe(404);
    expect((await request.get('/api/workloads?sort=secret')).status()).toBe(400);
  });
});
