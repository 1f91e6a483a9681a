// The management API doing its job: every endpoint's answer, in the shapes and
// statuses of DESIGN.md, called over HTTP with real tokens.
import test from 'ava';
import { createOrganisation, createUser } from '../src/accounts/directory.ts';
import { createTestUser, startTestProvider, totpCode, uniqueEmail, type TestProvider } from './helpers/server.ts';
import { freshStep, signIn, startAuthorization, type RelyingParty } from './helpers/flows.ts';
import { UserAgent, dom } from './helpers/user-agent.ts';
import { lastMail, linkIn, mailTo } from './helpers/mail.ts';
import { adminRelyingParty, serviceToken, signedInAdmin, type Api, type SignedInAdmin } from './helpers/admin-api.ts';

let provider: TestProvider;
let rp: RelyingParty;
let admin: SignedInAdmin;
let superApi: Api;

test.before(async () => {
  provider = await startTestProvider();
  rp = await adminRelyingParty(provider);
  admin = await signedInAdmin(provider, rp, { orgName: 'Harbour Authority', name: 'Hana Admin' });
  superApi = (await serviceToken(provider, { adminRole: 'super_admin' })).api;
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;
const auditOf = async (userId: string) => db()('audit_events').where({ target_user_id: userId }).orderBy('id');

/** An active user of the admin's organisation who has signed in once (so has an authenticator). */
async function activeUser() {
  const user = await createTestUser(provider, { orgId: admin.orgId, name: 'Rowan Member' });
  const { secret } = await signIn(provider, rp, user);
  return { ...user, totpSecret: secret };
}

/** Signs in with email, password and OTP; says where it stopped. */
async function trySignIn(email: string, password: string, secret: string): Promise<{ status: number; signedIn: boolean }> {
  const ua = new UserAgent();
  await ua.get((await startAuthorization(rp)).url.href, rp.redirectUri);
  const afterPassword = await ua.submit({ email, password }, { stopAt: rp.redirectUri });
  if (!dom(afterPassword).querySelector('form[action$="/otp"]')) return { status: afterPassword.status, signedIn: false };
  await freshStep(provider, secret);
  const done = await ua.submit({ code: await totpCode(secret, provider.clock) }, { stopAt: rp.redirectUri });
  return { status: done.status, signedIn: done.url.startsWith(rp.redirectUri) };
}

test.serial('GET /organisations: a super admin sees every organisation, an org admin only their own', async (t) => {
  const other = await createOrganisation(db(), 'Aardvark Board');
  const all = await superApi.get('/organisations');
  t.is(all.status, 200);
  t.regex(all.type, /^application\/json/);
  t.deepEqual(all.body.items, (await db()('organisations').select('id', 'name').orderBy('name')) as unknown[]);
  t.true(all.body.items.some((o: { id: string }) => o.id === other.id));
  const own = await admin.api.get('/organisations');
  t.deepEqual(own.body, { items: [{ id: admin.orgId, name: 'Harbour Authority' }] });
});

test.serial('POST /organisations: 201 { id, name } for a super admin, audited; 403 for an org admin; 409 for a taken name', async (t) => {
  const created = await superApi.post('/organisations', { name: 'Coastal Survey' });
  t.is(created.status, 201);
  t.deepEqual(Object.keys(created.body).sort(), ['id', 'name']);
  t.is(created.body.name, 'Coastal Survey');
  t.truthy(await db()('organisations').where({ id: created.body.id }).first());
  const event = await db()('audit_events').where({ type: 'organisation.created', org_id: created.body.id }).first();
  t.truthy(event?.actor_client_id);

  const refused = await admin.api.post('/organisations', { name: 'Rogue Org' });
  t.is(refused.status, 403);
  t.regex(refused.type, /^application\/problem\+json/);
  t.falsy(await db()('organisations').whereRaw('lower(name) = ?', ['rogue org']).first());

  const duplicate = await superApi.post('/organisations', { name: 'coastal survey' });
  t.is(duplicate.status, 409);
  t.is(duplicate.body.code, 'duplicate');
});

test.serial("POST /users invites into the caller's organisation: 201 with the user, its Location, an invitation mail", async (t) => {
  const email = uniqueEmail('invitee');
  const response = await admin.api.post('/users', { email: email.toUpperCase(), name: 'Ines Invitee' });
  t.is(response.status, 201);
  t.deepEqual(response.body, { id: response.body.id, email, name: 'Ines Invitee', orgId: admin.orgId, role: 'user', status: 'invited' });
  t.is(response.headers.get('location'), `${provider.issuer}/admin/api/users/${response.body.id}`);
  const mail = await lastMail(provider, email, 'invitation');
  t.true(linkIn(mail, provider.issuer).startsWith(`${provider.issuer}/link/`));
  const invited = (await auditOf(response.body.id)).find((e) => e.type === 'user.invited');
  t.is(invited?.actor_user_id, admin.id);
  t.is(invited?.org_id, admin.orgId);
  t.truthy(invited?.ip);

  const org = await createOrganisation(db(), 'Lighthouse Trust');
  const byService = await superApi.post('/users', { email: uniqueEmail('keeper'), orgId: org.id, role: 'org_admin' });
  t.is(byService.status, 201);
  t.like(byService.body, { orgId: org.id, role: 'org_admin', status: 'invited', name: '' });

  const orgService = await serviceToken(provider, { adminRole: 'org_admin', orgId: org.id });
  const byOrgService = await orgService.api.post('/users', { email: uniqueEmail('deckhand') });
  t.is(byOrgService.status, 201);
  t.is(byOrgService.body.orgId, org.id, "a service client's organisation is the default");
});

test.serial('GET, PATCH and DELETE /users/{id}: read, rename, change role, disable and enable, delete (204)', async (t) => {
  const user = await createTestUser(provider, { orgId: admin.orgId, name: 'Pat Patch' });
  const read = await admin.api.get(`/users/${user.id}`);
  t.is(read.status, 200);
  t.deepEqual(read.body, { id: user.id, email: user.email, name: 'Pat Patch', orgId: admin.orgId, role: 'user', status: 'active' });

  const renamed = await admin.api.patch(`/users/${user.id}`, { name: '  Pat Renamed ' });
  t.is(renamed.status, 200);
  t.is(renamed.body.name, 'Pat Renamed');
  const promoted = await admin.api.patch(`/users/${user.id}`, { role: 'org_admin' });
  t.is(promoted.body.role, 'org_admin');
  const disabled = await admin.api.patch(`/users/${user.id}`, { status: 'disabled' });
  t.is(disabled.status, 200);
  t.is(disabled.body.status, 'disabled');
  t.is((await lastMail(provider, user.email, 'account_disabled')).to, user.email);
  const enabled = await admin.api.patch(`/users/${user.id}`, { status: 'active', name: 'Pat Again', role: 'user' });
  t.like(enabled.body, { status: 'active', name: 'Pat Again', role: 'user' });
  t.deepEqual(
    (await auditOf(user.id)).map((e) => e.type),
    ['user.updated', 'user.updated', 'user.updated', 'user.disabled', 'user.updated', 'user.enabled'],
  );

  const deleted = await admin.api.delete(`/users/${user.id}`);
  t.is(deleted.status, 204);
  t.is(deleted.body, '');
  t.falsy(await db()('users').where({ id: user.id }).first());
  t.is((await admin.api.get(`/users/${user.id}`)).status, 404);
  t.is((await auditOf(user.id)).at(-1)?.type, 'user.deleted', 'the audit trail outlives the user');
});

test.serial("POST /users/{id}/reset-password: 202, the old password stops working at once, and a link is mailed", async (t) => {
  const user = await activeUser();
  t.true((await trySignIn(user.email, user.password, user.totpSecret)).signedIn);
  const response = await admin.api.post(`/users/${user.id}/reset-password`);
  t.is(response.status, 202);
  const refused = await trySignIn(user.email, user.password, user.totpSecret);
  t.false(refused.signedIn);
  t.is(refused.status, 400);
  const mail = await lastMail(provider, user.email, 'password_reset');
  t.true(linkIn(mail, provider.issuer).startsWith(`${provider.issuer}/link/`));
  t.true((await auditOf(user.id)).some((e) => e.type === 'user.password_reset' && e.actor_user_id === admin.id));
});

test.serial('POST /users/{id}/reset-otp: 202, the authenticator is removed at once, and a link is mailed', async (t) => {
  const user = await activeUser();
  t.truthy(await db()('totp_authenticators').where({ user_id: user.id }).first());
  const response = await admin.api.post(`/users/${user.id}/reset-otp`);
  t.is(response.status, 202);
  t.falsy(await db()('totp_authenticators').where({ user_id: user.id }).first());
  const refused = await trySignIn(user.email, user.password, user.totpSecret);
  t.false(refused.signedIn);
  t.is(refused.status, 403);
  t.truthy(await lastMail(provider, user.email, 'otp_reset'));
});

test.serial('POST /users/{id}/reset-otp clears recovery codes and passkeys, or keeps passkeys with removePasskeys: false', async (t) => {
  const withPasskey = async () => {
    const user = await activeUser();
    await db()('passkeys').insert({
      id: `cred-${user.id}`, user_id: user.id, name: 'Phone', public_key: 'AQID', counter: 0, transports: '[]',
      device_type: 'multiDevice', backed_up: true, created_at: new Date(),
    });
    t.true((await db()('recovery_codes').where({ user_id: user.id })).length > 0, 'codes came with the first sign-in');
    return user;
  };
  const removed = await withPasskey();
  t.is((await admin.api.post(`/users/${removed.id}/reset-otp`)).status, 202, 'no body: the defaults');
  t.is((await db()('passkeys').where({ user_id: removed.id })).length, 0);
  t.is((await db()('recovery_codes').where({ user_id: removed.id })).length, 0);

  const kept = await withPasskey();
  t.is((await admin.api.post(`/users/${kept.id}/reset-otp`, { removePasskeys: false })).status, 202);
  t.is((await db()('passkeys').where({ user_id: kept.id })).length, 1);
  t.is((await db()('recovery_codes').where({ user_id: kept.id })).length, 0);
  t.falsy(await db()('totp_authenticators').where({ user_id: kept.id }).first());

  const invalid = await admin.api.post(`/users/${kept.id}/reset-otp`, { removePasskeys: 'yes' });
  t.is(invalid.status, 400);
});

test.serial('POST /users/{id}/resend-invitation: 202 with a new link that replaces the old; 409 once the user is active', async (t) => {
  const email = uniqueEmail('slow');
  const { body: user } = await admin.api.post('/users', { email });
  const first = linkIn(await lastMail(provider, email, 'invitation'), provider.issuer);
  const response = await admin.api.post(`/users/${user.id}/resend-invitation`);
  t.is(response.status, 202);
  const second = linkIn(await lastMail(provider, email, 'invitation'), provider.issuer);
  t.not(first, second);
  t.is((await new UserAgent().get(first)).status, 410, 'the first link is superseded');

  const active = await activeUser();
  const conflict = await admin.api.post(`/users/${active.id}/resend-invitation`);
  t.is(conflict.status, 409);
  t.is(conflict.body.code, 'not_invited');
  t.is((await mailTo(provider, active.email)).filter((m) => m.template === 'invitation').length, 0);
});

test.serial("GET /users/{id}/links: the open links with their expiry and their mail's delivery", async (t) => {
  const user = await activeUser();
  t.deepEqual((await admin.api.get(`/users/${user.id}/links`)).body, { items: [] });
  await admin.api.post(`/users/${user.id}/reset-password`);
  await lastMail(provider, user.email, 'password_reset');
  const response = await admin.api.get(`/users/${user.id}/links`);
  t.is(response.status, 200);
  t.is(response.body.items.length, 1);
  const [link] = response.body.items;
  t.is(link.kind, 'password_reset');
  t.is(Date.parse(link.expiresAt) - Date.parse(link.createdAt), 12 * 3600 * 1000);
  t.is(link.mail.status, 'sent');
  t.false(JSON.stringify(response.body).includes('/link/'), 'never the link itself');
});

test.serial("GET /mail?status=failed: failed mail to the caller's organisation, without bodies", async (t) => {
  const ours = await createTestUser(provider, { orgId: admin.orgId });
  const theirs = await createTestUser(provider);
  await admin.api.post(`/users/${ours.id}/reset-password`);
  await superApi.post(`/users/${theirs.id}/reset-password`);
  await mailTo(provider, ours.email);
  await db()('mail_outbox').whereIn('to', [ours.email, theirs.email]).update({ status: 'failed', last_error: 'inactive recipient' });

  const response = await admin.api.get('/mail?status=failed');
  t.is(response.status, 200);
  t.true(response.body.items.some((m: { to: string }) => m.to === ours.email));
  t.false(response.body.items.some((m: { to: string }) => m.to === theirs.email));
  const mail = response.body.items.find((m: { to: string }) => m.to === ours.email);
  t.like(mail, { template: 'password_reset', userId: ours.id, status: 'failed', lastError: 'inactive recipient' });
  t.is(mail.text, undefined);
  t.is(mail.html, undefined);
  const everyone = await superApi.get('/mail');
  t.true(everyone.body.items.some((m: { to: string }) => m.to === theirs.email));
});

test.serial("GET /audit-events: the caller's organisation, newest first, by user, a page at a time", async (t) => {
  const user = await createTestUser(provider, { orgId: admin.orgId });
  await admin.api.patch(`/users/${user.id}`, { name: 'Audit One' });
  await admin.api.patch(`/users/${user.id}`, { name: 'Audit Two' });
  await admin.api.post(`/users/${user.id}/reset-password`);
  await superApi.post('/users', { email: uniqueEmail('elsewhere'), orgId: (await createOrganisation(db(), 'Elsewhere Ltd')).id });

  const ours = await admin.api.get('/audit-events?limit=200');
  t.is(ours.status, 200);
  t.true(ours.body.items.length > 0);
  t.true(ours.body.items.every((e: { orgId: string }) => e.orgId === admin.orgId));
  const ids = ours.body.items.map((e: { id: string }) => Number(e.id));
  t.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');

  const forUser = await admin.api.get(`/audit-events?user=${user.id}`);
  t.deepEqual(
    forUser.body.items.map((e: { type: string }) => e.type),
    ['link.issued', 'user.password_reset', 'user.updated', 'user.updated'],
  );
  const [, reset] = forUser.body.items;
  t.deepEqual(Object.keys(reset).sort(), ['actorClientId', 'actorUserId', 'at', 'details', 'id', 'ip', 'orgId', 'targetUserId', 'type', 'userAgent'].sort());
  t.like(reset, { actorUserId: admin.id, actorClientId: null, targetUserId: user.id, orgId: admin.orgId });
  t.truthy(reset.ip);
  t.false(Number.isNaN(Date.parse(reset.at)));
  t.deepEqual(forUser.body.items[2].details, { name: { from: 'Audit One', to: 'Audit Two' } });

  const seen: string[] = [];
  let path = `/audit-events?user=${user.id}&limit=3`;
  for (;;) {
    const pageResponse = await admin.api.get(path);
    seen.push(...pageResponse.body.items.map((e: { id: string }) => e.id));
    if (!pageResponse.body.nextCursor) break;
    path = `/audit-events?user=${user.id}&limit=3&cursor=${pageResponse.body.nextCursor}`;
  }
  t.deepEqual(seen, forUser.body.items.map((e: { id: string }) => e.id));

  const all = await superApi.get('/audit-events?limit=200');
  t.true(new Set(all.body.items.map((e: { orgId: string }) => e.orgId)).size > 1, 'a super admin sees every organisation');
});

test.serial('GET /users pages by cursor, each user exactly once, and q searches email and name', async (t) => {
  const org = await createOrganisation(db(), 'Paging Office');
  const created = [];
  for (let i = 0; i < 8; i += 1) {
    created.push(await createUser(db(), { orgId: org.id, email: uniqueEmail(`pager${i}`), name: i === 3 ? 'Zelda Quarry' : `Pager ${i}` }));
  }
  created.push(await createUser(db(), { orgId: org.id, email: uniqueEmail('quarryman'), name: 'Someone' }));
  created.push(await createUser(db(), { orgId: org.id, email: uniqueEmail('percent'), name: '100% sure' }));

  const seen: string[] = [];
  let path = `/users?org=${org.id}&limit=3`;
  let pages = 0;
  for (;;) {
    const response = await superApi.get(path);
    t.is(response.status, 200);
    pages += 1;
    t.true(response.body.items.length <= 3);
    seen.push(...response.body.items.map((u: { id: string }) => u.id));
    if (!response.body.nextCursor) break;
    path = `/users?org=${org.id}&limit=3&cursor=${encodeURIComponent(response.body.nextCursor)}`;
  }
  t.is(pages, 4);
  t.is(seen.length, created.length);
  t.deepEqual([...seen].sort(), created.map((u) => u.id).sort());
  t.deepEqual(seen, created.sort((a, b) => (a.email < b.email ? -1 : 1)).map((u) => u.id), 'ordered by email');

  const exact = await superApi.get(`/users?org=${org.id}&limit=${created.length}`);
  t.is(exact.body.items.length, created.length);
  t.false('nextCursor' in exact.body, 'a page that holds the rest exactly has no next page');
  const half = await superApi.get(`/users?org=${org.id}&limit=${created.length / 2}`);
  const rest = await superApi.get(`/users?org=${org.id}&limit=${created.length / 2}&cursor=${half.body.nextCursor}`);
  t.is(rest.body.items.length, created.length / 2);
  t.false('nextCursor' in rest.body);

  const found = await superApi.get(`/users?org=${org.id}&q=QUARRY`);
  t.deepEqual(found.body.items.map((u: { name: string }) => u.name).sort(), ['Someone', 'Zelda Quarry']);
  const literal = await superApi.get(`/users?org=${org.id}&q=${encodeURIComponent('0%')}`);
  t.deepEqual(literal.body.items.map((u: { name: string }) => u.name), ['100% sure'], '% is matched literally');

  const own = await admin.api.get('/users?limit=200');
  t.true(own.body.items.length > 0);
  t.true(own.body.items.every((u: { orgId: string }) => u.orgId === admin.orgId), "an org admin lists their organisation's users only");
  t.is(own.body.nextCursor, undefined);
});
