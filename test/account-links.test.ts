// The emailed links, from the user's side: invitation, password reset and OTP
// reset, each ending in a normal two-factor sign-in.
import test from 'ava';
import * as oidc from 'openid-client';
import { createTestUser, registerTestClient, startTestProvider, totpCode, type TestProvider, type TestUser } from './helpers/server.ts';
import { UserAgent, dom, errorSummary, readForm, text } from './helpers/user-agent.ts';
import { relyingParty, secretFromSetupPage, signIn, startAuthorization, freshStep, type RelyingParty } from './helpers/flows.ts';
import { lastMail, linkIn, mailTo } from './helpers/mail.ts';
import type { Actor } from '../src/accounts/permissions.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
const origin = { ip: '192.0.2.10', userAgent: 'test admin' };
let provider: TestProvider;
let rp: RelyingParty;
let admin: TestUser;
let actor: Actor;

test.before(async () => {
  provider = await startTestProvider();
  rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
  admin = await createTestUser(provider, { role: 'org_admin', name: 'Olive Admin', orgName: 'Links Org' });
  actor = { userId: admin.id, clientId: null, role: 'org_admin', orgId: admin.orgId, name: 'Olive Admin' };
});
test.after.always(async () => {
  await provider?.stop();
});

const auditTypes = async (userId: string) => (await provider.app.services.db('audit_events').where({ target_user_id: userId }).orderBy('id')).map((e) => e.type as string);

/** Signs in from scratch and returns the ID token claims, or the page where it stopped. */
async function trySignIn(email: string, password: string, secret: string) {
  const ua = new UserAgent();
  await ua.get((await startAuthorization(rp)).url.href, redirectUri);
  const afterPassword = await ua.submit({ email, password }, { stopAt: redirectUri });
  if (!dom(afterPassword).querySelector('form[action$="/otp"]')) return { page: afterPassword };
  await freshStep(provider, secret);
  const done = await ua.submit({ code: await totpCode(secret, provider.clock) }, { stopAt: redirectUri });
  return { page: done, signedIn: done.url.startsWith(redirectUri) };
}

async function activeUser(): Promise<TestUser & { totpSecret: string }> {
  const user = await createTestUser(provider, { orgId: admin.orgId });
  const { secret } = await signIn(provider, rp, user);
  return { ...user, totpSecret: secret };
}

test.serial('an invited user chooses a password, sets up the OTP through the link, then signs in', async (t) => {
  const email = `invitee.${Date.now()}@example.gov`;
  const user = await provider.app.services.lifecycle.invite(actor, origin, { email, name: 'Ivy Invitee' });
  t.is(user.status, 'invited');
  const mail = await lastMail(provider, email, 'invitation');
  t.is(mail.status, 'sent');
  t.regex(mail.text, /Olive Admin/);
  t.regex(mail.text, /Links Org/);
  const link = linkIn(mail, provider.issuer);

  const ua = new UserAgent();
  const choose = await ua.get(link);
  t.is(choose.status, 200);
  t.is(choose.headers.get('referrer-policy'), 'no-referrer');
  t.truthy(dom(choose).querySelector('input[name=password]'));
  t.truthy(dom(choose).querySelector('input[name=password_confirm]'));

  const tooShort = await ua.submit({ password: 'short', password_confirm: 'short' });
  t.is(tooShort.status, 400);
  t.regex(errorSummary(tooShort), /at least 12 characters/);
  const common = await ua.submit({ password: 'password123456', password_confirm: 'password123456' });
  t.regex(errorSummary(common), /too common/);
  const mismatch = await ua.submit({ password: 'violet meadow lantern', password_confirm: 'violet meadow lanterns' });
  t.regex(errorSummary(mismatch), /do not match/);
  t.is((await provider.app.services.db('users').where({ id: user.id }).first()).status, 'invited', 'bad input changes nothing');

  const password = 'violet meadow lantern';
  const setup = await ua.submit({ password, password_confirm: password });
  t.is(setup.status, 200);
  t.truthy(dom(setup).querySelector('.qr svg'));
  const secret = secretFromSetupPage(setup);
  const wrong = await ua.submit({ code: '000000' === (await totpCode(secret, provider.clock)) ? '111111' : '000000' });
  t.is(wrong.status, 400);
  t.is(secretFromSetupPage(wrong), secret, 'the same secret is shown again');

  await freshStep(provider, secret);
  const done = await ua.submit({ code: await totpCode(secret, provider.clock) });
  t.is(done.status, 200);
  t.regex(text(done), /Your account is ready/);
  t.is(dom(done).querySelectorAll('.recovery-codes code').length, 10, 'recovery codes come with the first second factor');
  t.truthy(dom(done).querySelector(`a[href="${provider.config.portal.url}"]`));
  const result = await trySignIn(email, password, secret);
  t.true(result.signedIn);

  const again = await new UserAgent().get(link);
  t.is(again.status, 410);
  t.regex(text(again), /already been used/);
  t.regex(text(again), /ask your organisation administrator/);
  t.deepEqual(
    (await auditTypes(user.id)).filter((type) => !type.startsWith('sign_in.')),
    ['user.invited', 'link.issued', 'link.used', 'user.activated', 'authenticator.added'],
  );
});

