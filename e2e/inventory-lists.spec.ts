/**
 * Sorting and exporting the inventory lists (issue 14): a column header sorts the list by it, a second click
 * on the same header flips the order, the URL carries `sort` and `dir` (so the view can be shared) and the
 * header says it with aria-sort; "Export CSV" downloads the view as a CSV file whose first line is the header
 * row. Runs signed in as the e2e admin, after overview.spec.ts has loaded the demo data.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** The texts of the table's first column of links (the rows' names), top to bottom. */
const firstCells = async (page: Page, table: string, column: number) =>
  page.getByTestId(table).locator(`tbody tr td:nth-child(${column})`).allInnerTexts();

async function downloadCsv(page: Page): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), text: readFileSync(file, 'utf8') };
}

test.describe('inventory lists: sort and export', () => {
  test('identities: sort by name, flip it, share the URL, export the view as CSV', async ({ page, visit }) => {
    await visit('/identities?builtIn=show', 'identities');
    // No sort: riskiest first, shown on the Risk column.
    await expect(page.getByTestId('sort-risk')).toHaveAttribute('aria-sort', 'descending');
    await expect(page.getByTestId('sort-name')).toHaveAttribute('aria-sort', 'none');

    await page.getByTestId('sort-name').getByRole('link').click();
    await expect(page).toHaveURL(/[?&]sort=name&dir=asc/);
    await expect(page).toHaveURL(/builtIn=show/);
    await expect(page.getByTestId('sort-name')).toHaveAttribute('aria-sort', 'ascending');
    await expect(page.getByTestId('sort-name')).toContainText('sorted ascending');
    const ascending = await firstCells(page, 'identity-table', 2);
    expect(ascending.length).toBeGreaterThan(1);

    await page.getByTestId('sort-name').getByRole('link').click();
    await expect(page).toHaveURL(/[?&]sort=name&dir=desc/);
    await expect(page.getByTestId('sort-name')).toHaveAttribute('aria-sort', 'descending');
    const descending = await firstCells(page, 'identity-table', 2);
    expect(descending[0]).not.toBe(ascending[0]);

    // The URL alone gives the same view (a shared link).
    await visit('/identities?builtIn=show&sort=name&dir=desc', 'identities-sorted');
    expect(await firstCells(page, 'identity-table', 2)).toEqual(descending);

    const { name, text } = await downloadCsv(page);
    expect(name).toMatch(/^nhi-identities-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(text.split('\n')[0]).toBe(
      'id,cluster,kind,namespace,name,builtIn,deleted,risk,workloads,anomalies,capabilityCount,maxSeverity,reachesClusterAdmin,escalationDistance,owners',
    );
    expect(text.trim().split('\n').length).toBeGreaterThan(1);
  });

  test('identities: the filter form keeps the sort', async ({ page, visit }) => {
    await visit('/identities?sort=workloads&dir=desc', 'identities-by-workloads');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/sort=workloads&dir=desc/);
    await expect(page.getByTestId('sort-workloads')).toHaveAttribute('aria-sort', 'descending');
  });

  test('findings: sort by first seen and back, export CSV', async ({ page, visit }) => {
    await visit('/findings?status=all', 'findings');
    await page.getByTestId('sort-firstSeen').getByRole('link').click();
    await expect(page).toHaveURL(/sort=firstSeen&dir=desc/);
    await expect(page).toHaveURL(/status=all/);
    await expect(page.getByTestId('sort-firstSeen')).toHaveAttribute('aria-sort', 'descending');
    await page.getByTestId('sort-firstSeen').getByRole('link').click();
    await expect(page).toHaveURL(/sort=firstSeen&dir=asc/);
    await expect(page.getByTestId('sort-firstSeen')).toHaveAttribute('aria-sort', 'ascending');
    const { name, text } = await downloadCsv(page);
    expect(name).toMatch(/^nhi-findings-.*\.csv$/);
    expect(text.split('\n')[0]).toMatch(/^id,cluster,severity,ruleId,title,status/);
  });

  test('credentials and anomalies: sortable headers and CSV exports', async ({ page, visit }) => {
    await visit('/credentials?sort=name', 'credentials-by-name');
    await expect(page.getByTestId('sort-name')).toHaveAttribute('aria-sort', 'ascending');
    const credentials = await downloadCsv(page);
    expect(credentials.text.split('\n')[0]).toMatch(/^id,cluster,namespace,name,kind,class/);

    await visit('/anomalies?status=all', 'anomalies');
    await page.getByTestId('sort-lastSeen').getByRole('link').click();
    await expect(page).toHaveURL(/sort=lastSeen&dir=desc/);
    await page.getByTestId('sort-lastSeen').getByRole('link').click();
    await expect(page).toHaveURL(/sort=lastSeen&dir=asc/);
    const anomalies = await downloadCsv(page);
    expect(anomalies.text.split('\n')[0]).toMatch(/^id,cluster,severity,identity/);
  });
});
