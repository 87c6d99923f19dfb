/**
 * Ownership in the browser: a service owner claims an unowned workload from /ownership, a security lead
 * approves it there, and the workload then shows the team as its owner (with the timeline entry) and the team
 * is on /teams. Runs after overview.spec.ts has loaded the demo data. Each person signs in through the sign-in
 * page in the test's own browser context (its admin cookie cleared first), so every page goes through `visit`.
 */
import { request as playwrightRequest } from '@playwright/test';
import { csrfHeaders, ensureUser, expect, signInAs as signInWith, test, type Visit } from './fixtures';

const PASSWORD = 'an ownership e2e password';
const TEAM = 'zz-ownership-e2e';
const OWNER = 'owner@ownership.test';
const LEAD = 'lead@ownership.test';
/** The workload claimed, found in the first test. */
const claimed: { id?: string; name?: string } = {};

const signInAs = (page: Parameters<typeof signInWith>[0], visit: Visit, email: string, next: string) =>
  signInWith(page, visit, email, PASSWORD, next);

test.describe.serial('ownership: claim, approve, owned', () => {
  test.beforeAll(async ({ request }) => {
    await ensureUser(request, { email: OWNER, role: 'service_owner', teams: [TEAM], password: PASSWORD });
    await ensureUser(request, { email: LEAD, role: 'security_lead', password: PASSWORD });
  });

  test('a service owner claims an unowned workload for their team from /ownership', async ({ page, visit }) => {
    await signInAs(page, visit, OWNER, '/ownership');
    await visit('/ownership?kind=workload', 'queue');
    const table = page.getByTestId('unowned-table');
    await expect(table).toBeVisible();
    // A service owner sees names, not pages, of what nobody owns.
    const row = table.locator('tbody tr').first();
    claimed.id = (await row.getAttribute('data-subject-id'))!;
    claimed.name = (await row.getAttribute('data-subject-name'))!;
    expect(claimed.id).toMatch(/^[0-9a-f-]{36}$/);
    await row.getByTestId('claim-open').click();
    const form = row.getByTestId('claim-form');
    // Only their own team is offered.
    await expect(form.getByTestId('claim-team').locator('option')).toHaveText([TEAM]);
    await form.getByTestId('claim-note').fill('we deploy it from our pipeline');
    await form.getByRole('button', { name: `Claim for ${TEAM}` }).click();
    const pending = page.getByTestId('pending-claims').locator('tbody tr', { hasText: claimed.name });
    await expect(pending).toContainText(TEAM);
    await expect(pending).toContainText(OWNER);
    // The claimant may withdraw, not approve.
    await expect(pending.getByRole('button', { name: /^Withdraw/ })).toBeVisible();
    await expect(pending.getByRole('button', { name: /^Approve/ })).toHaveCount(0);
    await visit('/ownership#claims', 'claimed');
    // Claiming it again for the same team is refused with the API's message.
    const again = await page.request.post('/api/claims', {
      headers: await csrfHeaders(page.request),
      data: { workloadId: claimed.id, team: TEAM },
    });
    expect(again.status()).toBe(409);
  });

  test('a security lead approves it on /ownership', async ({ page, visit }) => {
    // Signed in on another page, so that /ownership is a new document (a change of #fragment alone is not).
    await signInAs(page, visit, LEAD, '/teams');
    await visit('/ownership#claims', 'pending');
    const row = page.getByTestId('pending-claims').locator('tbody tr', { hasText: claimed.name! });
    await expect(row).toContainText('we deploy it from our pipeline');
    await row.getByTestId('decision-note').fill('checked with the team');
    await row.getByRole('button', { name: /^Approve/ }).click();
    const decided = page.getByTestId('decided-claims').locator('tbody tr', { hasText: claimed.name! });
    await expect(decided).toContainText(`approved by ${LEAD}`);
    await expect(decided).toContainText('checked with the team');
    await visit('/ownership?kind=workload', 'approved');
  });

  test('the workload then shows the team as its owner, on its timeline, and the team is on /teams', async ({
    page,
    visit,
    request,
    baseURL,
  }) => {
    const workload = await visit(`/workloads/${claimed.id}`, 'workload');
    const panel = workload.getByTestId('ownership-panel');
    await expect(panel.getByTestId('owners')).toContainText(TEAM);
    await expect(panel.getByTestId('owners')).toContainText('claimed');
    await expect(workload.getByText(`Owned by ${TEAM} (claimed by ${OWNER}, approved by ${LEAD})`)).toBeVisible();

    await visit('/teams', 'teams');
    const team = page.getByTestId('teams-table').locator(`tr[data-team="${TEAM}"]`);
    await expect(team).toContainText('1 claimed');

    // The team's service owner now reaches the workload; the trail has both steps.
    const owner = await playwrightRequest.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
    try {
      expect((await owner.post('/api/auth/sign-in', { data: { email: OWNER, password: PASSWORD } })).status()).toBe(200);
      expect((await owner.get(`/api/workloads/${claimed.id}/risk`)).status()).toBe(200);
      const teams = (await (await owner.get('/api/teams')).json()) as { name: string }[];
      expect(teams.map((t) => t.name)).toEqual([TEAM]);
    } finally {
      await owner.dispose();
    }
    const trail = await request.get('/api/trail?action=claim.decide');
    expect(trail.status()).toBe(200);
    expect(await trail.text()).toContain(LEAD);
  });
});