test.serial('reset password: the old password stops at once, the link sets a new one, the OTP is still asked', async (t) => {
  const user = await activeUser();
  const before = await signIn(provider, rp, user, new UserAgent(), { scope: 'openid email' });
  await provider.app.services.lifecycle.resetPassword(actor, origin, user.id);

  const refused = await trySignIn(user.email, user.password, user.totpSecret);
  t.is(refused.page.status, 400, 'the old password no longer works');
  await t.throwsAsync(oidc.fetchUserInfo(rp.config, before.tokens.access_token, user.id), undefined, 'sessions and tokens ended');

  const mail = await lastMail(provider, user.email, 'password_reset');
  const ua = new UserAgent();
  await ua.get(linkIn(mail, provider.issuer));
  const newPassword = 'harbour kettle orchard';
  const done = await ua.submit({ password: newPassword, password_confirm: newPassword });
  t.regex(text(done), /Your password has been changed/);
  t.deepEqual(ua.cookieNames(new URL(provider.issuer).host).filter((n) => n.startsWith('_session')), [], 'the link signs nobody in');

  const signedIn = await trySignIn(user.email, newPassword, user.totpSecret);
  t.true(signedIn.signedIn, 'password and the existing OTP');
  const notice = await lastMail(provider, user.email, 'password_changed');
  t.notRegex(notice.text + notice.html, new RegExp(newPassword));
  t.true((await auditTypes(user.id)).includes('user.password_changed'));
});

test.serial('reset OTP: sign-in is refused until the link enrols a new authenticator, after the password', async (t) => {
  const user = await activeUser();
  await provider.app.services.lifecycle.resetOtp(actor, origin, user.id);

  const refused = await trySignIn(user.email, user.password, user.totpSecret);
  t.is(refused.page.status, 403);
  t.regex(text(refused.page), /one-time code has been reset/);
  t.regex(text(refused.page), /link we emailed you/);

  const link = linkIn(await lastMail(provider, user.email, 'otp_reset'), provider.issuer);
  const ua = new UserAgent();
  const step1 = await ua.get(link);
  t.truthy(dom(step1).querySelector('input[name=password][autocomplete=current-password]'));
  const wrong = await ua.submit({ password: 'not the password at all' });
  t.is(wrong.status, 400);
  t.falsy(dom(wrong).querySelector('#otp-secret'), 'no QR code without the password');

  // Another browser holding only the link cannot skip the password step.
  const other = new UserAgent();
  const otherPage = await other.get(link);
  t.falsy(dom(otherPage).querySelector('#otp-secret'));

  const setup = await ua.submit({ password: user.password });
  const secret = secretFromSetupPage(setup);
  t.not(secret, user.totpSecret);
  // With the other browser's own CSRF token: only the missing password step can stop it.
  const { _csrf: otherCsrf = '' } = readForm(otherPage).fields;
  const forged = await other.navigate(`${link}/otp`, { method: 'POST', body: new URLSearchParams({ code: await totpCode(secret, provider.clock), _csrf: otherCsrf }) });
  t.true(forged.status >= 400 || !text(forged).includes('set up'), 'nothing enrolled from the other browser');

  await freshStep(provider, secret);
  const done = await ua.submit({ code: await totpCode(secret, provider.clock) });
  t.regex(text(done), /new authenticator is set up/);
  t.is(dom(done).querySelectorAll('.recovery-codes code').length, 10, 'the reset cleared the old codes; new ones are shown');
  const signedIn = await trySignIn(user.email, user.password, secret);
  t.true(signedIn.signedIn);
  const oldCode = await trySignIn(user.email, user.password, user.totpSecret);
  t.not(oldCode.signedIn, true, 'the old authenticator is gone');
  const notice = await lastMail(provider, user.email, 'authenticator_added');
  t.notRegex(notice.text + notice.html, new RegExp(secret));
});

