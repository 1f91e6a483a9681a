// The sign-in sessions on the account page: the list (when, how, to which
// applications, this browser), ending one session, and signing out
// everywhere. What counts is what the browsers and relying parties see
// afterwards: who must sign in again, and which refresh tokens still work.
import test from 'ava';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { createPortal } from '../portal/app.ts';
import { listen } from '../src/app.ts';
import { ensureAccountClient } from '../src/seed.ts';
import { createTestUser, registerTestClient, startTestProvider, totpCode, type TestProvider } from './helpers/server.ts';
import { UserAgent, dom, text, type Page } from './helpers/user-agent.ts';
import { notice, submitForm } from './helpers/admin.ts';
import { mustSignInAgain, signInToAccount } from './helpers/account.ts';
import { continueFrom, freshStep, relyingParty, secretFromSetupPage, signIn, startAuthorization, type RelyingParty } from './helpers/flows.ts';
import { lastMail } from './helpers/mail.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
let provider: TestProvider;
let rp: RelyingParty;

test.before(async () => {
  provider = await startTestProvider();
  await ensureAccountClient(provider.app.services);
  rp = await relyingParty(provider, await registerTestClient(provider, { name: 'Parks booking', redirectUris: [redirectUri] }));
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;
const url = (path: string) => `${provider.issuer}${path}`;
const rows = (page: Page) => dom(page).querySelectorAll('.sessions tbody tr');
const audit = (userId: string, type: string) => db()('audit_events').where({ target_user_id: userId, type });

/** Whether the relying party's next sign-in in this browser asks for the password. */
async function relyingPartyAsksForPassword(ua: UserAgent): Promise<boolean> {
  const page = await ua.get((await startAuthorization(rp, { prompt: '' })).url.href, redirectUri);
  if (page.url.startsWith(redirectUri)) return false;
  if (dom(page).querySelector('input[name=password]')) return true;
  throw new Error(`unexpected page ${page.url} ${page.status}: ${text(page).slice(0, 300)}`);
}

/** Whether this refresh token still gets new tokens. */
async function refreshWorks(refreshToken: string): Promise<boolean> {
  try {
    await oidc.refreshTokenGrant(rp.config, refreshToken);
    return true;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') return false;
    throw error;
  }
}

/** One user in two browsers: A on the account page, B at a relying party (with offline_access) and on the account page. */
async function twoBrowsers(name: string) {
  const user = await createTestUser(provider, { name });
  const a = await signInToAccount(provider, user);
  const b = await signIn(provider, rp, { ...user, totpSecret: a.secret });
  const bAccount = await b.ua.get(url('/account'));
  if (bAccount.status !== 200) throw new Error('browser B did not reach the account page');
  return { user, a, b, refreshToken: b.tokens.refresh_token! };
}

test.serial('the list shows each session: when, how, to which applications, and which one is this browser', async (t) => {
  const { user, a } = await twoBrowsers('Lou List');
  const page = await a.ua.get(url('/account'));
  const sessions = rows(page);
  t.is(sessions.length, 2);
  const current = sessions.filter((row) => row.classList.contains('current-session'));
  t.is(current.length, 1);
  t.regex(current[0]!.textContent, /This browser/);
  t.regex(current[0]!.textContent, /password and one-time code/);
  t.regex(current[0]!.textContent, /Govlink account/);
  t.falsy(current[0]!.querySelector('form'), 'this browser signs out with Sign out instead');
  const other = sessions.find((row) => !row.classList.contains('current-session'))!;
  t.regex(other.textContent, /Parks booking, Govlink account/);
  t.regex(other.textContent, /\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  t.truthy(other.querySelector('form.end-session button'));
  const cookieValues = await db()('oidc_payloads').where({ model: 'Session' }).whereRaw("payload->>'accountId' = ?", [user.id]).pluck('id');
  t.is(cookieValues.length, 2);
  t.false(cookieValues.some((id: string) => page.body.includes(id)), 'session cookie values are never shown');
});

test.serial('ending one session: that browser must sign in again and its refresh token stops working; the other browser stays', async (t) => {
  const { user, a, b, refreshToken } = await twoBrowsers('Eda End');
  // Refresh tokens rotate: the one from this refresh is the one to try afterwards.
  const fresh = (await oidc.refreshTokenGrant(rp.config, refreshToken)).refresh_token!;
  await a.ua.get(url('/account'));
  const done = await submitForm(a.ua, 'form.end-session');
  t.is(new URL(done.url).pathname, '/account');
  t.regex(notice(done), /The sign-in session has ended/);
  t.is(rows(done).length, 1);

  t.true(await mustSignInAgain(provider, b.ua), 'browser B must sign in again to its account page');
  t.true(await relyingPartyAsksForPassword(b.ua), 'and at the relying party');
  t.false(await refreshWorks(fresh), "B's refresh token is refused");
  t.false(await mustSignInAgain(provider, a.ua), 'browser A is still signed in');
  t.false(await relyingPartyAsksForPassword(a.ua));
  t.regex((await lastMail(provider, user.email, 'security_change')).text, /sign-in session of your Govlink account was ended/);
  t.like((await audit(user.id, 'session.ended'))[0], { actor_user_id: user.id });
});

test.serial('an unknown or foreign session cannot be ended', async (t) => {
  const { a } = await twoBrowsers('Fay Foreign');
  const stranger = await twoBrowsers('Sid Stranger');
  const theirs = dom(await stranger.a.ua.get(url('/account'))).querySelector('form.end-session')!.getAttribute('action')!;
  const page = await a.ua.get(url('/account'));
  const csrf = dom(page).querySelector('form.account-sign-out input[name=_csrf]')!.getAttribute('value')!;
  const refused = await a.ua.navigate(url(theirs), { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) });
  t.is(refused.status, 404);
  t.false(await mustSignInAgain(provider, stranger.b.ua), "the other user's session is untouched");
  t.is((await a.ua.navigate(url('/account/sessions/nope/end'), { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) })).status, 404);
});

test.serial('sign out everywhere: every browser must sign in again and refresh tokens from before are refused', async (t) => {
  const { user, a, b, refreshToken } = await twoBrowsers('Evan Everywhere');
  await a.ua.get(url('/account'));
  const confirm = await a.ua.get(url('/account/sign-out-everywhere'));
  t.regex(text(confirm), /This ends all 2 of your sign-in sessions/);
  const done = await submitForm(a.ua, 'form#confirm');
  t.is(done.url, url('/account/signed-out?done=everywhere'));
  t.regex(text(done), /You have signed out everywhere/);

  t.true(await mustSignInAgain(provider, a.ua), 'this browser must sign in again');
  t.true(await mustSignInAgain(provider, b.ua), 'the other browser too');
  t.true(await relyingPartyAsksForPassword(b.ua));
  t.false(await refreshWorks(refreshToken), 'the offline_access refresh token is refused');
  t.is(await db()('oidc_payloads').whereRaw("payload->>'accountId' = ?", [user.id]).whereIn('model', ['Session', 'Grant', 'RefreshToken']).count('* as n').first().then((row) => Number(row?.n)), 0);
  t.regex((await lastMail(provider, user.email, 'security_change')).text, /signed out everywhere/);
  t.like((await audit(user.id, 'user.signed_out_everywhere'))[0], { details: { sessions: 2 } });
});

test.serial('signing out of the account page ends it here and at the provider', async (t) => {
  const { a } = await twoBrowsers('Sue Signout');
  await a.ua.get(url('/account'));
  const confirm = await submitForm(a.ua, 'form.account-sign-out');
  t.true(confirm.history[0]?.location?.startsWith(url('/session/end')));
  const out = await a.ua.submit({ logout: 'yes' });
  t.is(out.url, url('/account/signed-out'));
  t.regex(text(out), /You have signed out of your Govlink account on this browser/);
  t.true(await mustSignInAgain(provider, a.ua));
});

test.serial("the portal's top bar links to the account page, reached without signing in again", async (t) => {
  const server = createServer();
  const portalUrl = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = await registerTestClient(provider, { name: 'Govlink portal', redirectUris: [`${portalUrl}/callback`], postLogoutRedirectUris: [`${portalUrl}/`] });
  const portal = await createPortal({ issuer: provider.issuer, clientId: client.clientId, clientSecret: client.secret, baseUrl: portalUrl, cookieSecret: 'a portal cookie secret of at least 32 characters', logger: pino({ level: 'silent' }) });
  server.on('request', portal.callback());

  const user = await createTestUser(provider, { name: 'Paul Portal' });
  const ua = new UserAgent();
  await ua.get(`${portalUrl}/login`);
  const setup = await ua.submit({ email: user.email, password: user.password });
  const secret = secretFromSetupPage(setup);
  await freshStep(provider, secret);
  const home = await continueFrom(ua, await ua.submit({ code: await totpCode(secret, provider.clock) }), 'http://stop.invalid/');
  t.is(home.url, `${portalUrl}/`);
  const link = dom(home).querySelector('header a.account-link');
  t.is(link?.textContent, 'Your account');
  t.is(link?.getAttribute('href'), url('/account'));
  const account = await ua.get(link!.getAttribute('href')!);
  t.is(account.url, url('/account'));
  t.is(dom(account).querySelector('h1')?.textContent, 'Your account');
  t.regex(text(account), /Govlink portal, Govlink account/);
});
