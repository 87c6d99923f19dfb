import pg from 'pg';
import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';

// Runs after overview.spec.ts (files run in name order on one worker), on its database with the demo
// dataset, whose recorded audit events (lib/demo/data/demo-audit.jsonl.gz) are loaded with it.
test.describe.serial('runtime activity', () => {
  let busiest: { identityId: string; namespace: string; name: string; workloadId: string | null };

  test.beforeAll(async () => {
    await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {});
    const db = new pg.Client({ connectionString: process.env.NHI_E2E_DATABASE_URL });
    await db.connect();
    try {
      // The demo ServiceAccount with the most recorded denied calls, then the most calls, and a workload of it.
      const { rows } = await db.query<typeof busiest>(
        `SELECT i.id AS "identityId", i.namespace, i.name,
                (SELECT wi."workloadId" FROM "WorkloadIdentity" wi WHERE wi."identityId" = i.id LIMIT 1) AS "workloadId"
         FROM "RuntimeEvent" e JOIN "Identity" i
           ON i."clusterId" = e."clusterId" AND i.kind = 'ServiceAccount' AND i.namespace = e."saNamespace" AND i.name = e."saName"
         WHERE e."podName" IS NOT NULL
         GROUP BY i.id, i.namespace, i.name
         ORDER BY count(*) FILTER (WHERE e."responseCode" = 403) DESC, count(*) DESC LIMIT 1`,
      );
      expect(rows.length, 'the demo dataset has runtime events of a known ServiceAccount').toBe(1);
      busiest = rows[0]!;
    } finally {
      await db.end();
    }
  });

  test("an identity's page shows what it called, its denied calls and where from; an event is one click away", async ({
    visit,
  }) => {
    const page = await visit(`/identities/${busiest.identityId}`, 'identity-activity');
    await expect(page.getByRole('heading', { name: 'Runtime activity' })).toBeVisible();
    await expect(page.getByTestId('activity-summary')).toContainText(/\d+ API calls?/);
    await expect(page.getByTestId('activity-summary')).toContainText('denied');
    await expect(page.getByTestId('activity-chart')).toBeVisible();
    const actions = page.getByTestId('activity-actions');
    await expect(actions.locator('tbody tr').first()).toBeVisible();
    await expect(page.getByTestId('activity-pods')).toContainText('-');
    await expect(page.getByTestId('activity-denied')).toContainText('denied 403');
    await expect(page.getByTestId('timeline').locator('li[data-kind="runtime.day"]').first()).toContainText('API call');

    // The first denied call's detail: who, from which pod, with which token, the outcome.
    await page.getByTestId('activity-denied').locator('tbody tr').first().getByRole('link').click();
    await page.waitForURL(/\/events\//);
    const facts = page.getByTestId('event-facts');
    await expect(facts).toContainText('403');
    await expect(facts).toContainText(`${busiest.namespace}/${busiest.name}`);
    await expect(facts).toContainText('JTI=');
    await expect(page.getByTestId('event-detail')).not.toContainText('eyJ');
    await page.screenshot({ path: 'e2e/screenshots/runtime--event.png', fullPage: true });
  });

  test("a workload's page shows its own activity; a bad window or key is refused", async ({ visit, request }) => {
    test.skip(!busiest.workloadId, 'the busiest identity runs no workload in the demo');
    const page = await visit(`/workloads/${busiest.workloadId}?days=30`, 'workload-activity');
    await expect(page.getByTestId('workload-facts')).toContainText(busiest.name);
    await expect(page.getByTestId('activity-windows').locator('strong')).toHaveText('30 d');
    await expect(page.getByTestId('activity-summary')).toContainText('API call');

    const api = await request.get(`/api/workloads/${busiest.workloadId}/activity?days=30`);
    expect(api.status()).toBe(200);
    const body = (await api.json()) as { calls: number; actions: unknown[] };
    expect(body.calls).toBeGreaterThan(0);
    expect((await request.get(`/api/identities/${busiest.identityId}/activity?days=0`)).status()).toBe(400);
    expect((await request.get('/api/workloads/00000000-0000-4000-8000-000000000000/activity')).status()).toBe(404);
    await visit('/events/00000000-0000-4000-8000-000000000000/audit%3Anope%3AResponseComplete', 'event-missing', { status: 404 });
  });

  test('a workload is classed with the reason: a controller by its labels, one whose token met kubectl as human-like', async ({
    visit,
  }) => {
    const db = new pg.Client({ connectionString: process.env.NHI_E2E_DATABASE_URL });
    await db.connect();
    const idOf = async (namespace: string, name: string) =>
      (await db.query<{ id: string }>(`SELECT id FROM "Workload" WHERE namespace = $1 AND name = $2`, [namespace, name])).rows[0]!
        .id;
    try {
      const certManager = await visit(`/workloads/${await idOf('cert-manager', 'cert-manager')}`, 'workload-class-controller');
      await expect(certManager.getByTestId('workload-class')).toHaveText(
        'Controller or operator — it is labelled app.kubernetes.io/component=controller',
      );
      // The demo's recorded audit log has checkout-worker's pod-bound token used with kubectl's user agent.
      const worker = await visit(`/workloads/${await idOf('checkout', 'checkout-worker')}?days=30`, 'workload-class-human');
      await expect(worker.getByTestId('workload-class')).toContainText(
        "Human-like (kubectl) — its ServiceAccount's token was used with kubectl's user agent",
      );
    } finally {
      await db.end();
    }
  });
});
