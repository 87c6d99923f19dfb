/**
 * The findings queue in the browser: a service owner opens their team's queue on /queue, assigns an unassigned
 * finding to themselves, marks it fixed with a note, and sees it under "awaiting verification" there and on the
 * finding's page. Runs after overview.spec.ts has loaded the demo data; the team is the first demo team with
 * open findings (asked of the admin's API).
 */
import { ensureUser, expect, signInAs, test } from './fixtures';

const PASSWORD = 'a findings queue e2e password';
const OWNER = 'queue-owner@queue.test';
const OWNER_LABEL = `queue-owner (${OWNER})`;
const team: { name?: string } = {};
/** The finding acted on (its id, from its link). */
const picked: { id?: string } = {};

test.describe.serial('findings queue: assign, mark fixed, awaiting verification', () => {
  test.beforeAll(async ({ request }) => {
    const teams = (await (await request.get('/api/teams')).json()) as { name: string; openFindings: number }[];
    team.name = teams.filter((t) => t.openFindings > 0).sort((a, b) => a.name.localeCompare(b.name))[0]?.name;
    expect(team.name, 'the demo has a team with open findings').toBeTruthy();
    await ensureUser(request, { email: OWNER, role: 'service_owner', teams: [team.name!], password: PASSWORD });
  });

  test('a service owner assigns an unassigned finding of their team on /queue', async ({ page, visit }) => {
    await signInAs(page, visit, OWNER, PASSWORD, '/queue');
    await visit(`/queue?team=${encodeURIComponent(team.name!)}`, 'queue');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Findings queue: ${team.name}`);
    // Only their own team is offered.
    await expect(page.getByTestId('queue-team').locator('option')).toHaveText([team.name!]);
    const row = page.getByTestId('queue-unassigned').getByTestId('queue-row').first();
    const href = (await row.locator('a[href^="/findings/"]').first().getAttribute('href'))!;
    picked.id = href.split('/').pop();
    expect(picked.id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(row.getByTestId('queue-state')).toContainText('Unassigned');
    await row.getByTestId('assign-to').selectOption({ label: OWNER_LABEL });
    await row.getByRole('button', { name: 'Assign', exact: true }).click();
    const assigned = page
      .getByTestId('queue-assigned')
      .getByTestId('queue-row')
      .filter({ has: page.locator(`a[href="/findings/${picked.id}"]`) });
    await expect(assigned).toHaveCount(1);
    await expect(assigned.getByTestId('queue-state')).toContainText(`Assigned to ${OWNER_LABEL}`);
  });

  test('marks it fixed and sees it under "awaiting verification", here and on the finding page', async ({ page, visit }) => {
    await signInAs(page, visit, OWNER, PASSWORD, '/queue');
    await visit(`/queue?team=${encodeURIComponent(team.name!)}#assigned`, 'assigned');
    const row = page
      .getByTestId('queue-assigned')
      .getByTestId('queue-row')
      .filter({ has: page.locator(`a[href="/findings/${picked.id}"]`) });
    await row.getByTestId('mark-fixed-open').click();
    await row.getByTestId('mark-fixed-note').fill('set automountServiceAccountToken: false');
    await row.getByRole('button', { name: 'Mark fixed', exact: true }).click();
    const awaiting = page
      .getByTestId('queue-awaiting_verification')
      .getByTestId('queue-row')
      .filter({ has: page.locator(`a[href="/findings/${picked.id}"]`) });
    await expect(awaiting).toHaveCount(1);
    await expect(awaiting.getByTestId('queue-state')).toContainText('Fix claimed, awaiting verification');
    await expect(awaiting.getByTestId('queue-state')).toContainText(`Marked fixed by ${OWNER}`);
    await expect(awaiting.getByTestId('queue-state')).toContainText('The next collection verifies it.');
    // No second "mark fixed" while it waits; acceptance goes through the exception form.
    await expect(awaiting.getByTestId('mark-fixed-open')).toHaveCount(0);
    await expect(awaiting.getByRole('link', { name: /^Request acceptance/ })).toHaveAttribute(
      'href',
      `/findings/${picked.id}#exceptions`,
    );
    await visit(`/queue?team=${encodeURIComponent(team.name!)}`, 'awaiting');
    const finding = await visit(`/findings/${picked.id}`, 'finding');
    await expect(finding.getByTestId('finding-queue')).toContainText('Fix claimed, awaiting verification');
    await expect(finding.getByTestId('finding-queue')).toContainText(`Marked fixed by ${OWNER}`);
  });
});
