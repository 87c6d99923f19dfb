/**
 * What-if on an identity (issue 14, item 6): from the identity page of kube-system/superadmin (cluster-admin through
 * its ClusterRoleBinding superadmin), open "What if…?", tick that binding for removal and simulate: no path to
 * cluster-admin is left, NHI-POS-001 and NHI-POS-002 would be resolved and the score drops (99 → 5 on the demo data,
 * lib/whatif/whatif.int.test.ts). Nothing is written: the identity page still shows the path afterwards. Runs after
 * overview.spec.ts has loaded the demo data; signed in as an admin.
 */
import { expect, expectAccessible, test } from './fixtures';

test.describe('what-if', () => {
  test('removing the binding that gives an identity cluster-admin removes the path and drops the score', async ({
    page,
    visit,
  }) => {
    const list = await visit('/identities?q=superadmin', 'identities-superadmin');
    const row = list.getByTestId('identity-table').locator('tbody tr').filter({ hasText: 'kube-system/superadmin' });
    await row.getByRole('link', { name: 'kube-system/superadmin' }).click();
    await expect(page.getByRole('heading', { name: 'kube-system/superadmin' })).toBeVisible();
    const href = await page.getByRole('link', { name: /^What if/ }).getAttribute('href');
    expect(href).toMatch(/^\/identities\/[0-9a-f-]{36}\/what-if$/);

    await visit(href!, 'what-if');
    await expect(page.getByRole('heading', { level: 1 })).toContainText('What if: ServiceAccount kube-system/superadmin');
    const remove = page.getByLabel('Remove ClusterRoleBinding superadmin → ClusterRole cluster-admin');
    await remove.check();
    // The role picker searches the cluster's roles.
    await page.getByLabel('Find a role').fill('cluster-admin');
    await expect(
      page.getByLabel('Role', { exact: true }).locator('option', { hasText: 'ClusterRole cluster-admin' }),
    ).not.toHaveCount(0);
    await page.getByRole('button', { name: 'Simulate' }).click();

    const result = page.getByTestId('what-if-result');
    await expect(result).toBeVisible();
    await expect(result.getByTestId('what-if-applied')).toContainText('Simulated: removed ClusterRoleBinding superadmin');
    await expect(result.getByTestId('what-if-cluster-admin')).toContainText('no path to cluster-admin');
    await expect(result.getByTestId('what-if-path')).toHaveText('No path to cluster-admin.');
    await expect(result.getByTestId('what-if-score')).toContainText('99 → 5 (-94)');
    await expect(result.getByTestId('what-if-score')).toContainText('drops');
    const findings = result.getByTestId('what-if-findings');
    await expect(findings.locator('tbody tr', { hasText: 'NHI-POS-001' })).toContainText('resolved');
    await expect(findings.locator('tbody tr', { hasText: 'NHI-POS-002' })).toContainText('resolved');
    await expect(result.getByTestId('what-if-factors')).toContainText('Path to cluster-admin');
    await expect(result.getByTestId('what-if-binding-delta')).toContainText('ClusterRoleBinding superadmin');
    await expectAccessible(page, `${href} after simulating`);
    await page.screenshot({ path: 'e2e/screenshots/what-if--superadmin-result.png', fullPage: true });

    // Nothing was written: the identity page still shows it as cluster-admin equivalent.
    await visit(href!.replace(/\/what-if$/, ''), 'identity-after-what-if');
    await expect(page.getByTestId('escalation').first()).toContainText('is cluster-admin equivalent');
  });
});
