import test from 'ava';
import { createTestUser, registerTestClient, startTestProvider, totpCode, type TestProvider } from './helpers/server.ts';
import { UserAgent, dom, readForm, text } from './helpers/user-agent.ts';
import { continueFrom, finishAuthorization, relyingParty, secretFromSetupPage, signIn, startAuthorization } from './helpers/flows.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
let provider: TestProvider;
test.before(async () => {
  provider = await startTestProvider();
});
test.after.always(async () => {
  await provider?.stop();
});

async function toConsentPage(firstParty: boolean) {
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri], firstParty, name: 'Parks booking' }));
  const user = await createTestUser(provider);
  const ua = new UserAgent();
  const authorization = await startAuthorization(rp, { scope: 'openid email organisation', prompt: '' });
  await ua.get(authorization.url.href, redirectUri);
  const setup = await ua.submit({ email: user.email, password: user.password });
  provider.clock.advance(30);
  const page = await continueFrom(ua, await ua.submit({ code: await totpCode(secretFromSetupPage(setup), provider.clock) }, { stopAt: redirectUri }), redirectUri);
  return { rp, ua, page, authorization, user };
}

test.serial('a third-party client gets the consent page, listing what it asks for', async (t) => {
  const { rp, ua, page, authorization } = await toConsentPage(false);
  t.is(page.status, 200);
  t.regex(text(page), /Allow Parks booking to use your Govlink account\?/);
  t.regex(text(page), /Your email address/);
  t.regex(text(page), /Your organisation and role/);
  const allowed = await ua.submit({}, { stopAt: redirectUri, selector: 'form[action$="/consent"]' });
  t.true(allowed.url.startsWith(redirectUri));
  const tokens = await finishAuthorization(rp, authorization, allowed.url);
  t.is(tokens.claims()?.acr, 'mfa');
  // Consent is remembered: the next authorization does not ask again.
  const again = await ua.get((await startAuthorization(rp, { scope: 'openid email organisation', prompt: '' })).url.href, redirectUri);
  t.true(again.url.startsWith(redirectUri));
});

test.serial('refusing consent sends the relying party access_denied', async (t) => {
  const { ua } = await toConsentPage(false);
  const denied = await ua.submit({}, { stopAt: redirectUri, selector: 'form[action$="/abort"]' });
  t.is(new URL(denied.url).searchParams.get('error'), 'access_denied');
});

test.serial('a first-party client never shows the consent page', async (t) => {
  const { page } = await toConsentPage(true);
  t.true(page.url.startsWith(redirectUri));
  t.truthy(new URL(page.url).searchParams.get('code'));
});

test.serial('cancelling at the password step sends the relying party access_denied', async (t) => {
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
  const ua = new UserAgent();
  await ua.get((await startAuthorization(rp)).url.href, redirectUri);
  const back = await ua.submit({}, { stopAt: redirectUri, selector: 'form[action$="/abort"]' });
  t.is(new URL(back.url).searchParams.get('error'), 'access_denied');
});

test.serial('a user whose OTP was reset by an administrator cannot enrol at sign-in', async (t) => {
  const rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
  const user = await createTestUser(provider);
  const { db } = provider.app.services;
  await signIn(provider, rp, user);
  await db('totp_authenticators').where({ user_id: user.id }).delete();
  await db('users').where({ id: user.id }).update({ otp_setup_at_sign_in: false });
  const ua = new UserAgent();
  const passwordPage = await ua.get((await startAuthorization(rp)).url.href, redirectUri);
  // The browser's own CSRF token, so that only the sign-in rules can refuse the forced set-up.
  const { _csrf: csrf = '' } = readForm(passwordPage).fields;
  const page = await ua.submit({ email: user.email, password: user.password });
  t.is(page.status, 403);
  t.regex(text(page), /one-time code has been reset/);
  t.falsy(dom(page).querySelector('#otp-secret'), 'no new secret is offered');
  const forced = await ua.navigate(`${page.url}/otp-setup`, { method: 'POST', body: new URLSearchParams({ code: '123456', _csrf: csrf }) });
  t.true(forced.status >= 400);
});
