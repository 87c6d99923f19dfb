import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test as setup } from '@playwright/test';
import { E2E_ADMIN } from './fixtures';

export const ADMIN_STATE = path.resolve('test-results', 'e2e-auth', 'admin.json');

/** Signs the first admin in through the sign-in page once; the specs run with its session (playwright.config.ts). */
setup('the first admin signs in through the sign-in page', async ({ page }) => {
  mkdirSync(path.dirname(ADMIN_STATE), { recursive: true });
  const res = await page.goto('/identities');
  expect(res?.status()).toBe(200);
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fidentities$/);
  await page.getByLabel('E-mail address').fill(E2E_ADMIN.email);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/identities$/);
  await expect(page.getByTestId('user-menu')).toContainText('Administrator');
  await page.context().storageState({ path: ADMIN_STATE });
});
