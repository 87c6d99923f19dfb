import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDemoData } from '@/lib/demo/load';
import { expect, test } from './fixtures';
import { csrfHeaders } from './fixtures';

// Runs after overview.spec.ts (the first-run project of playwright.config.ts), on its database with the demo dataset.
test.describe.serial('reports and the activity trail', () => {
  let dir: string;
  test.beforeAll(async () => {
    await loadDemoData(process.env.NHI_E2E_DATABASE_URL!, () => {});
    dir = mkdtempSync(path.join(os.tmpdir(), 'nhi-e2e-reports-'));
  });
  test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a change made through the API is on the Trail page with its actor and before/after, and the chain holds', async ({
    visit,
    request,
  }) => {
    const findings = (await (await request.get('/api/findings?rule=NHI-POS-005')).json()) as { rows: { id: string }[] };
    const made = await request.post('/api/exceptions', {
      headers: await csrfHeaders(request),
      data: {
        findingId: findings.rows.at(-1)!.id,
        reason: 'Base image pinned by the platform team',
        requestedBy: 'trail-tester',
        expires: '30d',
      },
    });
    expect(made.status()).toBe(200);
    const exception = (await made.json()) as { id: string };

    const page = await visit('/trail?actor=admin@e2e.test&action=exception.create', 'trail-filtered');
    await expect(page.getByTestId('trail-chain')).toHaveText(/^trail: \d+ entries, chain ok$/);
    const row = page.getByTestId('trail-table').locator('tbody tr').first();
    await expect(row).toContainText('admin@e2e.test');
    await expect(row).toContainText('Exception granted');
    await expect(row).toContainText(`exception:${exception.id}`);
    await expect(row.getByTestId('trail-diff')).toContainText('approvedBy');
    await expect(row.getByTestId('trail-diff')).toContainText('trail-tester');
    // The API lists the same entry, with the signed-in user as its approver.
    const api = (await (await request.get('/api/trail?actor=admin@e2e.test&action=exception.create')).json()) as {
      total: number;
      items: { target: string; after: { approvedBy: string } }[];
    };
    expect(api.total).toBe(1);
    expect(api.items[0]).toMatchObject({
      target: `exception:${exception.id}`,
      after: { approvedBy: 'admin@e2e.test', requestedBy: 'trail-tester' },
    });
    expect((await request.get('/api/trail?action=nope')).status()).toBe(400);
    // Revoked again (the specs after this one start with no exception in force): on the trail too.
    expect(
      (await request.post(`/api/exceptions/${exception.id}/revoke`, { headers: await csrfHeaders(request), data: {} })).status(),
    ).toBe(200);
    const revoked = await visit('/trail?action=exception.revoke', 'trail-revoked');
    await expect(revoked.getByTestId('trail-table').locator('tbody tr').first()).toContainText(`exception:${exception.id}`);
    const verify = (await (await request.get('/api/trail/verify')).json()) as { broken: unknown; line: string };
    expect(verify.broken).toBeNull();
  });

  test('the Reports page downloads a CSV whose SHA-256 the trail recorded; sha256sum -c verifies it with the manifest', async ({
    visit,
    request,
  }) => {
    const page = await visit('/reports', 'reports');
    const form = page.getByTestId('report-form');
    await form.getByLabel('What').selectOption('exceptions');
    await form.getByLabel('Format').selectOption('csv');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const file = download.suggestedFilename();
    expect(file).toMatch(/^nhi-exceptions-\d{8}T\d{6}Z\.csv$/);
    const saved = path.join(dir, file);
    await download.saveAs(saved);
    const bytes = readFileSync(saved);
    expect(bytes.toString('utf8')).toContain('Base image pinned by the platform team');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const done = page.getByTestId('report-done');
    await expect(done.getByTestId('report-sha256')).toHaveText(sha);
    await expect(done.getByTestId('report-match')).toHaveText('matches the file received');
    await page.screenshot({
      path: path.join('e2e', 'screenshots', 'reports-and-the-activity-trail--reports-done.png'),
      fullPage: true,
    });

    const href = (await done.getByTestId('report-manifest').getAttribute('href'))!;
    const manifest = await request.get(href);
    expect(manifest.status()).toBe(200);
    expect(await manifest.text()).toBe(`${sha}  ${file}\n`);
    writeFileSync(path.join(dir, 'SHA256SUMS'), await manifest.text());
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    expect(check.stdout.trim()).toBe(`${file}: OK`);
    expect(check.status).toBe(0);

    // The export is on the trail, started and completed, by the signed-in user and from the browser.
    const trail = await visit('/trail?actor=admin@e2e.test', 'trail-exports');
    await expect(trail.getByTestId('trail-table')).toContainText('Export started');
    await expect(trail.getByTestId('trail-table')).toContainText('Export finished');
    await expect(trail.getByTestId('trail-table')).toContainText(sha);
    const entries = (await (await request.get('/api/trail?actor=admin@e2e.test&action=export.create')).json()) as {
      items: { userAgent: string | null }[];
    };
    expect(entries.items[0]!.userAgent).toMatch(/Chrome/);
  });

  test('the evidence report downloads as a PDF; exports refuse cross-site posts and bad requests', async ({ visit, request }) => {
    const page = await visit('/reports', 'reports-pdf');
    const form = page.getByTestId('report-form');
    await form.getByLabel('What').selectOption('evidence');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download the PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^nhi-evidence-report-\d{8}T\d{6}Z\.pdf$/);
    const saved = path.join(dir, download.suggestedFilename());
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 5).toString()).toBe('%PDF-');
    await expect(page.getByTestId('report-match')).toHaveText('matches the file received');

    const body = { format: 'csv', what: 'findings', filter: {} };
    const headers = await csrfHeaders(request);
    const forged = await request.post('/api/exports', {
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      data: body,
    });
    expect(forged.status()).toBe(403);
    expect((await request.post('/api/exports', { headers, data: { ...body, format: 'xls' } })).status()).toBe(400);
    expect((await request.post('/api/exports', { headers, data: { ...body, what: 'evidence' } })).status()).toBe(400);
    const badFilter = await request.post('/api/exports', { headers, data: { ...body, filter: { severity: 'dreadful' } } });
    expect(badFilter.status()).toBe(400);
    expect(((await badFilter.json()) as { error: string }).error).toMatch(/severity/);
    // A streamed export through the API: a header line and the rows, with its id to fetch the manifest by.
    const csv = await request.post('/api/exports', { headers, data: { ...body, filter: { severity: 'critical' } } });
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-disposition']).toMatch(/^attachment; filename="nhi-findings-\d{8}T\d{6}Z\.csv"$/);
    expect((await csv.text()).split('\n')[0]).toBe(
      'cluster,rule,severity,status,owasp,title,subject,namespace,firstSeenAt,lastSeenAt,resolvedAt,explanation,id',
    );
    expect(csv.headers()['x-export-id']).toMatch(/^\d+$/);
  });
});
