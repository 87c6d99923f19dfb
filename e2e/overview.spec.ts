import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';

// One database for the whole run: first as a new install finds it, then with the demo dataset loaded.
test.describe.serial('overview', () => {
  test('an empty database shows an honest empty state that says how to add a cluster', async ({ visit }) => {
    const page = await visit('/', 'overview-empty');
    await expect(page.getByRole('heading', { name: 'No cluster has been collected yet' })).toBeVisible();
    await expect(page.getByText('npx nhi collect --once')).toBeVisible();
    await expect(page.getByText('npx nhi import')).toBeVisible();
    await expect(page.getByTestId('health-badge')).toHaveText('Database OK');
  });

  test('the health endpoint reports version, database and migrations', async ({ request }) => {
    const res = await request.get('/api/health');
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ok');
    expect(body.database).toEqual({ reachable: true });
    expect(body.migrations.current).toBe(true);
    expect(body.migrations.applied).toBeGreaterThan(0);
    expect(body.migrations.pending).toEqual([]);
    expect(typeof body.version).toBe('string');
    expect(JSON.stringify(body)).not.toContain('postgresql://');
  });

  test('after the demo dataset is loaded, the overview lists the cluster with its sync status', async ({ visit }) => {
    expect(await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {})).toBe(true);
    const page = await visit('/', 'overview-demo');
    const row = page.getByTestId('cluster-row-demo-cluster');
    await expect(row).toBeVisible();
    await expect(row).toContainText('demo');
    await expect(row).toContainText('succeeded');
    const cells = await row.locator('td').allTextContents();
    expect(Number(cells[2])).toBeGreaterThan(100); // identities
    expect(Number(cells[3])).toBeGreaterThan(50); // workloads
  });
});
