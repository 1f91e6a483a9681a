// Who may use the Update user screen, and what a forged or stale request
// gets: non-administrators, demoted and disabled administrators, other
// organisations' users, POSTs without the CSRF token, ID tokens without
// acr=mfa, sessions past their idle or total lifetime, sign out.
import test from 'ava';
import { createTestUser, startTestProvider, uniqueEmail, type TestProvider, type TestUser } from './helpers/server.ts';
import { UserAgent, dom, readForm, text, type Page } from './helpers/user-agent.ts';
import { errorSummary, notice, signInToAdmin, signInWithoutMfa, submitForm } from './helpers/admin.ts';
import { createUser } from '../src/accounts/directory.ts';
import { ensureAdminClient } from '../src/seed.ts';

let provider: TestProvider;
let admin: TestUser;
let ua: UserAgent;

test.before(async () => {
  provider = await startTestProvider({ env: { SESSION_IDLE_TTL: '30m', SESSION_MAX_TTL: '1h' } });
  await ensureAdminClient(provider.app.services);
  admin = await createTestUser(provider, { role: 'org_admin', name: 'Ana Access', orgName: 'Access Org' });
  ({ ua } = await signInToAdmin(provider, admin));
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;
const url = (path: string) => `${provider.issuer}${path}`;
const signInUrl = () => url('/admin/sign-in');
const csrfOf = (page: Page) => readForm(page, 'form.admin-sign-out').fields._csrf!;
const post = (agent: UserAgent, path: string, fields: Record<string, string>) => agent.navigate(url(path), { method: 'POST', body: new URLSearchParams(fields) });
const fakeTotp = (userId: string) =>
  db()('totp_authenticators').insert({ user_id: userId, secret_sealed: provider.app.services.box.encrypt('totp-secret', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), last_used_step: null });

/** Everything a change could touch, to show that a refused request touched nothing. */
async function snapshot(userIds: string[]) {
  const [users, authenticators, links, mail, audit, organisations] = await Promise.all([
    db()('users').whereIn('id', userIds).orderBy('id').select('id', 'name', 'role', 'status', 'password_hash'),
    db()('totp_authenticators').whereIn('user_id', userIds).orderBy('user_id').select('user_id', 'secret_sealed'),
    db()('action_links').whereIn('user_id', userIds).orderBy('id').select('id', 'superseded_at'),
    db()('mail_outbox').count('* as n'),
    db()('audit_events').whereNot('type', 'like', 'sign_in.%').count('* as n'),
    db()('organisations').count('* as n'),
  ]);
  return JSON.stringify({ users, authenticators, links, mail, audit, organisations });
}

test.serial('a signed-in user who is not an administrator gets a 403 page, with a way to sign out', async (t) => {
  const plain = await createTestUser(provider, { orgId: admin.orgId, name: 'Paul Plain' });
  const { ua: plainUa, page } = await signInToAdmin(provider, plain);
  t.is(page.status, 403);
  t.regex(text(page), /You do not have access to Govlink administration/);
  t.is(dom(page).querySelector('.admin-nav-user')?.textContent.trim(), 'Paul Plain');
  t.truthy(dom(page).querySelector('form.admin-sign-out button'));
  t.falsy(dom(page).querySelector('a[href="/admin/users/new"]'));
  const before = await snapshot([admin.id]);
  const reset = await post(plainUa, `/admin/users/${admin.id}/reset-password`, { _csrf: csrfOf(page) });
  t.is(reset.status, 403);
  t.is(await snapshot([admin.id]), before);
});

test.serial('an administrator demoted, disabled or deleted in the database loses access on the next request', async (t) => {
  const other = await createTestUser(provider, { orgId: admin.orgId, role: 'org_admin', name: 'Dora Demoted' });
  const { ua: otherUa, page } = await signInToAdmin(provider, other);
  t.is(page.status, 200);

  await db()('users').where({ id: other.id }).update({ role: 'user' });
  const demoted = await otherUa.get(url('/admin'));
  t.is(demoted.status, 403);
  t.regex(text(demoted), /You do not have access/);

  await db()('users').where({ id: other.id }).update({ role: 'org_admin' });
  t.is((await otherUa.get(url('/admin'))).status, 200, 'the session itself was fine');
  await db()('users').where({ id: other.id }).update({ status: 'disabled' });
  t.is((await otherUa.get(url('/admin'))).status, 403);
  await db()('users').where({ id: other.id }).delete();
  t.is((await otherUa.get(url('/admin'))).status, 403);
});

test.serial("another organisation's users are not found, on every page and action, and nothing changes", async (t) => {
  const outsider = await createTestUser(provider, { name: 'Olaf Outside', orgName: 'Elsewhere Org' });
  await fakeTotp(outsider.id);
  const invitedOutsider = await createUser(db(), { email: uniqueEmail('outside-invitee'), orgId: outsider.orgId, name: 'Ines Outside' });
  const page = await ua.get(url('/admin'));
  const csrf = csrfOf(page);
  const before = await snapshot([outsider.id, invitedOutsider.id]);

  t.is((await ua.get(url(`/admin/users/${outsider.id}`))).status, 404);
  t.is((await ua.get(url(`/admin?org=${outsider.orgId}`))).status, 404);
  for (const action of ['reset-password', 'reset-otp', 'disable', 'enable', 'delete']) {
    t.is((await ua.get(url(`/admin/users/${outsider.id}/${action}`))).status, 404, `GET ${action}`);
    t.is((await post(ua, `/admin/users/${outsider.id}/${action}`, { _csrf: csrf })).status, 404, `POST ${action}`);
  }
  t.is((await post(ua, `/admin/users/${outsider.id}`, { _csrf: csrf, name: 'Renamed', role: 'user' })).status, 404);
  t.is((await post(ua, `/admin/users/${invitedOutsider.id}/reinvite`, { _csrf: csrf })).status, 404);
  const email = uniqueEmail('planted');
  t.is((await post(ua, '/admin/users', { _csrf: csrf, email, role: 'user', org_id: outsider.orgId })).status, 404);
  t.falsy(await db()('users').where({ email }).first());
  const notFound = await ua.get(url(`/admin/users/${outsider.id}`));
  t.regex(text(notFound), /not in your organisation/);
  t.is(await snapshot([outsider.id, invitedOutsider.id]), before);
});

test.serial('every POST without the CSRF token is refused with 403 and changes nothing', async (t) => {
  const target = await createTestUser(provider, { orgId: admin.orgId, name: 'Cy Surf' });
  await fakeTotp(target.id);
  const disabled = await createTestUser(provider, { orgId: admin.orgId, name: 'Di Sabled' });
  await db()('users').where({ id: disabled.id }).update({ status: 'disabled' });
  const invited = await createUser(db(), { email: uniqueEmail('csrf-invitee'), orgId: admin.orgId, name: 'In Vited' });
  const ids = [target.id, disabled.id, invited.id, admin.id];
  const email = uniqueEmail('csrf-new');
  const posts: [string, Record<string, string>][] = [
    ['/admin/users', { email, name: 'New Person', role: 'user' }],
    [`/admin/users/${target.id}`, { name: 'Changed Name', role: 'org_admin' }],
    [`/admin/users/${invited.id}/reinvite`, {}],
    [`/admin/users/${target.id}/reset-password`, {}],
    [`/admin/users/${target.id}/reset-otp`, {}],
    [`/admin/users/${target.id}/disable`, {}],
    [`/admin/users/${disabled.id}/enable`, {}],
    [`/admin/users/${target.id}/delete`, {}],
    ['/admin/sign-out', {}],
  ];
  const before = await snapshot(ids);
  for (const [path, fields] of posts) {
    const missing = await post(ua, path, fields);
    t.is(missing.status, 403, `${path} without a token`);
    t.regex(text(missing), /This form has expired/);
    t.is((await post(ua, path, { ...fields, _csrf: 'A'.repeat(43) })).status, 403, `${path} with a wrong token`);
  }
  t.is(await snapshot(ids), before);
  t.falsy(await db()('users').where({ email }).first());
  t.is((await ua.get(url('/admin'))).status, 200, 'still signed in: the sign-out was refused too');
});

test.serial('an ID token whose acr is not mfa is refused and starts no session', async (t) => {
  const weak = await createTestUser(provider, { orgId: admin.orgId, role: 'org_admin', name: 'Walt Weak' });
  const { ua: agent, page: refused } = await signInWithoutMfa(provider, weak.id, '/admin');
  t.is(new URL(refused.url).pathname, '/admin/callback');
  t.is(refused.status, 403);
  t.regex(text(refused), /Two-factor sign-in is required/);
  t.truthy(dom(refused).querySelector('a[href="/admin/sign-in?prompt=login"]'), 'trying again forces a new sign-in');
  const after = await agent.get(url('/admin'), signInUrl());
  t.true(after.url.startsWith(signInUrl()), 'no session was started');
});

test.serial('a cancelled sign-in, or a callback without its sign-in in progress, gets a page that offers to sign in', async (t) => {
  const agent = new UserAgent();
  await agent.get(url('/admin'));
  const cancelled = await agent.submit({}, { selector: 'form[action$="/abort"]' });
  t.is(new URL(cancelled.url).pathname, '/admin/callback');
  t.is(cancelled.status, 400);
  t.regex(text(cancelled), /You cancelled the sign-in/);
  t.truthy(dom(cancelled).querySelector('a[href="/admin/sign-in"]'));
  const replayed = await agent.get(cancelled.url);
  t.is(replayed.status, 400, 'the sign-in in progress is used once');
  t.regex(text(replayed), /could not be completed/);
});

test.serial('the session ends after SESSION_IDLE_TTL without a request', async (t) => {
  const { ua: agent } = await signInToAdmin(provider, await createTestUser(provider, { orgId: admin.orgId, role: 'org_admin', name: 'Ida Idle' }));
  provider.clock.advance(29 * 60);
  t.is((await agent.get(url('/admin'))).status, 200);
  provider.clock.advance(29 * 60);
  t.is((await agent.get(url('/admin'))).status, 200, 'each request counts as activity');
  provider.clock.advance(31 * 60);
  const idle = await agent.get(url('/admin/users/new'), signInUrl());
  t.is(idle.url, `${signInUrl()}?return_to=${encodeURIComponent('/admin/users/new')}`);
});

test.serial('the session ends SESSION_MAX_TTL after sign-in, however active', async (t) => {
  const { ua: agent } = await signInToAdmin(provider, await createTestUser(provider, { orgId: admin.orgId, role: 'org_admin', name: 'Max Active' }));
  provider.clock.advance(25 * 60);
  t.is((await agent.get(url('/admin'))).status, 200);
  provider.clock.advance(25 * 60);
  t.is((await agent.get(url('/admin'))).status, 200);
  provider.clock.advance(11 * 60);
  const ended = await agent.get(url('/admin'), signInUrl());
  t.true(ended.url.startsWith(signInUrl()));
});

test.serial('signing in again returns to the page asked for, never to another site', async (t) => {
  const target = await createTestUser(provider, { orgId: admin.orgId, name: 'Ria Return' });
  const returner = await createTestUser(provider, { orgId: admin.orgId, role: 'org_admin', name: 'Rex Return' });
  const { page, secret } = await signInToAdmin(provider, returner, new UserAgent(), `/admin/users/${target.id}`);
  t.is(page.url, url(`/admin/users/${target.id}`));
  const { page: safe } = await signInToAdmin(provider, { ...returner, totpSecret: secret }, new UserAgent(), '/admin/sign-in?return_to=https%3A%2F%2Fevil.example%2F');
  t.is(safe.url, url('/admin'));
});

test.serial('sign out ends the session here and at the provider', async (t) => {
  const leaver = await createTestUser(provider, { orgId: admin.orgId, role: 'org_admin', name: 'Lee Leaving' });
  const { ua: agent } = await signInToAdmin(provider, leaver);
  const confirm = await submitForm(agent, 'form.admin-sign-out');
  t.is(confirm.history[0]?.status, 303);
  t.true(confirm.history[0]?.location?.startsWith(url('/session/end')));
  t.regex(text(confirm), /Sign out of Govlink\?/);
  const out = await agent.submit({ logout: 'yes' });
  t.is(out.url, url('/admin/signed-out'));
  t.regex(text(out), /You have signed out of Govlink administration/);
  const again = await agent.get(url('/admin'));
  t.truthy(dom(again).querySelector('input[name=password]'), 'the provider asks for the password again');
});

test.serial('super admins see every organisation, filter by one, invite into any, and create organisations', async (t) => {
  const sup = await createTestUser(provider, { role: 'super_admin', name: 'Sia Super', orgName: 'Head Office' });
  const elsewhere = await createTestUser(provider, { name: 'Ezra Elsewhere', orgName: 'Branch Office' });
  const { ua: agent, page } = await signInToAdmin(provider, sup);
  const emails = dom(page).querySelectorAll('.user-list tbody tr').map((row) => row.textContent);
  t.true(emails.some((row) => row.includes(admin.email) && row.includes('Access Org')));
  t.true(emails.some((row) => row.includes(elsewhere.email) && row.includes('Branch Office')));
  const filtered = await agent.get(url(`/admin?org=${elsewhere.orgId}`));
  t.deepEqual(dom(filtered).querySelectorAll('.user-list tbody td:nth-child(2)').map((td) => td.textContent.trim()), [elsewhere.email]);

  const invite = await agent.get(url('/admin/users/new'));
  t.deepEqual(dom(invite).querySelectorAll('select[name=role] option').map((o) => o.getAttribute('value')), ['user', 'org_admin', 'super_admin']);
  const email = uniqueEmail('branch');
  await submitForm(agent, 'form#invite-user', { email, org_id: elsewhere.orgId, role: 'org_admin' });
  t.like(await db()('users').where({ email }).first(), { org_id: elsewhere.orgId, role: 'org_admin', status: 'invited' });

  await agent.get(url('/admin/organisations'));
  const name = `Created ${Date.now()}`;
  const created = await submitForm(agent, 'form#create-organisation', { name });
  t.regex(notice(created), /organisation has been created/);
  t.true(dom(created).querySelectorAll('.organisation-list a').some((a) => a.textContent === name));
  const organisation = await db()('organisations').where({ name }).first();
  t.like(await db()('audit_events').where({ type: 'organisation.created', org_id: organisation.id }).first(), { actor_user_id: sup.id });
  const duplicate = await submitForm(agent, 'form#create-organisation', { name });
  t.is(duplicate.status, 409);
  t.regex(errorSummary(duplicate), /exists already/);
  const empty = await submitForm(agent, 'form#create-organisation', { name: '' });
  t.is(empty.status, 400);

  const noToken = await post(agent, '/admin/organisations', { name: 'Forged Org' });
  t.is(noToken.status, 403);
  t.falsy(await db()('organisations').where({ name: 'Forged Org' }).first());
  const orgAdminTries = await ua.get(url('/admin/organisations'));
  t.is(orgAdminTries.status, 403);
  t.regex(text(orgAdminTries), /Only super administrators/);
});
