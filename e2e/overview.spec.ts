import { expect, test } from './fixtures';

test.describe('first visit', () => {
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
});
