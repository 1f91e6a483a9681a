import test from 'ava';
import { createTestUser, registerTestClient, startTestProvider, type TestProvider } from './helpers/server.ts';
import { UserAgent, dom, text } from './helpers/user-agent.ts';
import { continueFrom, finishAuthorization, relyingParty, signIn, startAuthorization, type RelyingParty } from './helpers/flows.ts';
import { lastMail } from './helpers/mail.ts';

const redirectUri = 'http://127.0.0.1:9/callback';
let provider: TestProvider;
let rp: RelyingParty;
test.before(async () => {
  provider = await startTestProvider();
  rp = await relyingParty(provider, await registerTestClient(provider, { redirectUris: [redirectUri] }));
});
test.after.always(async () => {
  await provider?.stop();
});

async function signInWithRecoveryCode(user: { email: string; password: string }, code: string) {
  const ua = new UserAgent();
  const authorization = await startAuthorization(rp);
  await ua.get(authorization.url.href, redirectUri);
  const second = await ua.submit({ email: user.email, password: user.password });
  t_assertRecoveryForm(second);
  const page = await ua.submit({ recovery_code: code }, { selector: 'form[action$="/recovery"]', stopAt: redirectUri });
  return { ua, page, authorization };
}

function t_assertRecoveryForm(page: { body: string; url: string }) {
  if (!dom(page as never).querySelector('form[action$="/recovery"] input[name=recovery_code]')) throw new Error(`no recovery code form on ${page.url}`);
}

test.serial('a recovery code signs in once, tells how many are left, and notifies the user', async (t) => {
  const user = await createTestUser(provider);
  const { recoveryCodes } = await signIn(provider, rp, user);
  t.is(recoveryCodes.length, 10);

  // Typed in lower case and without the dash, as people do.
  const typed = recoveryCodes[3]!.toLowerCase().replace('-', '');
  const { ua, page, authorization } = await signInWithRecoveryCode(user, typed);
  t.is(page.status, 200);
  t.regex(text(page), /You have 9 recovery codes left/);
  const back = await continueFrom(ua, page, redirectUri);
  const tokens = await finishAuthorization(rp, authorization, back.url);
  t.is(tokens.claims()?.acr, 'mfa');
  t.deepEqual(tokens.claims()?.amr, ['pwd', 'otp']);

  const mail = await lastMail(provider, user.email, 'recovery_code_used');
  t.regex(mail.text, /9 unused recovery codes left/);
  t.false(mail.text.includes(recoveryCodes[3]!), 'the code itself is not in the mail');
  const events = await provider.app.services.db('audit_events').where({ target_user_id: user.id, type: 'recovery_code.used' });
  t.is(events.length, 1);

  const again = await signInWithRecoveryCode(user, recoveryCodes[3]!);
  t.is(again.page.status, 400);
  t.regex(text(again.page), /recovery code is not right or has already been used/);
  t.false(again.page.url.startsWith(redirectUri));
});

test.serial('two parallel sign-ins with the same recovery code: one wins', async (t) => {
  const user = await createTestUser(provider);
  const { recoveryCodes } = await signIn(provider, rp, user);
  const agents = await Promise.all(
    [0, 1].map(async () => {
      const ua = new UserAgent();
      await ua.get((await startAuthorization(rp)).url.href, redirectUri);
      await ua.submit({ email: user.email, password: user.password });
      return ua;
    }),
  );
  const pages = await Promise.all(agents.map((ua) => ua.submit({ recovery_code: recoveryCodes[0]! }, { selector: 'form[action$="/recovery"]', stopAt: redirectUri })));
  t.is(pages.filter((p) => p.status === 200).length, 1);
  t.is(pages.filter((p) => p.status === 400).length, 1);
});

test.serial('recovery codes are stored only as HMACs, and an administrator\'s OTP reset clears them', async (t) => {
  const user = await createTestUser(provider);
  const { recoveryCodes } = await signIn(provider, rp, user);
  const { db, lifecycle } = provider.app.services;
  const stored = (await db('recovery_codes').where({ user_id: user.id }).pluck('code_hmac')) as string[];
  t.is(stored.length, 10);
  t.false(stored.some((hash) => recoveryCodes.some((code) => hash.includes(code) || hash.includes(code.replace('-', '')))));
  const admin = await createTestUser(provider, { role: 'org_admin', orgId: user.orgId });
  await lifecycle.resetOtp({ userId: admin.id, clientId: null, role: 'org_admin', orgId: admin.orgId, name: 'Admin' }, { ip: '127.0.0.1', userAgent: 'test' }, user.id);
  t.is((await db('recovery_codes').where({ user_id: user.id })).length, 0);
  const ua = new UserAgent();
  await ua.get((await startAuthorization(rp)).url.href, redirectUri);
  const page = await ua.submit({ email: user.email, password: user.password });
  t.is(page.status, 403, 'no second factor left: the emailed link is the way back');
  t.falsy(dom(page).querySelector('form[action$="/recovery"]'));
});

test.serial('once every recovery code is used, the sign-in no longer offers one', async (t) => {
  const user = await createTestUser(provider);
  await signIn(provider, rp, user);
  const offered = async () => {
    const ua = new UserAgent();
    await ua.get((await startAuthorization(rp)).url.href, redirectUri);
    const page = await ua.submit({ email: user.email, password: user.password });
    return Boolean(dom(page).querySelector('form[action$="/recovery"]'));
  };
  t.true(await offered());
  await provider.app.services.db('recovery_codes').where({ user_id: user.id }).update({ used_at: new Date() });
  t.false(await offered());
});
