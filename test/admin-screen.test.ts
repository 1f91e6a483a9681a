// The Update user screen at /admin, over real HTTP against a real provider:
// an organisation administrator signs in through the provider (password and
// TOTP), finds users, and invites, edits, resets, disables, enables and
// deletes them, each change behind its confirmation page.
import test from 'ava';
import { createTestUser, startTestProvider, uniqueEmail, type TestProvider, type TestUser } from './helpers/server.ts';
import { UserAgent, dom, readForm, text, type Page } from './helpers/user-agent.ts';
import { errorSummary, notice, signInToAdmin, submitForm } from './helpers/admin.ts';
import { lastMail, mailTo } from './helpers/mail.ts';
import { createUser } from '../src/accounts/directory.ts';
import { ensureAdminClient } from '../src/seed.ts';

let provider: TestProvider;
let admin: TestUser;
let ua: UserAgent;

test.before(async () => {
  provider = await startTestProvider();
  await ensureAdminClient(provider.app.services);
  admin = await createTestUser(provider, { role: 'org_admin', name: 'Olive Admin', orgName: 'Screen Org' });
  ({ ua } = await signInToAdmin(provider, admin));
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;
const url = (path: string) => `${provider.issuer}${path}`;
const userRow = (id: string) => db()('users').where({ id }).first();
const cell = (page: Page, selector: string) => dom(page).querySelectorAll(selector).map((element) => element.textContent.replace(/\s+/g, ' ').trim());
const utc = (date: Date) => `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC`;

function colleague(name = 'Colleague', role: 'user' | 'org_admin' = 'user') {
  return createTestUser(provider, { orgId: admin.orgId, name, role });
}

/** Does what the person at the screen does: opens the user, follows the action's link, reads the confirmation, confirms. */
async function confirmAction(userId: string, linkText: string, values: Record<string, string> = {}): Promise<{ confirmation: Page; done: Page }> {
  const page = await ua.get(url(`/admin/users/${userId}`));
  const link = dom(page).querySelectorAll('a').find((a) => a.textContent.trim() === linkText);
  if (!link) throw new Error(`no "${linkText}" on ${page.url}: ${text(page).slice(0, 800)}`);
  const confirmation = await ua.get(new URL(link.getAttribute('href')!, page.url).href);
  const done = await submitForm(ua, 'form#confirm', values);
  return { confirmation, done };
}

/** Tries the first sign-in step with this password, as the user would; the password page's status. */
async function passwordStatus(email: string, password: string): Promise<number> {
  const someone = new UserAgent();
  await someone.get(url('/admin'));
  return (await someone.submit({ email, password })).status;
}

test.serial('the administrator signs in through the provider and sees only the users of their organisation', async (t) => {
  const own = await colleague('Ada Own');
  const other = await createTestUser(provider, { name: 'Otto Other', orgName: 'Another Org' });
  const page = await ua.get(url('/admin'));
  t.is(page.status, 200);
  t.is(dom(page).querySelector('.admin-nav-user')?.textContent.trim(), 'Olive Admin');
  t.truthy(dom(page).querySelector('form.admin-sign-out button'), 'a Sign out button in the top bar');
  const emails = cell(page, '.user-list tbody td:nth-child(2)');
  t.true(emails.includes(own.email));
  t.true(emails.includes(admin.email));
  t.false(emails.includes(other.email));
  t.regex(text(page), /Screen Org/);
  t.truthy(dom(page).querySelector('a[href="/admin/users/new"]'), 'an Invite user button');

  const cookie = (await new UserAgent().request(url('/admin'))).headers.getSetCookie().join('\n');
  t.notRegex(cookie, /govlink\.admin=/, 'no session without signing in');
  const session = (await ua.request(url('/admin'))).headers.getSetCookie().find((line) => line.startsWith('govlink.admin='));
  t.truthy(session);
  t.regex(session!, /httponly/i);
  t.regex(session!, /samesite=lax/i);
  t.regex(session!, /path=\/admin/i);
});

test.serial('search finds users by name or email, and the list comes a page at a time', async (t) => {
  const tag = `pg${Date.now()}`;
  for (let i = 0; i < 26; i += 1) {
    await createUser(db(), { email: `${tag}.${String(i).padStart(2, '0')}@example.gov`, orgId: admin.orgId, name: `Paged ${i}` });
  }
  const first = await ua.get(url(`/admin?q=${tag}`));
  const firstEmails = cell(first, '.user-list tbody td:nth-child(2)');
  t.is(firstEmails.length, 25);
  t.is(firstEmails[0], `${tag}.00@example.gov`);
  const next = dom(first).querySelector('a[rel=next]')?.getAttribute('href');
  t.truthy(next);
  const second = await ua.get(url(next!));
  t.deepEqual(cell(second, '.user-list tbody td:nth-child(2)'), [`${tag}.25@example.gov`]);
  t.falsy(dom(second).querySelector('a[rel=next]'));
  t.truthy(dom(second).querySelector('.pagination a[href^="/admin?q="]'), 'a link back to the first page');

  const byName = await ua.get(url('/admin?q=olive'));
  t.deepEqual(cell(byName, '.user-list tbody td:nth-child(2)'), [admin.email]);
  const nothing = await ua.get(url('/admin?q=nobody-has-this-name'));
  t.regex(text(nothing), /No users match "nobody-has-this-name"/);
  t.is((await ua.get(url('/admin?after=not-a-cursor'))).status, 400);
});

test.serial('reset password: confirmed first, then the old password stops working and the user is emailed a link', async (t) => {
  const user = await colleague('Rita Reset');
  t.is(await passwordStatus(user.email, user.password), 200, 'the password works before');
  const { confirmation, done } = await confirmAction(user.id, 'Reset password');
  t.regex(text(confirmation), /Reset the password of Rita Reset\?/);
  t.regex(text(confirmation), /stops working at once/);
  t.regex(text(confirmation), /valid for 12 hours/);
  t.truthy(dom(confirmation).querySelector(`a[href="/admin/users/${user.id}"]`), 'Cancel goes back to the user');

  t.is(done.status, 200);
  t.is(new URL(done.url).pathname, `/admin/users/${user.id}`);
  t.regex(notice(done), /password has been reset/);
  t.is((await userRow(user.id)).password_hash, null);
  t.is(await passwordStatus(user.email, user.password), 400, 'the old password is refused');
  const mail = await lastMail(provider, user.email, 'password_reset');
  t.is(mail.status, 'sent');
});

test.serial('the page shows each pending link with its expiry and whether its mail was sent, is waiting or failed', async (t) => {
  const user = await colleague('Lena Links');
  await confirmAction(user.id, 'Reset password');
  await mailTo(provider, user.email);
  const link = await db()('action_links').where({ user_id: user.id, kind: 'password_reset' }).whereNull('used_at').first();
  const mail = await db()('mail_outbox').where({ action_link_id: link.id }).first();

  const sent = await ua.get(url(`/admin/users/${user.id}`));
  const row = () => cell(sent, '.pending-links tbody tr')[0] ?? '';
  t.regex(row(), /Password reset/);
  t.true(row().includes(utc(link.expires_at)), 'the expiry as an absolute UTC time');
  t.regex(row(), /Sent/);

  await db()('mail_outbox').where({ id: mail.id }).update({ status: 'pending', next_attempt_at: new Date(Date.now() + 86_400_000) });
  const waiting = await ua.get(url(`/admin/users/${user.id}`));
  t.regex(cell(waiting, '.pending-links tbody tr')[0] ?? '', /Waiting to be sent/);

  await db()('mail_outbox').where({ id: mail.id }).update({ status: 'failed', last_error: '422 Inactive recipient' });
  const failed = await ua.get(url(`/admin/users/${user.id}`));
  const failedRow = cell(failed, '.pending-links tbody tr')[0] ?? '';
  t.regex(failedRow, /Failed/);
  t.regex(failedRow, /422 Inactive recipient/);
  t.notRegex(failed.body, /\/link\/[\w-]{43}/, 'the link itself is never shown to the administrator');
});

test.serial('reset OTP: confirmed first, then the authenticator is removed and the user is emailed a link', async (t) => {
  const user = await colleague('Otto Otp');
  await db()('totp_authenticators').insert({ user_id: user.id, secret_sealed: provider.app.services.box.encrypt('totp-secret', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), last_used_step: null });
  const { confirmation, done } = await confirmAction(user.id, 'Reset OTP');
  t.regex(text(confirmation), /Reset the one-time code of Otto Otp\?/);
  t.regex(text(confirmation), /valid for 12 hours/);
  t.regex(notice(done), /one-time code has been reset/);
  t.falsy(await db()('totp_authenticators').where({ user_id: user.id }).first());
  t.is((await lastMail(provider, user.email, 'otp_reset')).to, user.email);
  t.regex(cell(done, '.pending-links tbody tr').join(' '), /One-time code reset/);
});

test.serial('reset OTP asks whether passkeys go too: ticked removes them, unticked keeps them; recovery codes always go', async (t) => {
  const withPasskey = async (name: string) => {
    const user = await colleague(name);
    await db()('passkeys').insert({ id: `cred-${user.id}`, user_id: user.id, name: 'Phone', public_key: 'AQID', counter: 0, transports: '[]', device_type: 'multiDevice', backed_up: true, created_at: new Date() });
    await provider.app.services.recoveryCodes.regenerate(db(), user.id);
    return user;
  };
  const removed = await withPasskey('Pia Passkey');
  const first = await confirmAction(removed.id, 'Reset OTP');
  const box = dom(first.confirmation).querySelector('input[type=checkbox][name=remove_passkeys]');
  t.truthy(box, 'the choice is offered when the user has passkeys');
  t.true(box!.hasAttribute('checked'), 'ticked by default');
  t.regex(text(first.confirmation), /Also remove their passkeys \(1\)/);
  t.is((await db()('passkeys').where({ user_id: removed.id })).length, 0);
  t.is((await db()('recovery_codes').where({ user_id: removed.id })).length, 0);

  const kept = await withPasskey('Kai Kept');
  const page = await ua.get(url(`/admin/users/${kept.id}/reset-otp`));
  t.is(page.status, 200);
  // Unticked: the browser sends no remove_passkeys field at all.
  const form = dom(page).querySelector('form#confirm')!;
  const csrfField = form.querySelector('input[name=_csrf]')!.getAttribute('value')!;
  const done = await ua.navigate(url(`/admin/users/${kept.id}/reset-otp`), { method: 'POST', body: new URLSearchParams({ _csrf: csrfField }) });
  t.regex(notice(done), /one-time code has been reset/);
  t.is((await db()('passkeys').where({ user_id: kept.id })).length, 1);
  t.is((await db()('recovery_codes').where({ user_id: kept.id })).length, 0);
});

test.serial('the name and role are edited with the form', async (t) => {
  const user = await colleague('Ed Before');
  await ua.get(url(`/admin/users/${user.id}`));
  const done = await submitForm(ua, 'form#edit-user', { name: 'Ed After', role: 'org_admin' });
  t.regex(notice(done), /changes have been saved/);
  const row = await userRow(user.id);
  t.is(row.name, 'Ed After');
  t.is(row.role, 'org_admin');
  t.is(dom(done).querySelector('h1')?.textContent.trim(), 'Ed After');

  const tooLong = await submitForm(ua, 'form#edit-user', { name: 'x'.repeat(201) });
  t.is(tooLong.status, 400);
  t.regex(errorSummary(tooLong), /200 characters or fewer/);
  t.is((await userRow(user.id)).name, 'Ed After', 'bad input changes nothing');
});

test.serial('an organisation administrator cannot give the super_admin role', async (t) => {
  const user = await colleague('Sue Never');
  const page = await ua.get(url(`/admin/users/${user.id}`));
  const roles = dom(page).querySelectorAll('form#edit-user select[name=role] option').map((o) => o.getAttribute('value'));
  t.deepEqual(roles, ['user', 'org_admin']);
  const refused = await submitForm(ua, 'form#edit-user', { role: 'super_admin' });
  t.is(refused.status, 403);
  t.regex(errorSummary(refused), /no higher than your own/);
  t.is((await userRow(user.id)).role, 'user');

  const invite = await ua.get(url('/admin/users/new'));
  t.deepEqual(dom(invite).querySelectorAll('select[name=role] option').map((o) => o.getAttribute('value')), ['user', 'org_admin']);
  const email = uniqueEmail('superwannabe');
  const invited = await submitForm(ua, 'form#invite-user', { email, role: 'super_admin' });
  t.is(invited.status, 403);
  t.falsy(await db()('users').where({ email }).first());
});

test.serial('disable and enable, each after a confirmation', async (t) => {
  const user = await colleague('Dee Sable');
  const disabled = await confirmAction(user.id, 'Disable account');
  t.regex(text(disabled.confirmation), /Disable the account of Dee Sable\?/);
  t.regex(notice(disabled.done), /disabled/);
  t.is((await userRow(user.id)).status, 'disabled');
  t.true(cell(disabled.done, '.summary dd').includes('Disabled'));

  const enabled = await confirmAction(user.id, 'Enable account');
  t.regex(text(enabled.confirmation), /Enable the account of Dee Sable\?/);
  t.regex(notice(enabled.done), /enabled/);
  t.is((await userRow(user.id)).status, 'active');
});

test.serial('delete after a confirmation, then back to the list', async (t) => {
  const user = await colleague('Del Gone');
  const { confirmation, done } = await confirmAction(user.id, 'Delete user');
  t.regex(text(confirmation), /Delete Del Gone\?/);
  t.regex(text(confirmation), /cannot be undone/);
  t.is(new URL(done.url).pathname, '/admin');
  t.regex(notice(done), /has been deleted/);
  t.falsy(await userRow(user.id));
  t.is((await ua.get(url(`/admin/users/${user.id}`))).status, 404);
});

test.serial('invite a user: they appear as invited with their pending invitation, which can be sent again', async (t) => {
  await ua.get(url('/admin/users/new'));
  const empty = await submitForm(ua, 'form#invite-user', { email: '' });
  t.is(empty.status, 400);
  t.regex(errorSummary(empty), /Enter the email address/);
  t.truthy(dom(empty).querySelector('.error-summary a[href="#email"]'));
  const malformed = await submitForm(ua, 'form#invite-user', { email: 'not-an-email' });
  t.is(malformed.status, 400);
  t.regex(errorSummary(malformed), /right format/);
  const taken = await submitForm(ua, 'form#invite-user', { email: admin.email });
  t.is(taken.status, 409);
  t.regex(errorSummary(taken), /exists already/);

  const email = uniqueEmail('invitee');
  await ua.get(url('/admin/users/new'));
  const done = await submitForm(ua, 'form#invite-user', { email, name: 'Ivy Invitee' });
  const row = await db()('users').where({ email }).first();
  t.truthy(row);
  t.is(row.org_id, admin.orgId);
  t.is(row.role, 'user');
  t.is(new URL(done.url).pathname, `/admin/users/${row.id}`);
  t.regex(notice(done), new RegExp(`Invitation sent to ${email.replace(/\./g, '\\.')}`));
  t.true(cell(done, '.summary dd').includes('Invited'));
  t.regex(cell(done, '.pending-links tbody tr').join(' '), /Invitation/);
  const firstLink = (await db()('action_links').where({ user_id: row.id }).first()).id;
  t.truthy(await lastMail(provider, email, 'invitation'));
  t.falsy(dom(done).querySelector(`a[href="/admin/users/${row.id}/reset-password"]`), 'no reset for someone without a password yet');

  const again = await submitForm(ua, 'form#reinvite');
  t.regex(notice(again), /sent again/);
  t.truthy((await db()('action_links').where({ id: firstLink }).first()).superseded_at);
  t.is((await mailTo(provider, email)).filter((m) => m.template === 'invitation').length, 2);
});

test.serial('the user page shows the recent audit events: time, event, actor and client address', async (t) => {
  const user = await colleague('Audrey Audit');
  await confirmAction(user.id, 'Reset password');
  const event = await db()('audit_events').where({ target_user_id: user.id, type: 'user.password_reset' }).first();
  const page = await ua.get(url(`/admin/users/${user.id}`));
  const rows = cell(page, '.activity tbody tr');
  const row = rows.find((r) => r.includes('Password reset'));
  t.truthy(row, rows.join('\n'));
  t.true(row!.includes(utc(event.at)));
  t.true(row!.includes('Olive Admin'));
  t.true(row!.includes(event.ip));
  t.true(rows.some((r) => r.includes('Link emailed (Password reset)')));
});

test.serial('an administrator may look at a super admin of their organisation but not change them', async (t) => {
  const boss = await colleague('Sam Super');
  await db()('users').where({ id: boss.id }).update({ role: 'super_admin' });
  const page = await ua.get(url(`/admin/users/${boss.id}`));
  t.is(page.status, 200);
  t.regex(text(page), /not change them/);
  t.falsy(dom(page).querySelector('form#edit-user'));
  const csrf = readForm(page, 'form.admin-sign-out').fields._csrf!;
  const refused = await ua.navigate(url(`/admin/users/${boss.id}/reset-password`), { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) });
  t.is(refused.status, 403);
  t.regex(text(refused), /You cannot do this/);
  t.not((await userRow(boss.id)).password_hash, null);
});

test.serial('an administrator cannot change their own role, disable or delete themselves', async (t) => {
  const page = await ua.get(url(`/admin/users/${admin.id}`));
  t.falsy(dom(page).querySelector('form#edit-user select[name=role]'));
  t.falsy(dom(page).querySelector(`a[href="/admin/users/${admin.id}/delete"]`));
  const csrf = readForm(page, 'form.admin-sign-out').fields._csrf!;
  const demote = await ua.navigate(url(`/admin/users/${admin.id}`), { method: 'POST', body: new URLSearchParams({ _csrf: csrf, name: 'Olive Admin', role: 'user' }) });
  t.is(demote.status, 403);
  const remove = await ua.navigate(url(`/admin/users/${admin.id}/delete`), { method: 'POST', body: new URLSearchParams({ _csrf: csrf }) });
  t.is(remove.status, 403);
  t.is((await userRow(admin.id)).role, 'org_admin');
});
