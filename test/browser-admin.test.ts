// The administrator's and the user's path in real Chromium, two browsers
// side by side: the admin resets a user's password and then their OTP from
// the Update user screen; the user completes both emailed links and signs in
// to the Govlink portal with the new password and the new authenticator.
// Every page is screenshotted and checked with axe-core.
import test from 'ava';
import type { Page } from 'playwright-core';
import { createTestUser, totpCode, type TestProvider } from './helpers/server.ts';
import { inspectPage, launchBrowser, type Browser } from './helpers/browser.ts';
import { lastMail, linkIn } from './helpers/mail.ts';
import { freshStep } from './helpers/flows.ts';
import type { RunningPortal } from '../portal/server.ts';
import { startProviderWithPortal } from './helpers/portal.ts';
import { ensureAdminClient } from '../src/seed.ts';


let provider: TestProvider;
let portal: RunningPortal;
let adminBrowser: Browser;
let userBrowser: Browser;

test.before(async () => {
  ({ provider, portal } = await startProviderWithPortal());
  await ensureAdminClient(provider.app.services);
  [adminBrowser, userBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
});

test.after.always(async () => {
  await adminBrowser?.close();
  await userBrowser?.close();
  await portal?.stop();
  await provider?.stop();
});

/** Reads the manual-entry key off an OTP set-up page and enters the code an authenticator app would show now. */
async function enterCodeFor(page: Page, secret: string, label: string): Promise<void> {
  await freshStep(provider, secret);
  await page.getByLabel(label).fill(await totpCode(secret, provider.clock));
}

test('an admin resets a user’s password and OTP from the Update user screen; the user completes both links and signs in to the portal', async (t) => {
  const admin = await createTestUser(provider, { role: 'org_admin', name: 'Ada Lovelace', orgName: 'Analytical Engines' });
  const user = await createTestUser(provider, { orgId: admin.orgId, name: 'Grace Hopper' });
  const check = async (page: Page, name: string) => {
    const violations = await inspectPage(page, name);
    t.deepEqual(violations, [], `${name}: ${violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
  };
  const adminPage = adminBrowser.page;
  const userPage = userBrowser.page;

  // The administrator signs in to the screen: password, then a first authenticator.
  await adminPage.goto(`${provider.issuer}/admin`);
  await adminPage.waitForURL(`${provider.issuer}/interaction/**`);
  await check(adminPage, 'admin-01-sign-in');
  await adminPage.getByLabel('Email address').fill(admin.email);
  await adminPage.getByLabel('Password', { exact: true }).fill(admin.password);
  await adminPage.getByRole('button', { name: 'Continue' }).click();
  await adminPage.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  const adminSecret = (await adminPage.locator('#otp-secret').innerText()).replace(/\s+/g, '');
  await enterCodeFor(adminPage, adminSecret, 'Code from your app');
  await adminPage.getByRole('button', { name: 'Confirm and sign in' }).click();
  const continueLink = adminPage.locator('a#continue');
  await Promise.race([continueLink.waitFor(), adminPage.waitForURL(`${provider.issuer}/admin`)]);
  if (await continueLink.isVisible()) await continueLink.click();
  await adminPage.waitForURL(`${provider.issuer}/admin`);
  await check(adminPage, 'admin-02-users');
  t.is(await adminPage.locator('.admin-nav-user').innerText(), 'Ada Lovelace');

  // Reset password, confirmed.
  await adminPage.getByRole('link', { name: 'Grace Hopper' }).click();
  await adminPage.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
  await check(adminPage, 'admin-03-update-user');
  await adminPage.getByRole('link', { name: 'Reset password' }).click();
  await adminPage.getByRole('heading', { name: 'Reset the password of Grace Hopper?' }).waitFor();
  await check(adminPage, 'admin-04-confirm-reset-password');
  await adminPage.getByRole('button', { name: 'Reset password' }).click();
  await adminPage.getByRole('status').filter({ hasText: 'The password has been reset' }).waitFor();
  t.true(await adminPage.locator('.pending-links').getByText('Password reset').isVisible());
  await check(adminPage, 'admin-05-password-reset-done');

  // The user chooses a new password through the emailed link.
  const newPassword = 'copper lantern meadow';
  await userPage.goto(linkIn(await lastMail(provider, user.email, 'password_reset'), provider.issuer));
  await userPage.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await check(userPage, 'user-01-choose-password');
  await userPage.getByLabel('New password', { exact: true }).fill(newPassword);
  await userPage.getByLabel('Type the new password again').fill(newPassword);
  await userPage.getByRole('button', { name: 'Save the new password' }).click();
  await userPage.getByRole('heading', { name: 'Your password has been changed' }).waitFor();
  await check(userPage, 'user-02-password-changed');

  // Reset OTP, confirmed.
  await adminPage.getByRole('link', { name: 'Reset OTP' }).click();
  await adminPage.getByRole('heading', { name: 'Reset the one-time code of Grace Hopper?' }).waitFor();
  await check(adminPage, 'admin-06-confirm-reset-otp');
  await adminPage.getByRole('button', { name: 'Reset OTP' }).click();
  await adminPage.getByRole('status').filter({ hasText: 'The one-time code has been reset' }).waitFor();
  t.true(await adminPage.locator('.pending-links').getByText('One-time code reset').isVisible());
  await check(adminPage, 'admin-07-otp-reset-done');

  // The user proves their password and enrols a new authenticator through the second link.
  await userPage.goto(linkIn(await lastMail(provider, user.email, 'otp_reset'), provider.issuer));
  await userPage.getByRole('heading', { name: 'Set up a new authenticator' }).waitFor();
  await check(userPage, 'user-03-otp-link-password');
  await userPage.getByLabel('Your current password').fill(newPassword);
  await userPage.getByRole('button', { name: 'Continue' }).click();
  await userPage.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  await check(userPage, 'user-04-otp-link-setup');
  const userSecret = (await userPage.locator('#otp-secret').innerText()).replace(/\s+/g, '');
  t.regex(userSecret, /^[A-Z2-7]{32}$/);
  await enterCodeFor(userPage, userSecret, 'Code from your app');
  await userPage.getByRole('button', { name: 'Confirm' }).click();
  await userPage.getByRole('heading', { name: 'Your new authenticator is set up' }).waitFor();
  await check(userPage, 'user-05-otp-link-done');

  // The user signs in to the portal with the new password and the new authenticator.
  await userPage.goto(portal.url);
  await userPage.getByRole('link', { name: 'Sign in' }).first().click();
  await userPage.waitForURL(`${provider.issuer}/interaction/**`);
  await userPage.getByLabel('Email address').fill(user.email);
  await userPage.getByLabel('Password', { exact: true }).fill(newPassword);
  await userPage.getByRole('button', { name: 'Continue' }).click();
  const code = userPage.locator('input[name=code]');
  await code.waitFor();
  await check(userPage, 'user-06-sign-in-code');
  await freshStep(provider, userSecret);
  await code.fill(await totpCode(userSecret, provider.clock));
  await code.press('Enter');
  await userPage.waitForURL(`${portal.url}/**`);
  await check(userPage, 'user-07-portal-signed-in');
  t.is(await userPage.locator('.user-name').innerText(), 'Grace Hopper');
  t.is(await userPage.locator('.user-email').innerText(), user.email);

  // The administrator sees both links used, and signs out.
  await adminPage.reload();
  t.true(await adminPage.getByText('There are no links waiting for this user.').isVisible());
  await adminPage.getByRole('navigation', { name: 'Administration' }).getByRole('button', { name: 'Sign out' }).click();
  await adminPage.getByRole('heading', { name: 'Sign out of Govlink?' }).waitFor();
  await adminPage.getByRole('button', { name: 'Yes, sign me out' }).click();
  await adminPage.waitForURL(`${provider.issuer}/admin/signed-out`);
  await check(adminPage, 'admin-08-signed-out');
});
