import test from 'ava';
// Serial: the tests move the provider's clock.
import argon2 from 'argon2';
import { createTestUser, registerTestClient, startTestProvider, totpCode, type TestProvider } from './helpers/server.ts';
import { UserAgent, dom, errorSummary, text, type Page } from './helpers/user-agent.ts';
import { relyingParty, signIn, startAuthorization, type RelyingParty } from './helpers/flows.ts';
import { findUserById } from '../src/queries/users.ts';

let provider: TestProvider;
let rp: RelyingParty;
const redirectUri = 'http://127.0.0.1:9/callback';

test.before(async () => {
  provider = await startTestProvider();
  rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
});
test.after.always(async () => {
  await provider?.stop();
});

/** A user agent on the password page of a fresh authorization. */
async function atPasswordPage(ua = new UserAgent()) {
  await ua.get((await startAuthorization(rp)).url.href, redirectUri);
  return ua;
}

/** A user agent that has passed the password step and is at the OTP page. */
async function atOtpPage(user: { email: string; password: string }) {
  const ua = await atPasswordPage();
  const page = await ua.submit({ email: user.email, password: user.password });
  if (!dom(page).querySelector('form[action$="/otp"]')) throw new Error(`not at the OTP page: ${page.status} ${text(page).slice(0, 300)}`);
  return ua;
}


async function enrolledUser() {
  const user = await createTestUser(provider);
  const { secret } = await signIn(provider, rp, user);
  return { ...user, totpSecret: secret };
}

test.serial('a used OTP is refused within its window, even from another browser', async (t) => {
  const user = await enrolledUser();
  provider.clock.advance(30);
  const code = await totpCode(user.totpSecret, provider.clock);
  const first = await atOtpPage(user);
  const accepted = await first.submit({ code }, { stopAt: redirectUri });
  t.true(accepted.url.startsWith(redirectUri));

  const second = await atOtpPage(user);
  const replayed = await second.submit({ code }, { stopAt: redirectUri });
  t.is(replayed.status, 400);
  t.regex(errorSummary(replayed), /already been used|not right/);
});

test.serial('the same code sent by two parallel requests is accepted once', async (t) => {
  const user = await enrolledUser();
  provider.clock.advance(30);
  const code = await totpCode(user.totpSecret, provider.clock);
  const agents = await Promise.all([atOtpPage(user), atOtpPage(user), atOtpPage(user)]);
  const results = await Promise.all(agents.map((ua) => ua.submit({ code }, { stopAt: redirectUri })));
  t.is(results.filter((page) => page.url.startsWith(redirectUri)).length, 1);
  t.is(results.filter((page) => page.status === 400).length, 2);
});

test.serial('a code one step old is accepted (clock drift), a code three steps old is refused', async (t) => {
  const user = await enrolledUser();
  provider.clock.advance(120);
  const stale = await atOtpPage(user);
  const refused = await stale.submit({ code: await totpCode(user.totpSecret, provider.clock, -90) }, { stopAt: redirectUri });
  t.is(refused.status, 400);
  const drifted = await stale.submit({ code: await totpCode(user.totpSecret, provider.clock, -30) }, { stopAt: redirectUri });
  t.true(drifted.url.startsWith(redirectUri));
});

test.serial('an unknown email and a wrong password get the same answer in about the same time', async (t) => {
  const user = await createTestUser(provider);
  const timed = async (email: string, password: string) => {
    const ua = await atPasswordPage();
    const started = performance.now();
    const page = await ua.submit({ email, password });
    return { page, ms: performance.now() - started };
  };
  // Warm up argon2 and the dummy hash so that neither path pays a first-call cost.
  await timed('warm-up@example.gov', 'nothing at all here');
  const unknown: number[] = [];
  const wrong: number[] = [];
  let pages: Page[] = [];
  for (let round = 0; round < 3; round += 1) {
    const a = await timed(`nobody.${round}@example.gov`, 'a wrong password here');
    const b = await timed(user.email, 'a wrong password here');
    unknown.push(a.ms);
    wrong.push(b.ms);
    pages = [a.page, b.page];
  }
  const [forUnknown, forWrong] = pages as [Page, Page];
  t.is(forUnknown.status, 400);
  t.is(forWrong.status, forUnknown.status);
  t.is(errorSummary(forWrong), errorSummary(forUnknown));
  t.regex(errorSummary(forUnknown), /email address or password is not right/);
  const median = (values: number[]) => values.sort((x, y) => x - y)[1]!;
  const ratio = median(unknown) / median(wrong);
  t.true(ratio > 0.6 && ratio < 1.6, `unknown ${median(unknown).toFixed(0)} ms vs wrong ${median(wrong).toFixed(0)} ms`);
  t.true(median(unknown) > 10, 'the unknown email went through argon2 too');
});

