// The newcomer's path in real Chromium: portal → password → OTP set-up →
// portal shows the user → sign out. Every page is screenshotted and checked
// with axe-core.
import test from 'ava';
import { generate } from 'otplib';
import { createTestUser, type TestProvider } from './helpers/server.ts';
import { inspectPage, launchBrowser, type Browser } from './helpers/browser.ts';
import type { RunningPortal } from '../portal/server.ts';
import { startProviderWithPortal } from './helpers/portal.ts';

let provider: TestProvider;
let portal: RunningPortal;
let browser: Browser;

test.before(async () => {
  ({ provider, portal } = await startProviderWithPortal());
  browser = await launchBrowser();
});

test.after.always(async () => {
  await browser?.close();
  await portal?.stop();
  await provider?.stop();
});

test('a newcomer signs in to the portal with a password and an authenticator, then signs out', async (t) => {
  const user = await createTestUser(provider, { name: 'Grace Hopper', orgName: 'Navy Computing' });
  const { page } = browser;
  const check = async (name: string) => {
    const violations = await inspectPage(page, name);
    t.deepEqual(violations, [], `${name}: ${violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
  };

  await page.goto(portal.url);
  await check('01-portal-signed-out');
  await page.getByRole('link', { name: 'Sign in' }).first().click();

  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await check('02-password');
  await page.getByLabel('Email address').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  await check('03-otp-setup');
  t.true(await page.locator('.qr svg').isVisible(), 'the QR code is shown');
  const secret = (await page.locator('#otp-secret').innerText()).replace(/\s+/g, '');
  t.regex(secret, /^[A-Z2-7]{32}$/);
  const href = await page.locator('a.otpauth-link').getAttribute('href');
  t.true(href?.startsWith('otpauth://totp/'));
  await page.getByLabel('Code from your app').fill(await generate({ secret, epoch: Math.floor(provider.clock.now().getTime() / 1000) }));
  await page.getByRole('button', { name: 'Confirm and sign in' }).click();

  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  await check('04-recovery-codes');
  t.is(await page.locator('.recovery-codes code').count(), 10);
  await page.getByRole('link', { name: 'I have saved them, continue' }).click();

  await page.waitForURL(`${portal.url}/`);
  await check('05-portal-signed-in');
  t.is(await page.locator('.user-name').innerText(), 'Grace Hopper');
  t.is(await page.locator('.user-email').innerText(), user.email);
  t.is(await page.locator('.user-organisation').innerText(), 'Navy Computing');

  await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign out of Govlink?' }).waitFor();
  await check('06-sign-out-confirm');
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${portal.url}/**`);
  await check('07-portal-signed-out-again');
  t.true(await page.getByRole('link', { name: 'Sign in' }).first().isVisible());

  // Signed out at the provider too: signing in again asks for the password.
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  t.true(await page.getByLabel('Password').isVisible());
});
