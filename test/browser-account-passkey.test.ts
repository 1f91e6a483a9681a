// The account page in real Chromium, with the DevTools virtual authenticator:
// a user with an authenticator app signs in to /account, registers a passkey
// there, signs out, signs in to a relying party with password and the
// passkey (amr pwd+hwk), goes back to /account and removes the passkey, and
// the next sign-in no longer offers it. Every page is screenshotted and
// checked with axe-core.
import test from 'ava';
import { ensureAccountClient } from '../src/seed.ts';
import { newTotpSecret } from '../src/accounts/totp.ts';
import { saveTotpAuthenticator } from '../src/queries/totp-authenticators.ts';
import { createTestUser, registerTestClient, startTestProvider, totpCode, type TestProvider } from './helpers/server.ts';
import { authorizeInBrowser, inspectPage, launchBrowser } from './helpers/browser.ts';
import { virtualAuthenticator } from './helpers/virtual-authenticator.ts';
import { finishAuthorization, freshStep, relyingParty, type RelyingParty } from './helpers/flows.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
let provider: TestProvider;
let rp: RelyingParty;

test.before(async () => {
  // WebAuthn refuses IP addresses as relying party ids.
  provider = await startTestProvider({ hostname: 'localhost' });
  await ensureAccountClient(provider.app.services);
  rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
});
test.after.always(async () => {
  await provider?.stop();
});

test('a passkey added on /account signs in with amr pwd+hwk, and once removed there is no longer offered', async (t) => {
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const authenticator = await virtualAuthenticator(browser, page, false);
  const { db, box } = provider.app.services;
  const user = await createTestUser(provider, { name: 'Ada Passkey' });
  const secret = newTotpSecret();
  await saveTotpAuthenticator(db, user.id, box.encrypt('totp-secret', secret), 0);
  const check = async (name: string) => {
    const violations = await inspectPage(page, `account-passkey-${name}`);
    t.deepEqual(violations, [], `${name}: ${violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
  };
  const enterPassword = async () => {
    await page.getByLabel('Email address').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Continue' }).click();
  };

  // Sign in to /account with the password and the authenticator app.
  await page.goto(`${provider.issuer}/account`);
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await check('01-sign-in');
  await enterPassword();
  await page.getByRole('heading', { name: 'Enter your one-time code' }).waitFor();
  await check('02-code');
  await freshStep(provider, secret);
  await page.getByLabel('One-time code').fill(await totpCode(secret, provider.clock));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${provider.issuer}/account`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await check('03-account');
  t.true(await page.getByText('You have no passkeys.').isVisible());
  // The other pages of the account, looked at and left unchanged.
  for (const [path, heading] of [
    ['/account/password', 'Change your password'],
    ['/account/authenticator', 'Replace your authenticator app'],
    ['/account/recovery-codes', 'Make new recovery codes?'],
    ['/account/sign-out-everywhere', 'Sign out everywhere?'],
  ] as const) {
    await page.goto(`${provider.issuer}${path}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await check(`03${path.replaceAll('/', '-')}`);
  }
  await page.goto(`${provider.issuer}/account`);

  // Register a passkey, named before pressing the button.
  await page.getByLabel('Name for a new passkey').fill('Blue security key');
  await page.getByRole('button', { name: 'Add a passkey or security key' }).click();
  await page.getByRole('status').filter({ hasText: 'Your passkey has been added' }).waitFor();
  await check('04-passkey-added');
  t.is(await authenticator.credentials(), 1);
  t.regex(await page.locator('.passkeys tbody tr').first().innerText(), /Blue security key\s+Security key or device-bound passkey/);
  const stored = await db('passkeys').where({ user_id: user.id });
  t.is(stored.length, 1);
  t.like(stored[0], { name: 'Blue security key', device_type: 'singleDevice' });

  // Sign out, here and at the provider.
  await page.getByRole('navigation', { name: 'Your account' }).getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign out of Govlink?' }).waitFor();
  await check('05-sign-out');
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL(`${provider.issuer}/account/signed-out`);
  await check('06-signed-out');

  // A relying party: password, then the passkey.
  const withPasskey = await authorizeInBrowser(page, rp);
  await enterPassword();
  await page.getByRole('button', { name: 'Use a passkey or security key' }).waitFor();
  await check('07-second-factor-with-passkey');
  await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
  const tokens = await finishAuthorization(rp, withPasskey.authorization, await withPasskey.reached);
  // Let the browser arrive at the client before sending it elsewhere, or the arrival interrupts the next navigation.
  await page.waitForURL('http://127.0.0.1:9/**');
  t.deepEqual(tokens.claims()?.amr, ['pwd', 'hwk']);
  t.is(tokens.claims()?.acr, 'mfa');
  t.truthy((await db('passkeys').where({ user_id: user.id }).first()).last_used_at);

  // Back to /account (the provider session carries over) and remove the passkey.
  await page.goto(`${provider.issuer}/account`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByRole('link', { name: 'Rename or remove Blue security key' }).click();
  await page.getByRole('heading', { name: 'Blue security key' }).waitFor();
  await check('08-passkey');
  await page.getByRole('button', { name: 'Remove this passkey' }).click();
  await page.getByRole('status').filter({ hasText: 'The passkey has been removed' }).waitFor();
  await check('09-passkey-removed');
  t.is((await db('passkeys').where({ user_id: user.id })).length, 0);

  // The next sign-in offers the authenticator app only.
  await authorizeInBrowser(page, rp, { prompt: 'login' });
  await enterPassword();
  await page.getByRole('heading', { name: 'Enter your one-time code' }).waitFor();
  await check('10-second-factor-without-passkey');
  t.is(await page.locator('form[data-passkey]').count(), 0, 'no passkey form');
  t.false(await page.getByRole('button', { name: 'Use a passkey or security key' }).isVisible());
});