test.serial('ten wrong passwords lock the account for 15 minutes; then the right one works', async (t) => {
  const user = await createTestUser(provider);
  const ua = await atPasswordPage();
  for (let attempt = 1; attempt <= 10; attempt += 1) {
    const page = await ua.submit({ email: user.email, password: `wrong password ${attempt}` });
    t.is(page.status, 400, `attempt ${attempt}`);
  }
  const locked = await ua.submit({ email: user.email, password: user.password });
  t.is(locked.status, 429, 'the right password is refused while locked');
  t.regex(errorSummary(locked), /Too many failed attempts/);
  t.truthy(locked.headers.get('retry-after'));
  // An unknown email locks the same way: the lock says nothing about whether the account exists.
  const unknownEmail = `nobody.${Date.now()}@example.gov`;
  for (let attempt = 1; attempt <= 10; attempt += 1) await ua.submit({ email: unknownEmail, password: 'wrong password' });
  t.is((await ua.submit({ email: unknownEmail, password: 'wrong password' })).status, 429);

  provider.clock.advance(15 * 60 + 1);
  const after = await ua.submit({ email: user.email, password: user.password });
  t.is(after.status, 200);
  t.truthy(dom(after).querySelector('form[action$="/otp-setup"]'));
  const events = await provider.app.services.db('audit_events').where({ target_user_id: user.id }).pluck('type');
  t.true(events.includes('sign_in.locked'));
});

test.serial('parallel wrong passwords cannot get past the limit', async (t) => {
  const user = await createTestUser(provider);
  const agents = await Promise.all(Array.from({ length: 16 }, () => atPasswordPage()));
  const pages = await Promise.all(agents.map((ua, i) => ua.submit({ email: user.email, password: `parallel wrong ${i}` })));
  const checked = pages.filter((page) => page.status === 400).length;
  const refused = pages.filter((page) => page.status === 429).length;
  t.is(checked, 10, 'exactly ten passwords were checked');
  t.is(refused, 6);
  provider.clock.advance(15 * 60 + 1);
});

test.serial('five wrong codes lock the second step; the right code is then refused', async (t) => {
  const user = await enrolledUser();
  const ua = await atOtpPage(user);
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const page = await ua.submit({ code: '000000' === (await totpCode(user.totpSecret, provider.clock)) ? '111111' : '000000' });
    t.is(page.status, 400, `attempt ${attempt}`);
  }
  provider.clock.advance(30);
  const locked = await ua.submit({ code: await totpCode(user.totpSecret, provider.clock) }, { stopAt: redirectUri });
  t.is(locked.status, 429);
  t.regex(errorSummary(locked), /Too many wrong codes/);
  provider.clock.advance(15 * 60);
  const later = await atOtpPage(user);
  const accepted = await later.submit({ code: await totpCode(user.totpSecret, provider.clock) }, { stopAt: redirectUri });
  t.true(accepted.url.startsWith(redirectUri));
});

test.serial('a disabled user is refused after the password, before any second factor', async (t) => {
  const user = await createTestUser(provider);
  await provider.app.services.db('users').where({ id: user.id }).update({ status: 'disabled' });
  const ua = await atPasswordPage();
  const page = await ua.submit({ email: user.email, password: user.password });
  t.is(page.status, 403);
  t.regex(errorSummary(page), /disabled/);
  t.falsy(dom(page).querySelector('input[name=code]'));
});

test.serial('an invited user has no password to sign in with', async (t) => {
  const { db } = provider.app.services;
  const user = await createTestUser(provider);
  await db('users').where({ id: user.id }).update({ status: 'invited' });
  const page = await (await atPasswordPage()).submit({ email: user.email, password: user.password });
  t.is(page.status, 400);
  t.regex(errorSummary(page), /email address or password is not right/);
});

test.serial('a password hash with weaker parameters is upgraded at sign-in', async (t) => {
  const { db } = provider.app.services;
  const user = await createTestUser(provider);
  await db('users').where({ id: user.id }).update({ password_hash: await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 }) });
  await (await atPasswordPage()).submit({ email: user.email, password: user.password });
  const hash = (await findUserById(db, user.id))!.passwordHash!;
  t.regex(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
});

test.serial('bad input: missing fields get a 400 page with an error summary, a form without the CSRF token a 403', async (t) => {
  const ua = await atPasswordPage();
  const empty = await ua.submit({ email: '', password: '' });
  t.is(empty.status, 400);
  t.regex(errorSummary(empty), /Enter your email address/);
  t.regex(errorSummary(empty), /Enter your password/);
  t.is(dom(empty).querySelector('#email')?.getAttribute('aria-invalid'), 'true');

  const action = dom(empty).querySelector('form')!.getAttribute('action')!;
  const forged = await ua.navigate(new URL(action, provider.issuer).href, { method: 'POST', body: new URLSearchParams({ email: 'a@b.c', password: 'x' }) });
  t.is(forged.status, 403);
  t.regex(text(forged), /This form has expired/);

  const json = await ua.navigate(new URL(action, provider.issuer).href, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  t.is(json.status, 415);
});

test.serial('a public client must use PKCE', async (t) => {
  const client = await registerTestClient(provider, { redirectUris: [redirectUri], secret: undefined });
  const url = new URL(`${provider.issuer}/auth`);
  url.search = new URLSearchParams({ client_id: client.clientId, response_type: 'code', scope: 'openid', redirect_uri: redirectUri, state: 'abc' }).toString();
  const page = await new UserAgent().get(url.href, redirectUri);
  const back = new URL(page.url);
  t.is(back.searchParams.get('error'), 'invalid_request');
  t.regex(back.searchParams.get('error_description') ?? '', /PKCE/);
});
