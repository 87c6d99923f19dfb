import { readFileSync } from 'node:fs';
import path from 'node:path';
import { csrfHeaders, expect, screenshotDir, test } from './fixtures';

const CLUSTER_ADMIN = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: deployer
  namespace: ci
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: deployer-admin
  namespace: ci
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: deployer
    namespace: ci
`;

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: site
data:
  mode: production
`;

// The Check page judges pasted manifests on the server (POST /api/check); nothing it does is stored, so it needs
// no data and changes none for the specs after it.
test.describe.serial('check manifests', () => {
  test('a cluster-admin RoleBinding fails the gate with its finding; a ConfigMap passes; SARIF downloads', async ({ visit }) => {
    const page = await visit('/check', 'empty');
    await expect(page.getByRole('heading', { name: 'Check manifests', level: 1 })).toBeVisible();
    await expect(page.getByTestId('check-empty')).toBeVisible();
    await expect(page.getByText('npx nhi check k8s/ --format sarif --fail-on high')).toBeVisible();
    const check = page.getByRole('button', { name: 'Check', exact: true });
    await expect(check).toBeDisabled();

    await page.getByTestId('check-manifests').fill(CLUSTER_ADMIN);
    await expect(page.getByLabel('Fail on', { exact: true })).toHaveValue('high');
    await check.click();
    const row = page.getByTestId('check-findings').locator('tbody tr[data-rule="NHI-POS-001"]');
    await expect(row).toBeVisible();
    await expect(row).toContainText('RoleBinding');
    await expect(row).toContainText('ci/deployer-admin');
    await expect(row).toContainText('manifest:7');
    await expect(row.getByTestId('copy-button')).toBeVisible();
    await expect(page.getByTestId('check-verdict')).toHaveText('FAIL');
    await expect(page.getByTestId('check-summary')).toContainText('at or above high');
    await page.screenshot({ path: path.join(screenshotDir, 'check-manifests--failed.png'), fullPage: true });

    // The SARIF of the same manifests, saved as a file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('check-sarif').click()]);
    expect(download.suggestedFilename()).toBe('nhi-check.sarif');
    const log = JSON.parse(readFileSync((await download.path())!, 'utf8')) as {
      version: string;
      runs: { results: { ruleId: string }[] }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.map((r) => r.ruleId)).toContain('NHI-POS-001');

    // A harmless ConfigMap passes.
    await page.getByTestId('check-manifests').fill(CONFIG_MAP);
    await check.click();
    await expect(page.getByTestId('check-verdict')).toHaveText('PASS');
    await expect(page.getByTestId('check-none')).toBeVisible();
    await expect(page.getByTestId('check-findings')).toHaveCount(0);
  });

  test('malformed YAML is refused with its line, and the API wants the CSRF token', async ({ visit, request }) => {
    const page = await visit('/check', 'malformed');
    await page.getByTestId('check-manifests').fill('kind: ServiceAccount\nmetadata:\n  name: [oops\n');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await expect(page.getByTestId('check-error')).toContainText(/manifest:\d+: invalid YAML/);
    await expect(page.getByTestId('check-verdict')).toHaveCount(0);

    const data = { manifests: CONFIG_MAP };
    expect((await request.post('/api/check', { data })).status()).toBe(403);
    const ok = await request.post('/api/check', { data, headers: await csrfHeaders(request) });
    expect(ok.status()).toBe(200);
    expect(((await ok.json()) as { passed: boolean }).passed).toBe(true);
  });
});
