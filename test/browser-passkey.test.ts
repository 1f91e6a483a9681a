// Passkeys in real Chromium, with the DevTools virtual authenticator: set one
// up as the first second factor, sign in with it, and check amr.
import test from 'ava';
import { createTestUser, registerTestClient, startTestProvider, type TestProvider } from './helpers/server.ts';
import { authorizeInBrowser, inspectPage, launchBrowser } from './helpers/browser.ts';
import { virtualAuthenticator } from './helpers/virtual-authenticator.ts';
import { finishAuthorization, relyingParty, type RelyingParty } from './helpers/flows.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
let provider: TestProvider;
let rp: RelyingParty;

test.before(async () => {
  provider = await startTestProvider({ hostname: 'localhost' });
  rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
});
test.after.always(async () => {
  await provider?.stop();
});


for (const synced of [false, true]) {
  const amr = synced ? 'swk' : 'hwk';
  test.serial(`a ${synced ? 'synced passkey' : 'security key'} set up at first sign-in signs in with amr pwd+${amr}`, async (t) => {
    const browser = await launchBrowser();
    t.teardown(() => browser.close());
    const { page } = browser;
    const authenticator = await virtualAuthenticator(browser, page, synced);
    const user = await createTestUser(provider);
    const check = async (name: string) => {
      const violations = await inspectPage(page, `passkey-${amr}-${name}`);
      t.deepEqual(violations, [], `${name}: ${violations.map((v) => `${v.id}: ${v.help}`).join('; ')}`);
    };

    const first = await authorizeInBrowser(page, rp);
    await page.getByLabel('Email address').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await page.getByRole('button', { name: 'Set up a passkey or security key' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    t.is(await authenticator.credentials(), 1, 'the authenticator holds the new credential');
    await page.getByRole('link', { name: 'I have saved them, continue' }).click();
    const firstTokens = await finishAuthorization(rp, first.authorization, await first.reached);
    t.deepEqual(firstTokens.claims()?.amr, ['pwd', amr]);
    t.is(firstTokens.claims()?.acr, 'mfa');
    const stored = await provider.app.services.db('passkeys').where({ user_id: user.id });
    t.is(stored.length, 1);
    t.is(stored[0].device_type, synced ? 'multiDevice' : 'singleDevice');
    t.is(stored[0].backed_up, synced);
    t.true(Array.isArray(stored[0].transports));

    // Sign in again with the passkey as the second factor.
    const second = await authorizeInBrowser(page, rp, { prompt: 'login' });
    await page.getByLabel('Password').fill(user.password);
    await page.getByLabel('Email address').fill(user.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Use your passkey' }).waitFor();
    await check('second-factor');
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    const secondTokens = await finishAuthorization(rp, second.authorization, await second.reached);
    t.deepEqual(secondTokens.claims()?.amr, ['pwd', amr]);
    const used = await provider.app.services.db('passkeys').where({ user_id: user.id }).first();
    t.truthy(used.last_used_at, 'the use was recorded');
    t.true(Number(used.counter) >= Number(stored[0].counter));
  });
}
