import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { importDumps } from '@/lib/collect/collect';
import { openStore } from '@/lib/collect/store';
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

  test('identities are listed riskiest first; a cluster-admin-equivalent one explains why', async ({ visit }) => {
    const page = await visit('/identities', 'identities');
    const table = page.getByTestId('identity-table');
    await expect(table).toBeVisible();
    const firstRow = table.locator('tbody tr').first();
    await expect(firstRow).toContainText('is cluster-admin');
    await page.getByLabel('Search').fill('kustomize-controller');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/q=kustomize-controller/);
    await page.getByRole('link', { name: 'flux-system/kustomize-controller' }).click();
    await expect(page.getByRole('heading', { name: 'flux-system/kustomize-controller' })).toBeVisible();
    await expect(page.getByTestId('escalation')).toContainText('is cluster-admin equivalent');
    await expect(page.getByTestId('capabilities')).toContainText('ClusterRoleBinding');
    await expect(page.getByTestId('capabilities')).toContainText('cluster-wide');
    // Worst first: the severity column never goes up.
    const rank: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1 };
    const ranks = (await page.getByTestId('capabilities').locator('tbody tr td:nth-child(2)').allTextContents()).map(
      (s) => rank[s.trim()] ?? 0,
    );
    expect(ranks.length).toBeGreaterThan(10);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    await expect(page.locator('body')).not.toContainText('[object Object]');
    await page.screenshot({ path: 'e2e/screenshots/identities--kustomize-controller.png', fullPage: true });
  });

  test('an identity a few steps from cluster-admin shows the path step by step', async ({ visit }) => {
    // KubeHound's scenario: pod-create-sa can run a pod as a ServiceAccount that may bind cluster roles.
    const list = await visit('/identities?q=pod-create-sa', 'identities-pod-create-sa');
    const row = list.getByTestId('identity-table').locator('tbody tr').filter({ hasText: 'default/pod-create-sa' });
    await expect(row).toContainText('2 steps');
    await row.getByRole('link').click();
    await expect(list.getByRole('heading', { name: 'default/pod-create-sa' })).toBeVisible();
    const steps = list.getByTestId('escalation').locator('li');
    await expect(steps).toHaveCount(2);
    await expect(steps.first()).toContainText('creates a pod');
    await expect(steps.last()).toContainText('ClusterRoleBinding');
    const bindings = list.getByTestId('bindings').locator('li');
    await expect(bindings.first()).toContainText('directly: RoleBinding default/pod-create-pods → Role create-pods');
    await expect(list.getByTestId('bindings')).toContainText(
      'through group system:authenticated: ClusterRoleBinding system:basic-user',
    );
    await list.screenshot({ path: 'e2e/screenshots/identities--escalation-steps.png', fullPage: true });
  });

  test('each granting binding is listed once, even when several rules of its role grant the capability', async ({ visit }) => {
    // falco's event-generator: two rules of one ClusterRole each grant reading Secrets.
    const list = await visit('/identities?q=event-generator&builtIn=show', 'identities-event-generator');
    await list.getByRole('link', { name: 'default/event-generator' }).click();
    await expect(list.getByRole('heading', { name: 'default/event-generator' })).toBeVisible();
    const grantedBy = await list.getByTestId('capabilities').locator('tbody tr td:nth-child(4)').allTextContents();
    expect(grantedBy.length).toBeGreaterThan(0);
    for (const cell of grantedBy) {
      const grants = cell.split('; ');
      expect(grants, cell).toEqual([...new Set(grants)]);
    }
  });

  test('an unknown identity or path is a 404 page that leads back', async ({ visit }) => {
    for (const url of ['/identities/00000000-0000-4000-8000-000000000000', '/identities/not-a-uuid', '/no-such-page']) {
      const page = await visit(url, `not-found-${url.split('/').pop()}`, { status: 404 });
      await expect(page.getByTestId('not-found')).toContainText('Nothing is at this address');
      await expect(page.getByRole('link', { name: 'Overview' }).last()).toBeVisible();
    }
  });

  test('a page that fails shows an error page with a reference, not a stack; the API answers JSON errors', async ({
    visit,
    request,
  }) => {
    const db = new pg.Client({ connectionString: process.env.NHI_E2E_DATABASE_URL });
    await db.connect();
    try {
      // Stored JSON that does not parse is refused where it is read (zod), never cast and rendered.
      const { rows } = await db.query<{ id: string; capabilities: unknown }>(
        `SELECT r."identityId" AS id, r.capabilities FROM "IdentityReach" r JOIN "Identity" i ON i.id = r."identityId"
         WHERE i.namespace = 'flux-system' AND i.name = 'kustomize-controller'`,
      );
      const { id, capabilities } = rows[0]!;
      await db.query(`UPDATE "IdentityReach" SET capabilities = '[{"id": 7}]' WHERE "identityId" = $1`, [id]);
      try {
        const page = await visit(`/identities/${id}`, 'error-page', { status: 500 });
        await expect(page.getByTestId('error-panel')).toContainText('This page could not be shown');
        await expect(page.getByTestId('error-panel')).toContainText('Reference');
        await expect(page.locator('body')).not.toContainText('IdentityReach');
        await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
      } finally {
        await db.query(`UPDATE "IdentityReach" SET capabilities = $2 WHERE "identityId" = $1`, [
          id,
          JSON.stringify(capabilities),
        ]);
      }
    } finally {
      await db.end();
    }
    const ok = await request.get('/api/clusters');
    expect(ok.status()).toBe(200);
    expect(ok.headers()['cache-control']).toBe('no-store');
  });

  test('the Credentials page shows coverage, long-lived credentials first with their findings, and filters them', async ({
    visit,
    request,
  }) => {
    const page = await visit('/credentials', 'credentials');
    await expect(page.getByRole('heading', { name: 'Credentials', exact: true })).toBeVisible();
    await expect(page.getByTestId('coverage-demo-cluster').getByTestId('coverage-share')).toHaveText('100%');
    // No demo workload mounts a legacy token: no lagging namespace or team is listed.
    await expect(page.getByTestId('coverage-demo-cluster').getByTestId('coverage-all')).toBeVisible();
    const table = page.getByTestId('credential-table');
    // Credentials with open findings lead the list; the legacy token Secrets are among them.
    await expect(table.locator('tbody tr').first().locator('td').last()).not.toHaveText('none');
    await expect(table.locator('tr[data-credential="payments/payments-api-legacy-token"]')).toContainText('high');
    await expect(table.locator('tr[data-credential="checkout/checkout-tls"]')).toContainText('CN=');
    await expect(page.getByTestId('federated-table')).toContainText('arn:aws:iam::111122223333:role/payments-api');

    await page.getByLabel('Lifetime').selectOption('short-lived');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/lifetime=short-lived/);
    const lifetimes = await page.getByTestId('credential-table').locator('tbody tr td:nth-child(2) .pill').allTextContents();
    expect(lifetimes.length).toBeGreaterThan(10);
    expect(new Set(lifetimes)).toEqual(new Set(['short-lived']));
    await page.screenshot({ path: 'e2e/screenshots/credentials--short-lived.png', fullPage: true });

    const api = await request.get('/api/credentials?lifetime=long-lived');
    expect(api.status()).toBe(200);
    const body = (await api.json()) as { total: number; rows: { lifetime: string }[] };
    expect(body.total).toBeGreaterThan(5);
    expect(body.rows.every((r) => r.lifetime === 'long-lived')).toBe(true);
    const coverage = await request.get('/api/credentials/coverage?cluster=demo-cluster');
    expect(coverage.status()).toBe(200);
    const [demo] = (await coverage.json()) as { cluster: string; scopes: { scopeKind: string; workloads: number }[] }[];
    expect(demo?.cluster).toBe('demo-cluster');
    expect(demo?.scopes.find((s) => s.scopeKind === 'cluster')?.workloads).toBeGreaterThan(100);
    const bad = await request.get('/api/credentials?olderThan=-3');
    expect(bad.status()).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('an identity page lists its findings with a concrete fix and its credentials', async ({ visit }) => {
    const list = await visit('/identities?q=payments-api', 'identities-payments-api');
    await list.getByRole('link', { name: 'payments/payments-api' }).click();
    await expect(list.getByRole('heading', { name: 'payments/payments-api' })).toBeVisible();
    const findings = list.getByTestId('findings');
    await expect(findings).toContainText('Legacy ServiceAccount token Secret');
    await expect(findings).toContainText('NHI7 Long-Lived Secrets');
    await expect(findings).toContainText('kubectl -n payments delete secret payments-api-legacy-token');
    await expect(findings.locator('pre').first()).toContainText('serviceAccountToken:');
    const credentials = list.getByTestId('credentials');
    await expect(credentials).toContainText('payments/payments-db');
    await expect(credentials).toContainText('Database credential');
    await expect(credentials).toContainText('payments/payments-api-legacy-token');
    await list.screenshot({ path: 'e2e/screenshots/identity--payments-api.png', fullPage: true });
  });

  test('a malformed filter is refused with a message naming the field', async ({ visit }) => {
    const page = await visit('/identities?page=zero&kind=Robot', 'identities-bad-filter');
    await expect(page.getByRole('alert').filter({ hasText: 'Invalid filter' })).toContainText(/Invalid filter "(page|kind)"/);
  });

  test('the sync status stays current: a cluster collected while the overview is open appears without a reload', async ({
    visit,
  }) => {
    const page = await visit('/', 'overview-before-live-import');
    await expect(page.getByTestId('cluster-row-live-added')).toHaveCount(0);
    // A marker that a reload would wipe.
    await page.evaluate(() => Object.assign(window, { __nhiMarker: 'kept' }));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-e2e-dump-'));
    const file = path.join(dir, 'live.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', uid: 'u-ns-shop' } },
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'cart', namespace: 'shop', uid: 'u-sa-cart' } },
        ],
      }),
    );
    const pool = openStore(process.env.NHI_E2E_DATABASE_URL!);
    try {
      await importDumps(pool, [file], { clusterName: 'live-added' });
    } finally {
      await pool.end();
      rmSync(dir, { recursive: true, force: true });
    }
    const row = page.getByTestId('cluster-row-live-added');
    await expect(row).toBeVisible({ timeout: 15_000 });
    await expect(row).toContainText('succeeded');
    expect(await page.evaluate(() => (window as unknown as { __nhiMarker?: string }).__nhiMarker)).toBe('kept');
    await page.screenshot({ path: 'e2e/screenshots/overview--live-added.png', fullPage: true });
  });
});

