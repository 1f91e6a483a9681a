// The account page at /account, over real HTTP against a real provider: a
// user signs in through the provider (acr=mfa) and changes their password,
// replaces their authenticator app, makes new recovery codes, renames and
// removes passkeys, and reads their security events. Every change is checked
// where it matters: at the next sign-in, in the mail and in the audit log.
import test from 'ava';
import { sha256 } from '../src/crypto.ts';
import { ensureAccountClient } from '../src/seed.ts';
import { createTestUser, startTestProvider, totpCode, type TestProvider, type TestUser } from './helpers/server.ts';
import { UserAgent, dom, text, type Page } from './helpers/user-agent.ts';
import { errorSummary, notice, signInWithoutMfa, submitForm } from './helpers/admin.ts';
import { csrfOf, insertPasskey, passwordStepFor, signInToAccount } from './helpers/account.ts';
import { freshStep, secretFromSetupPage } from './helpers/flows.ts';
import { lastMail, mailTo } from './helpers/mail.ts';

let provider: TestProvider;

test.before(async () => {
  provider = await startTestProvider();
  await ensureAccountClient(provider.app.services);
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;
const url = (path: string) => `${provider.issuer}${path}`;
const squash = (value: string) => value.replace(/\s+/g, ' ').trim();
/** The text of each element, a table row's cells separated by " | ". */
const cells = (page: Page, selector: string) =>
  dom(page)
    .querySelectorAll(selector)
    .map((element) => (element.tagName === 'TR' ? element.querySelectorAll('td').map((td) => squash(td.textContent)).join(' | ') : squash(element.textContent)));
const pathOf = (page: Page) => new URL(page.url).pathname;
const audit = (userId: string, type: string) => db()('audit_events').where({ target_user_id: userId, type }).orderBy('id');
const post = (ua: UserAgent, path: string, fields: Record<string, string>) => ua.navigate(url(path), { method: 'POST', body: new URLSearchParams(fields) });

/** A fresh user, signed in to /account in their own browser. */
async function signedInUser(name: string) {
  const user = await createTestUser(provider, { name });
  const signedIn = await signInToAccount(provider, user);
  return { user, ...signedIn };
}

/** The second sign-in step in a fresh browser, after a correct password. */
async function secondStep(user: TestUser): Promise<{ ua: UserAgent; page: Page }> {
  const ua = new UserAgent();
  await ua.get(url('/account'));
  const page = await ua.submit({ email: user.email, password: user.password });
  if (page.status !== 200) throw new Error(`the password was refused: ${text(page).slice(0, 300)}`);
  return { ua, page };
}

/** Signs in with this code at the second step; true when it gets to the account page. */
async function codeSignsIn(user: TestUser, code: string): Promise<boolean> {
  const { ua } = await secondStep(user);
  const page = await ua.submit({ code }, { selector: 'form[action$="/otp"]' });
  return new URL(page.url).pathname === '/account' && page.status === 200;
}

/** Signs in with a recovery code at the second step; true when it is accepted. */
async function recoveryCodeSignsIn(user: TestUser, code: string): Promise<boolean> {
  const { ua } = await secondStep(user);
  const page = await ua.submit({ recovery_code: code }, { selector: 'form[action$="/recovery"]' });
  return page.status === 200 && Boolean(dom(page).querySelector('#recovery-codes-left'));
}

test.serial('signing in to /account goes through the provider with acr=mfa; without a session there is no page', async (t) => {
  const anonymous = new UserAgent();
  const start = await anonymous.get(url('/account'));
  t.is(new URL(start.url).pathname.split('/')[1], 'interaction', 'sent to the provider to sign in');
  t.true(start.history.some((hop) => hop.location === '/account/sign-in?return_to=%2Faccount'));
  const authorize = start.history.find((hop) => hop.location?.startsWith(url('/auth?')))?.location;
  t.is(new URL(authorize!).searchParams.get('acr_values'), 'mfa');
  t.is(new URL(authorize!).searchParams.get('client_id'), 'govlink-account');
  const refusedPost = await anonymous.request(url('/account/password'), { method: 'POST', body: new URLSearchParams({ current_password: 'x' }) });
  t.is(refusedPost.status, 303);
  t.is(refusedPost.headers.get('location'), '/account/sign-in');

  const { user, ua, page } = await signedInUser('Ann Account');
  t.is(page.url, url('/account'));
  t.is(page.status, 200);
  t.is(dom(page).querySelector('h1')?.textContent, 'Your account');
  t.regex(text(page), new RegExp(user.email.replace(/[.+]/g, '\\$&')));
  t.is(dom(page).querySelector('.account-nav-user')?.textContent, 'Ann Account');
  t.deepEqual(cells(page, '.sessions tbody tr.current-session').length, 1, 'this browser is marked');
  const cookie = (await ua.request(url('/account'))).headers.getSetCookie().find((line) => line.startsWith('govlink.account='));
  t.regex(cookie ?? '', /httponly/i);
  t.regex(cookie ?? '', /path=\/account/i);

  await db()('users').where({ id: user.id }).update({ status: 'disabled' });
  const disabled = await ua.get(url('/account'));
  t.is(disabled.status, 403);
  t.regex(text(disabled), /Your account cannot be used/);
  await db()('users').where({ id: user.id }).update({ status: 'active' });
});

test.serial('an ID token whose acr is not mfa is refused and starts no session', async (t) => {
  const user = await createTestUser(provider);
  const { ua: agent, page: refused } = await signInWithoutMfa(provider, user.id, '/account');
  t.is(new URL(refused.url).pathname, '/account/callback');
  t.is(refused.status, 403);
  t.regex(text(refused), /Two-factor sign-in is required/);
  t.truthy(dom(refused).querySelector('a[href="/account/sign-in?prompt=login"]'));
  t.false(agent.cookieNames(new URL(provider.issuer).host).includes('govlink.account'));
});

test.serial('change password: the current one is checked and counted, the policy applies, then only the new one signs in', async (t) => {
  const { user, ua } = await signedInUser('Pat Password');
  const hashBefore = (await db()('users').where({ id: user.id }).first()).password_hash;
  const newPassword = 'correct horse battery staple';

  await ua.get(url('/account/password'));
  const wrong = await submitForm(ua, 'form#change-password', { current_password: 'not my password at all', password: newPassword, password_confirm: newPassword });
  t.is(wrong.status, 400);
  t.regex(errorSummary(wrong), /Your current password is not right/);
  const counter = await db()('attempt_counters').where({ key: `password:account:${sha256(user.email)}` }).first();
  t.is(counter?.failures, 1, 'the wrong password was counted against the account');
  t.is((await audit(user.id, 'user.password_change_failed')).length, 1);

  const weak = await submitForm(ua, 'form#change-password', { current_password: user.password, password: 'short', password_confirm: 'shorter' });
  t.is(weak.status, 400);
  t.regex(errorSummary(weak), /at least 12 characters/);
  t.regex(errorSummary(weak), /do not match/);
  const common = await submitForm(ua, 'form#change-password', { current_password: user.password, password: 'password123456', password_confirm: 'password123456' });
  t.is(common.status, 400);
  t.regex(errorSummary(common), /too common/);
  t.is((await db()('users').where({ id: user.id }).first()).password_hash, hashBefore, 'refused input changed nothing');
  t.is((await mailTo(provider, user.email)).filter((m) => m.template === 'password_changed').length, 0);

  const done = await submitForm(ua, 'form#change-password', { current_password: user.password, password: newPassword, password_confirm: newPassword });
  t.is(pathOf(done), '/account');
  t.regex(notice(done), /Your password has been changed/);
  t.is((await passwordStepFor(provider, user.email, user.password)).status, 400, 'the old password is refused');
  const next = await passwordStepFor(provider, user.email, newPassword);
  t.is(next.status, 200);
  t.truthy(dom(next).querySelector('input[name=code]'), 'the new password leads to the second step');
  t.regex((await lastMail(provider, user.email, 'password_changed')).text, /password of your Govlink account was changed/);
  t.like((await audit(user.id, 'user.password_changed'))[0], { actor_user_id: user.id, ip: '127.0.0.1' });
  t.is((await db()('attempt_counters').where({ key: `password:account:${sha256(user.email)}` }).first())?.failures ?? 0, 0, 'the right password cleared the count');
});

test.serial('change password signs out every other browser when asked to, and keeps this one', async (t) => {
  const { user, ua, secret } = await signedInUser('Otto Others');
  const other = await signInToAccount(provider, { ...user, totpSecret: secret });
  const newPassword = 'lantern orchard velvet quarry';
  await ua.get(url('/account/password'));
  const done = await submitForm(ua, 'form#change-password', { current_password: user.password, password: newPassword, password_confirm: newPassword, end_other_sessions: 'yes' });
  t.regex(notice(done), /Your password has been changed/);
  t.is(cells(done, '.sessions tbody tr').length, 1, 'only this browser is left');
  t.is((await ua.get(url('/account'))).status, 200);
  const otherPage = await other.ua.get(url('/account'));
  t.truthy(dom(otherPage).querySelector('input[name=password]'), 'the other browser must sign in again');
  t.like((await audit(user.id, 'user.password_changed'))[0], { details: { otherSessionsEnded: 1 } });
});

test.serial('replace the authenticator app: a wrong code changes nothing; then old codes stop working and new ones work', async (t) => {
  const { user, ua, secret: oldSecret } = await signedInUser('Tina Totp');
  const before = await db()('totp_authenticators').where({ user_id: user.id }).first();

  const setup = await ua.get(url('/account/authenticator'));
  t.is(dom(setup).querySelector('h1')?.textContent, 'Replace your authenticator app');
  t.truthy(dom(setup).querySelector('.qr svg'), 'a QR code');
  t.regex(dom(setup).querySelector('a.otpauth-link')?.getAttribute('href') ?? '', /^otpauth:\/\/totp\//);
  const newSecret = secretFromSetupPage(setup);
  t.not(newSecret, oldSecret);
  t.is(secretFromSetupPage(await ua.get(url('/account/authenticator'))), newSecret, 'the same secret until it is confirmed');

  await freshStep(provider, oldSecret);
  const wrong = await submitForm(ua, 'form#confirm-authenticator', { code: await totpCode(oldSecret, provider.clock) });
  t.is(wrong.status, 400);
  t.regex(errorSummary(wrong), /The code is not right/);
  t.deepEqual(await db()('totp_authenticators').where({ user_id: user.id }).first(), before, 'a wrong code changes nothing');
  t.is((await db()('attempt_counters').where({ key: `otp:account:${user.id}` }).first())?.failures, 1, 'wrong codes count against the OTP limit');

  await freshStep(provider, newSecret);
  const confirmation = await totpCode(newSecret, provider.clock);
  const done = await submitForm(ua, 'form#confirm-authenticator', { code: confirmation });
  t.is(pathOf(done), '/account');
  t.regex(notice(done), /Codes from the old one no longer work/);
  const after = await db()('totp_authenticators').where({ user_id: user.id }).first();
  t.is(provider.app.services.box.decrypt('totp-secret', after.secret_sealed), newSecret);

  t.false(await codeSignsIn(user, confirmation), 'the confirming code cannot be used again');
  provider.clock.advance(30);
  t.false(await codeSignsIn(user, await totpCode(oldSecret, provider.clock)), 'the old app no longer works');
  await freshStep(provider, newSecret);
  t.true(await codeSignsIn(user, await totpCode(newSecret, provider.clock)), 'the new app signs in');
  t.regex((await lastMail(provider, user.email, 'security_change')).text, /authenticator app of your Govlink account was replaced/);
  t.is((await audit(user.id, 'authenticator.replaced')).length, 1);
});

test.serial('a user with passkeys only adds an authenticator app', async (t) => {
  const user = await createTestUser(provider, { name: 'Kim Keys' });
  await db()('users').where({ id: user.id }).update({ otp_setup_at_sign_in: true });
  await insertPasskey(provider, user.id, { name: 'Laptop' });
  const [code] = await provider.app.services.recoveryCodes.regenerate(db(), user.id);
  // Without a WebAuthn ceremony over HTTP, a recovery code is the way in.
  const { ua } = await secondStep(user);
  const used = await ua.submit({ recovery_code: code! }, { selector: 'form[action$="/recovery"]' });
  const page = await ua.get(new URL(dom(used).querySelector('a#continue')!.getAttribute('href')!, used.url).href);
  t.is(pathOf(page), '/account');
  t.regex(text(page), /You have no authenticator app set up/);

  const setup = await ua.get(url('/account/authenticator'));
  t.is(dom(setup).querySelector('h1')?.textContent, 'Set up an authenticator app');
  const secret = secretFromSetupPage(setup);
  await freshStep(provider, secret);
  const done = await submitForm(ua, 'form#confirm-authenticator', { code: await totpCode(secret, provider.clock) });
  t.regex(notice(done), /Your authenticator app is set up/);
  t.truthy(await db()('totp_authenticators').where({ user_id: user.id }).first());
  t.is((await lastMail(provider, user.email, 'authenticator_added')).subject, 'A new authenticator was added to your Govlink account');
  t.like((await audit(user.id, 'authenticator.added')).at(-1), { details: { kind: 'totp' } });
});

test.serial('new recovery codes: shown once after a confirmation; the old ones stop working and the new ones sign in', async (t) => {
  const { user, ua, recoveryCodes: oldCodes } = await signedInUser('Rory Recovery');
  t.is(oldCodes.length, 10);
  const confirm = await ua.get(url('/account/recovery-codes'));
  t.regex(text(confirm), /You have 10 unused recovery codes/);
  t.regex(text(confirm), /current codes stop working/);
  const shown = await submitForm(ua, 'form#confirm');
  const newCodes = cells(shown, '.recovery-codes code');
  t.is(newCodes.length, 10);
  t.is(new Set(newCodes).size, 10);
  t.false(newCodes.some((code) => oldCodes.includes(code)));

  t.false(await recoveryCodeSignsIn(user, oldCodes[0]!), 'an old code is refused');
  t.true(await recoveryCodeSignsIn(user, newCodes[0]!), 'a new code signs in');
  t.regex((await lastMail(provider, user.email, 'security_change')).text, /New recovery codes were made/);
  t.is((await audit(user.id, 'recovery_codes.regenerated')).length, 1);
  t.regex(text(await ua.get(url('/account'))), /You have 9 unused recovery codes/);
});

test.serial('passkeys are listed, renamed and removed, but never the last second factor', async (t) => {
  const { user, ua } = await signedInUser('Pia Passkey');
  const laptop = await insertPasskey(provider, user.id, { name: 'Laptop', synced: true, createdAt: new Date('2026-01-02T03:04:00Z') });
  const key = await insertPasskey(provider, user.id, { name: 'Blue key' });
  const page = await ua.get(url('/account'));
  const rows = cells(page, '.passkeys tbody tr');
  t.is(rows.length, 2);
  t.regex(rows[0]!, /^Laptop \| Synced passkey \| 2026-01-02 03:04 UTC \| Not used yet \|/);
  t.regex(rows[1]!, /^Blue key \| Security key or device-bound passkey \|/);
  t.truthy(dom(page).querySelector('form#add-passkey[data-passkey=register][data-options="/account/passkeys/options"] input[name=name]'));

  const options = await ua.request(url('/account/passkeys/options'));
  t.is(options.status, 200);
  const json = (await options.json()) as { challenge: string; rp: { id: string }; excludeCredentials: { id: string }[] };
  t.is(json.rp.id, new URL(provider.issuer).hostname);
  t.deepEqual(json.excludeCredentials.map((c) => c.id).sort(), [laptop, key].sort());
  const bogus = await post(ua, '/account/passkeys', { _csrf: csrfOf(page), name: 'Forged', response: JSON.stringify({ id: 'x', rawId: 'x', type: 'public-key', response: {} }) });
  t.is(bogus.status, 400);
  t.regex(errorSummary(bogus), /could not be added/);
  t.is((await db()('passkeys').where({ user_id: user.id })).length, 2);

  await ua.get(url(`/account/passkeys/${laptop}`));
  const empty = await submitForm(ua, 'form#rename-passkey', { name: '  ' });
  t.is(empty.status, 400);
  t.regex(errorSummary(empty), /Enter a name/);
  const renamed = await submitForm(ua, 'form#rename-passkey', { name: 'Work laptop' });
  t.regex(notice(renamed), /renamed/);
  t.is((await db()('passkeys').where({ id: laptop }).first()).name, 'Work laptop');
  t.regex((await lastMail(provider, user.email, 'security_change')).text, /passkey of your Govlink account was renamed/);
  t.like((await audit(user.id, 'authenticator.renamed'))[0], { details: { from: 'Laptop', to: 'Work laptop' } });

  await ua.get(url(`/account/passkeys/${key}`));
  const removed = await submitForm(ua, 'form#remove-passkey');
  t.regex(notice(removed), /has been removed/);
  t.falsy(await db()('passkeys').where({ id: key }).first());
  t.regex((await lastMail(provider, user.email, 'security_change')).text, /passkey was removed/);
  t.like((await audit(user.id, 'authenticator.removed'))[0], { details: { name: 'Blue key' } });

  // Without the authenticator app, the one passkey left is the last second factor.
  await db()('totp_authenticators').where({ user_id: user.id }).delete();
  const last = await ua.get(url(`/account/passkeys/${laptop}`));
  t.falsy(dom(last).querySelector('form#remove-passkey'), 'no remove button');
  t.regex(text(last), /Add another passkey or an authenticator app before you remove it/);
  const refused = await post(ua, `/account/passkeys/${laptop}/remove`, { _csrf: csrfOf(last) });
  t.is(refused.status, 409);
  t.regex(errorSummary(refused), /only way to complete the sign-in/);
  t.truthy(await db()('passkeys').where({ id: laptop }).first());

  const stranger = await createTestUser(provider);
  const theirs = await insertPasskey(provider, stranger.id, { name: 'Not yours' });
  t.is((await ua.get(url(`/account/passkeys/${theirs}`))).status, 404);
  t.is((await post(ua, `/account/passkeys/${theirs}`, { _csrf: csrfOf(last), name: 'Mine now' })).status, 404);
  t.is((await post(ua, `/account/passkeys/${theirs}/remove`, { _csrf: csrfOf(last) })).status, 404);
  t.like(await db()('passkeys').where({ id: theirs }).first(), { name: 'Not yours' });
});

test.serial('the recent security events are listed with their time, a sentence and the client address', async (t) => {
  const user = await createTestUser(provider, { name: 'Eve Events' });
  t.is((await passwordStepFor(provider, user.email, 'a wrong password here')).status, 400);
  const { ua, page } = await signInToAccount(provider, user);
  const rows = cells(page, '.security-events tbody tr');
  const failed = await db()('audit_events').where({ target_user_id: user.id, type: 'sign_in.failed' }).first();
  const utc = (date: Date) => `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  t.true(rows.some((row) => row === `${utc(failed.at)} | A sign-in failed: wrong password | 127.0.0.1`), rows.join('\n'));
  t.true(rows.some((row) => row.includes('An authenticator app was set up')));
  t.true(rows.some((row) => row.includes('You signed in')));
  t.is(rows.length, 3);

  await ua.get(url('/account/recovery-codes'));
  await submitForm(ua, 'form#confirm');
  t.regex(cells(await ua.get(url('/account')), '.security-events tbody tr')[0]!, /New recovery codes were made/, 'newest first');
});

test.serial('every POST without the CSRF token is refused and changes nothing', async (t) => {
  const { user, ua, page, secret } = await signedInUser('Cy Surf');
  const passkey = await insertPasskey(provider, user.id, { name: 'Kept' });
  const other = await signInToAccount(provider, { ...user, totpSecret: secret });
  const otherSession = dom(await ua.get(url('/account'))).querySelector('form.end-session')?.getAttribute('action');
  t.truthy(otherSession);
  await ua.get(url('/account/authenticator'));
  const newPassword = 'quiet meadow copper lantern';
  const posts: [string, Record<string, string>][] = [
    ['/account/password', { current_password: user.password, password: newPassword, password_confirm: newPassword, end_other_sessions: 'yes' }],
    ['/account/authenticator', { code: '123456' }],
    ['/account/passkeys', { name: 'Forged', response: '{}' }],
    [`/account/passkeys/${passkey}`, { name: 'Forged name' }],
    [`/account/passkeys/${passkey}/remove`, {}],
    ['/account/recovery-codes', {}],
    [otherSession!, {}],
    ['/account/sign-out-everywhere', {}],
    ['/account/sign-out', {}],
  ];
  const snapshot = async () =>
    JSON.stringify(
      await Promise.all([
        db()('users').where({ id: user.id }).select('password_hash'),
        db()('totp_authenticators').where({ user_id: user.id }).select('secret_sealed', 'last_used_step'),
        db()('passkeys').where({ user_id: user.id }).select('id', 'name'),
        db()('recovery_codes').where({ user_id: user.id }).orderBy('id').select('code_hmac', 'used_at'),
        db()('oidc_payloads').whereRaw("payload->>'accountId' = ?", [user.id]).orderBy(['model', 'id']).select('model', 'id'),
        db()('mail_outbox').where({ to: user.email }).count('* as n'),
        db()('audit_events').where({ target_user_id: user.id }).count('* as n'),
      ]),
    );
  const before = await snapshot();
  for (const [path, fields] of posts) {
    const missing = await post(ua, path, fields);
    t.is(missing.status, 403, `${path} without a token`);
    t.regex(text(missing), /This form has expired/);
    t.is((await post(ua, path, { ...fields, _csrf: 'A'.repeat(43) })).status, 403, `${path} with a wrong token`);
  }
  t.is(await snapshot(), before);
  t.is((await ua.get(url('/account'))).status, 200, 'still signed in: the sign-outs were refused too');
  t.is((await other.ua.get(url('/account'))).status, 200, 'the other browser too');
  t.is(dom(page).querySelectorAll('form[method=post]').length, dom(page).querySelectorAll('form[method=post] input[name=_csrf]').length, 'every form carries the token');
});
