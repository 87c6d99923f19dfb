/**
 * One journey per kind of user, on the demo data, each signed in as that person through the sign-in page;
 * every page on the way goes through `visit` (status, no console error, axe, a screenshot in e2e/screenshots/).
 * - A security lead reviews the sprawl on the overview and drills into the riskiest identity's escalation path.
 * - A service owner claims a workload for their team, reads one of the team's findings and copies its fix.
 * - An auditor filters the findings, exports that view and downloads the evidence report.
 * Runs after overview.spec.ts has loaded the demo data.
 */
import { readFileSync } from 'node:fs';
import { ensureUser, expect, signInAs, test } from './fixtures';
import { demoIds } from './page-urls';

const PASSWORD = 'a journeys e2e password';
const LEAD = 'lead@journeys.test';
const OWNER = 'owner@journeys.test';
const AUDITOR = 'auditor@journeys.test';
let team = '';

test.beforeAll(async ({ request }) => {
  team = (await demoIds()).team;
  await ensureUser(request, { email: LEAD, role: 'security_lead', password: PASSWORD });
  await ensureUser(request, { email: OWNER, role: 'service_owner', teams: [team], password: PASSWORD });
  await ensureUser(request, { email: AUDITOR, role: 'auditor', password: PASSWORD });
});

test('a security lead reviews the sprawl and drills into the riskiest escalation path', async ({ page, visit }) => {
  await signInAs(page, visit, LEAD, PASSWORD, '/');
  await visit('/', 'lead-overview');
  const sprawl = page.getByTestId('overview-sprawl');
  await expect(sprawl).toBeVisible();
  await expect(sprawl).toContainText('demo-cluster');
  await expect(page.getByTestId('overview-risk')).toBeVisible();
  // The riskiest identity that can reach cluster-admin: the first row of the escalation paths.
  const first = page.getByTestId('escalation-paths').locator('tbody tr').first();
  const name = (await first.locator('a').first().textContent())!.trim();
  await first.locator('a').first().click();
  await page.waitForURL(/\/identities\/[0-9a-f-]{36}$/);
  await visit(page.url(), 'lead-identity');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name);
  const graph = page.getByTestId('escalation-graph');
  await expect(graph).toBeVisible();
  const admin = graph.locator('[data-node-id="cluster-admin"]');
  await expect(admin).toBeVisible();
  await admin.click();
  await expect(page.getByTestId('graph-details')).toContainText('Target: cluster-admin');
  await page.screenshot({ path: 'e2e/screenshots/journeys--lead-escalation-graph.png', fullPage: true });
});

test('a service owner claims a workload, reads a finding of their team and copies its fix', async ({ page, visit, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAs(page, visit, OWNER, PASSWORD, '/ownership');
  await visit('/ownership?kind=workload', 'owner-unowned');
  const rows = page.getByTestId('unowned-table').locator('tbody tr');
  // Not the first row: ownership.spec.ts claims that one for a team of its own.
  const row = (await rows.count()) > 1 ? rows.nth(1) : rows.first();
  const name = (await row.getAttribute('data-subject-name'))!;
  await row.getByTestId('claim-open').click();
  await row.getByTestId('claim-note').fill('our team deploys it');
  await row.getByRole('button', { name: `Claim for ${team}` }).click();
  await expect(page.getByTestId('pending-claims').locator('tbody tr', { hasText: name })).toContainText(team);

  // The team's findings: a service owner sees only those.
  await visit('/findings', 'owner-findings');
  const findings = page.getByTestId('findings-table').locator('tbody tr');
  expect(await findings.count()).toBeGreaterThan(0);
  // The first finding whose page offers a fix as YAML.
  let found = false;
  for (let i = 0; i < Math.min(await findings.count(), 15) && !found; i++) {
    await visit('/findings', 'owner-findings');
    await page.getByTestId('findings-table').locator('tbody tr').nth(i).locator('a').first().click();
    await page.waitForURL(/\/findings\/[0-9a-f-]{36}$/);
    await visit(page.url(), `owner-finding-${i}`);
    found = (await page.getByTestId('fix-yaml').count()) > 0;
  }
  expect(found, 'one of the team’s findings offers a fix as YAML').toBe(true);
  const yaml = (await page.getByTestId('fix-yaml').textContent())!;
  await page.getByRole('button', { name: 'Copy YAML' }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(yaml);
});

test('an auditor filters the findings, exports the view and downloads the evidence report', async ({ page, visit }) => {
  await signInAs(page, visit, AUDITOR, PASSWORD, '/findings');
  await visit('/findings', 'auditor-findings');
  await page.getByLabel('Severity').selectOption('critical');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/severity=critical/);
  await visit(page.url(), 'auditor-findings-critical');
  const rows = page.getByTestId('findings-table').locator('tbody tr');
  const count = await rows.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) await expect(rows.nth(i).locator('td').first()).toHaveText('critical');

  // The current view as CSV: the same rows.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const text = readFileSync((await csv.path())!, 'utf8')
    .trim()
    .split('\n');
  expect(text.length - 1).toBe(Number((await page.getByTestId('finding-count').textContent())!.match(/\d+/)![0]));

  await visit('/reports', 'auditor-reports');
  const form = page.getByTestId('report-form');
  await form.getByLabel('What').selectOption('evidence');
  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    form.getByRole('button', { name: 'Download the PDF' }).click(),
  ]);
  expect(pdf.suggestedFilename()).toMatch(/^nhi-evidence-report-.*\.pdf$/);
  expect(
    readFileSync((await pdf.path())!)
      .subarray(0, 5)
      .toString(),
  ).toBe('%PDF-');
  await expect(page.getByTestId('report-done')).toBeVisible();
});