test.describe('runtime ingestion on the overview', () => {
  test('a cluster that never received events says how to send them; a webhook batch shows up without a reload', async ({
    visit,
    request,
  }) => {
    const { clusterIdNamed } = await import('@/lib/collect/store');
    const { createIngestToken } = await import('@/lib/runtime/tokens');
    const pool = openStore(process.env.NHI_E2E_DATABASE_URL!);
    let token: string;
    try {
      token = await createIngestToken(pool, await clusterIdNamed(pool, 'ingest-e2e'), 'audit-webhook');
    } finally {
      await pool.end();
    }
    const page = await visit('/', 'overview-ingestion-never');
    const row = page.getByTestId('ingestion-status').getByTestId('ingestion-row-ingest-e2e');
    await expect(row).toHaveAttribute('data-verdict', 'never');
    await expect(row).toContainText('an ingest token exists but nothing has been posted with it yet');
    const howTo = page.getByTestId('ingestion-howto-ingest-e2e');
    await expect(howTo).toContainText('npx nhi ingest-token create --cluster ingest-e2e');
    await expect(howTo).toContainText('--audit-webhook-config-file');

    // Ten events and one item that is no event, as the API server's webhook would post them.
    const at = new Date().toISOString();
    const items: unknown[] = Array.from({ length: 10 }, (_, i) => ({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `e2e-ingestion-${i}`,
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/pods',
      verb: 'list',
      user: { username: 'system:serviceaccount:shop:cart', groups: ['system:serviceaccounts'] },
      objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      requestReceivedTimestamp: at,
      stageTimestamp: at,
    }));
    items.push({ kind: 'Pod', metadata: { name: 'not-an-event' } });
    const posted = await request.post('/api/ingest/audit', {
      headers: { authorization: `Bearer ${token}` },
      data: { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items },
    });
    expect(posted.status()).toBe(200);

    // The section refreshes every 15 s: 1 of 11 items rejected is under the 10% that makes a cluster "rejecting".
    await expect(row).toHaveAttribute('data-verdict', 'receiving', { timeout: 25_000 });
    await expect(row.getByTestId('ingestion-rejected')).toContainText('items[10]');
    await expect(howTo).toHaveCount(0);
    await page.screenshot({ path: 'e2e/screenshots/overview--ingestion.png', fullPage: true });

    const api = await request.get('/api/ingest/status?cluster=ingest-e2e');
    expect(api.status()).toBe(200);
    const [status] = (await api.json()).clusters as {
      verdict: string;
      rate: { events15m: number };
      last24h: { rejected: number };
    }[];
    expect(status).toMatchObject({ verdict: 'receiving', rate: { events15m: 10 }, last24h: { rejected: 1 } });
    expect((await request.get('/api/ingest/status?gapMinutes=0')).status()).toBe(400);
  });
});