test.serial('a link expires after ACTION_LINK_TTL and says to ask the administrator', async (t) => {
  const user = await activeUser();
  await provider.app.services.lifecycle.resetPassword(actor, origin, user.id);
  const link = linkIn(await lastMail(provider, user.email, 'password_reset'), provider.issuer);
  provider.clock.advance(12 * 3600 + 1);
  const page = await new UserAgent().get(link);
  t.is(page.status, 410);
  t.regex(text(page), /This link has expired/);
  t.regex(text(page), /ask your organisation administrator/);
  t.truthy(dom(page).querySelector(`a[href="${provider.config.portal.url}"]`));
  await new UserAgent().get(link);
  t.is((await auditTypes(user.id)).filter((type) => type === 'link.expired').length, 1, 'recorded once');
});

test.serial('a newer link supersedes the older one; an unknown link is refused', async (t) => {
  const user = await activeUser();
  await provider.app.services.lifecycle.resetPassword(actor, origin, user.id);
  const first = linkIn(await lastMail(provider, user.email, 'password_reset'), provider.issuer);
  await provider.app.services.lifecycle.resetPassword(actor, origin, user.id);
  const second = linkIn(await lastMail(provider, user.email, 'password_reset'), provider.issuer);
  t.not(first, second);
  const old = await new UserAgent().get(first);
  t.is(old.status, 410);
  t.regex(text(old), /This link has been replaced/);
  t.is((await new UserAgent().get(second)).status, 200);
  const unknown = await new UserAgent().get(`${provider.issuer}/link/${'A'.repeat(43)}`);
  t.is(unknown.status, 404);
  t.regex(text(unknown), /This link does not work/);
  const stored = await provider.app.services.db('action_links').where({ user_id: user.id }).pluck('token_hash');
  t.true(stored.every((hash: string) => /^[0-9a-f]{64}$/.test(hash)) && !stored.some((hash: string) => second.includes(hash)), 'only hashes are stored');
});

test.serial('two browsers racing on one link: one wins, the other is told it was used', async (t) => {
  const user = await activeUser();
  await provider.app.services.lifecycle.resetPassword(actor, origin, user.id);
  const link = linkIn(await lastMail(provider, user.email, 'password_reset'), provider.issuer);
  const [a, b] = [new UserAgent(), new UserAgent()];
  await Promise.all([a.get(link), b.get(link)]);
  const pages = await Promise.all([
    a.submit({ password: 'first racer password', password_confirm: 'first racer password' }),
    b.submit({ password: 'second racer password', password_confirm: 'second racer password' }),
  ]);
  t.is(pages.filter((p) => p.status === 200).length, 1);
  t.is(pages.filter((p) => p.status === 410).length, 1);
});

test.serial('every mail carries its link under the issuer in both parts and no secret', async (t) => {
  const mails = await mailTo(provider, admin.email);
  t.is(mails.length, 0, 'nothing was sent to the administrator');
  const user = await activeUser();
  await provider.app.services.lifecycle.resetOtp(actor, origin, user.id);
  const mail = await lastMail(provider, user.email, 'otp_reset');
  t.true(linkIn(mail, provider.issuer).startsWith(`${provider.issuer}/link/`));
  t.notRegex(mail.text + mail.html, new RegExp(user.password));
});
