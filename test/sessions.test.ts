import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestUser, registerTestClient, startTestProvider, type TestProvider } from './helpers/server.ts';
import { UserAgent, dom, text } from './helpers/user-agent.ts';
import { relyingParty, signIn, startAuthorization, type RelyingParty } from './helpers/flows.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
let provider: TestProvider;
let rp: RelyingParty;

test.before(async () => {
  // Short lifetimes so that expiry can be seen in seconds.
  provider = await startTestProvider({ env: { SESSION_IDLE_TTL: '4s', SESSION_MAX_TTL: '9s', INTERACTION_TTL: '5s' } });
  rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
});
test.after.always(async () => {
  await provider?.stop();
});

const asksForPassword = async (ua: UserAgent) => {
  const page = await ua.get((await startAuthorization(rp, { prompt: '' })).url.href, redirectUri);
  return Boolean(dom(page).querySelector('input[name=password]'));
};

test.serial('the sign-in session ends after SESSION_IDLE_TTL without a visit', async (t) => {
  const { ua } = await signIn(provider, rp, await createTestUser(provider));
  t.false(await asksForPassword(ua), 'signed in right after');
  await sleep(4500);
  t.true(await asksForPassword(ua), 'asked to sign in again after the idle time');
});

test.serial('the sign-in session ends SESSION_MAX_TTL after sign-in, even when active', async (t) => {
  const { ua } = await signIn(provider, rp, await createTestUser(provider));
  const signedInAt = Date.now();
  // A visit every 1.5 s keeps it from going idle (4 s) ...
  while (Date.now() - signedInAt < 7000) {
    await sleep(1500);
    t.false(await asksForPassword(ua), `still signed in after ${((Date.now() - signedInAt) / 1000).toFixed(1)} s`);
  }
  // ... but 9 s after sign-in it ends all the same.
  await sleep(signedInAt + 9500 - Date.now());
  t.true(await asksForPassword(ua));
});

test.serial('an interaction that has expired shows the start-again page, not an error', async (t) => {
  const user = await createTestUser(provider);
  const ua = new UserAgent();
  await ua.get((await startAuthorization(rp)).url.href, redirectUri);
  await sleep(5500);
  const page = await ua.submit({ email: user.email, password: user.password }, { stopAt: redirectUri });
  t.is(page.status, 400);
  t.regex(text(page), /This sign-in has expired/);
  t.regex(text(page), /Start again/);
  t.notRegex(page.body, /at [\w.]+ \(|Error:/, 'no stack trace');
});

test.serial('an unknown or tampered interaction shows the start-again page', async (t) => {
  const ua = new UserAgent();
  const unknown = await ua.get(`${provider.issuer}/interaction/does-not-exist`);
  t.is(unknown.status, 400);
  t.regex(text(unknown), /This sign-in has expired/);
  const resume = await ua.get(`${provider.issuer}/auth/does-not-exist`);
  t.true(resume.status >= 400 && resume.status < 500);
  t.regex(text(resume), /This sign-in has expired/);
});
