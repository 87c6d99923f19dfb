import pg from 'pg';
import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';
import { csrfHeaders } from './fixtures';

// Runs after overview.spec.ts (files run in name order on one worker), on its database with the demo
// dataset: its recorded audit events are judged when loaded, under the demo's time-compressed profiles
// (lib/demo/data/demo-behaviour.yaml), so the token of checkout-worker used with kubectl is an anomaly.
test.describe.serial('anomalies', () => {
  test.beforeAll(async () => {
    await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {});
  });

  test('the Anomalies page lists what the detectors found, filters it, and shows one with its evidence', async ({ visit }) => {
    const page = await visit('/anomalies', 'list');
    const table = page.getByTestId('anomalies');
    await expect(table.locator('tbody tr').first()).toBeVisible();
    await expect(table).toContainText('Human use of a machine identity');
    await expect(table).toContainText('checkout/checkout-worker');
    await expect(table).toContainText('monitoring/alert-router');

    await page.getByLabel('Detector', { exact: true }).selectOption('human-use');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/detector=human-use/);
    await expect(page.getByTestId('anomaly-count')).toHaveText('1 anomalies');
    await page.getByTestId('anomalies').getByRole('link', { name: 'Human use of a machine identity' }).click();
    await page.waitForURL(/\/anomalies\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('anomaly-explanation')).toContainText('kubectl');
    await expect(page.getByTestId('anomaly-status')).toHaveText('open');
    const evidence = page.getByTestId('evidence');
    await expect(evidence.locator('tbody tr').first()).toContainText('kubectl/');
    await expect(page.locator('body')).not.toContainText('eyJ');
    await page.screenshot({ path: 'e2e/screenshots/anomalies--detail.png', fullPage: true });

    // An evidence event is one click away.
    await evidence.locator('tbody tr').first().getByRole('link').click();
    await page.waitForURL(/\/events\//);
    await expect(page.getByTestId('event-facts')).toContainText('checkout/checkout-worker');
  });

  test('acknowledge, then mark a false positive: who and when are recorded, and the baseline learns it', async ({ visit }) => {
    const list = await visit('/anomalies?detector=secret-access', 'secret-access');
    await list
      .getByTestId('anomalies')
      .getByRole('link')
      .filter({ hasText: 'Secrets read outside the baseline' })
      .first()
      .click();
    await list.waitForURL(/\/anomalies\/[0-9a-f-]{36}$/);
    const page = list;
    await page.getByLabel('Note').fill('looking at it');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await expect(page.getByTestId('anomaly-status')).toHaveText('acknowledged');
    await expect(page.getByTestId('history')).toContainText('acknowledged by admin@e2e.test: looking at it');
    await page.getByRole('button', { name: 'False positive' }).click();
    await expect(page.getByTestId('anomaly-status')).toHaveText('false positive');
    await expect(page.getByTestId('history').locator('li')).toHaveCount(2);

    const fp = await visit('/anomalies?status=false_positive', 'false-positives');
    await expect(fp.getByTestId('anomalies')).toContainText('by admin@e2e.test');
    const db = new pg.Client({ connectionString: process.env.NHI_E2E_DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ accepted: string[] }>(
        `SELECT accepted FROM "Baseline" WHERE "saNamespace" = 'checkout' AND "saName" = 'checkout-worker'`,
      );
      expect(rows[0]!.accepted).toEqual([expect.stringMatching(/^secret-access\|checkout\/checkout-worker\|list /)]);
    } finally {
      await db.end();
    }
  });

  test('a suppression rule hides matching anomalies until it is revoked; the API refuses cross-site and bad input', async ({
    visit,
    request,
  }) => {
    const page = await visit('/anomalies', 'before-suppression');
    const before = Number((await page.getByTestId('anomaly-count').textContent())!.split(' ')[0]);
    await page.getByLabel('Suppress detector').selectOption('falco-alert');
    await page.getByLabel('Suppress namespace').fill('monitoring');
    await page.getByLabel('Reason').fill('synthetic demo alerts');
    await page.getByRole('button', { name: 'Suppress' }).click();
    await expect(page.getByTestId('suppressed-now')).toHaveText('3 anomalies suppressed');
    await page.reload();
    await expect(page.getByTestId('anomaly-count')).toHaveText(`${before - 3} anomalies`);
    await expect(page.getByTestId('suppressions')).toContainText('synthetic demo alerts');
    await page.getByTestId('suppressions').getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByTestId('suppressions')).toContainText('revoked by admin@e2e.test');
    await page.reload();
    await expect(page.getByTestId('anomaly-count')).toHaveText(`${before} anomalies`);

    const list = await request.get('/api/anomalies?status=all&identity=monitoring/alert-router');
    expect(list.status()).toBe(200);
    const body = (await list.json()) as { items: { id: string; identity: string; detector: string; eventIds: string[] }[] };
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.every((a) => a.identity === 'monitoring/alert-router' && a.eventIds.length > 0)).toBe(true);
    expect((await request.get('/api/anomalies?severity=dreadful')).status()).toBe(400);
    const id = body.items[0]!.id;
    const crossSite = await request.post(`/api/anomalies/${id}/status`, {
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      data: { status: 'resolved', by: 'mallory' },
    });
    expect(crossSite.status()).toBe(403);
    // Without the session's CSRF token, even from the app's own origin: refused.
    const noCsrf = await request.post(`/api/anomalies/${id}/status`, { data: { status: 'resolved' } });
    expect(noCsrf.status()).toBe(403);
    const badStatus = await request.post(`/api/anomalies/${id}/status`, {
      headers: await csrfHeaders(request),
      data: { status: 'gone' },
    });
    expect(badStatus.status()).toBe(400);
  });

  test("an identity's page shows its baseline and anomalies; an owner sets a workload's class", async ({ visit }) => {
    const db = new pg.Client({ connectionString: process.env.NHI_E2E_DATABASE_URL });
    await db.connect();
    let identityId: string;
    let workloadId: string;
    try {
      identityId = (
        await db.query<{ id: string }>(`SELECT id FROM "Identity" WHERE namespace = 'monitoring' AND name = 'alert-router'`)
      ).rows[0]!.id;
      workloadId = (
        await db.query<{ id: string }>(`SELECT id FROM "Workload" WHERE namespace = 'monitoring' AND name = 'alert-router'`)
      ).rows[0]!.id;
    } finally {
      await db.end();
    }
    const page = await visit(`/identities/${identityId}`, 'identity-behaviour');
    const behaviour = page.getByTestId('behaviour');
    await expect(behaviour.getByTestId('baseline')).toContainText('Judged as a');
    await expect(behaviour.getByTestId('anomalies')).toContainText('Burst of denied requests');

    const workload = await visit(`/workloads/${workloadId}`, 'workload-class-override');
    await workload.getByTestId('class-override').locator('summary').click();
    await workload.getByLabel('Class', { exact: true }).selectOption('ai-agent');
    await workload.getByLabel('Why this class').fill('it runs our triage agent');
    await workload.getByRole('button', { name: 'Set class' }).click();
    await expect(workload.getByTestId('workload-class')).toHaveText('AI agent — set by its owner: it runs our triage agent');
    await expect(workload.getByTestId('class-override')).toContainText('last changed by admin@e2e.test');
  });
});
