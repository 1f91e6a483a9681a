// Who may call the management API, and on whom: tokens, roles and
// organisations, checked on every request.
import test from 'ava';
import * as oidc from 'openid-client';
import { createOrganisation } from '../src/accounts/directory.ts';
import { createTestUser, startTestProvider, uniqueEmail, type TestProvider, type TestUser } from './helpers/server.ts';
import { signIn, type RelyingParty } from './helpers/flows.ts';
import { UserAgent } from './helpers/user-agent.ts';
import { mailTo } from './helpers/mail.ts';
import { adminRelyingParty, adminUserToken, apiAs, callApi, serviceToken, signedInAdmin, type Api, type ApiResponse, type SignedInAdmin } from './helpers/admin-api.ts';

let provider: TestProvider;
let rp: RelyingParty;
let adminA: SignedInAdmin;
let superApi: Api;

test.before(async () => {
  provider = await startTestProvider();
  rp = await adminRelyingParty(provider);
  adminA = await signedInAdmin(provider, rp, { orgName: 'Org A' });
  superApi = (await serviceToken(provider, { adminRole: 'super_admin' })).api;
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;

function isProblem(t: { regex(s: string, r: RegExp, m?: string): void; is(a: unknown, b: unknown, m?: string): void }, response: ApiResponse, status: number, label = '') {
  t.is(response.status, status, `${label} status`);
  t.regex(response.type, /^application\/problem\+json/, `${label} type`);
  t.is(response.body.status, status, `${label} body status`);
}

/** Everything about a user and their organisation that an API call could change. */
async function snapshot(user: TestUser) {
  return {
    user: await db()('users').where({ id: user.id }).first(),
    totp: await db()('totp_authenticators').where({ user_id: user.id }).first(),
    links: await db()('action_links').where({ user_id: user.id }).count<{ n: string | number }[]>('* as n'),
    mail: (await mailTo(provider, user.email)).length,
    audit: await db()('audit_events').where({ org_id: user.orgId }).count<{ n: string | number }[]>('* as n'),
    orgUsers: await db()('users').where({ org_id: user.orgId }).orderBy('id').pluck('id'),
    organisations: await db()('organisations').count<{ n: string | number }[]>('* as n'),
  };
}

test.serial("an org admin cannot reach another organisation's users on any endpoint, and nothing changes", async (t) => {
  const orgB = await createOrganisation(db(), 'Org B');
  const userB = await createTestUser(provider, { orgId: orgB.id, name: 'Bea Other' });
  await signIn(provider, rp, userB);
  const invitedB = (await superApi.post('/users', { email: uniqueEmail('invited-b'), orgId: orgB.id })).body as TestUser;
  const before = await snapshot(userB);
  const serviceA = await serviceToken(provider, { adminRole: 'org_admin', orgId: adminA.orgId });

  for (const [caller, api] of [['org admin A', adminA.api], ['service client of A', serviceA.api]] as const) {
    const refusals: [string, Promise<ApiResponse>, number][] = [
      ['GET user', api.get(`/users/${userB.id}`), 404],
      ['PATCH user', api.patch(`/users/${userB.id}`, { name: 'Hijacked', status: 'disabled' }), 404],
      ['DELETE user', api.delete(`/users/${userB.id}`), 404],
      ['reset password', api.post(`/users/${userB.id}/reset-password`), 404],
      ['reset OTP', api.post(`/users/${userB.id}/reset-otp`), 404],
      ['resend invitation', api.post(`/users/${invitedB.id}/resend-invitation`), 404],
      ['links', api.get(`/users/${userB.id}/links`), 404],
      ['list with org=B', api.get(`/users?org=${orgB.id}`), 404],
      ['audit of a user of B', api.get(`/audit-events?user=${userB.id}`), 404],
      ['audit of B', api.get(`/audit-events?org=${orgB.id}`), 404],
      ['failed mail of B', api.get(`/mail?org=${orgB.id}`), 404],
      ['invite into B', api.post('/users', { email: uniqueEmail('intruder'), orgId: orgB.id }), 404],
      ['create an organisation', api.post('/organisations', { name: 'Org C' }), 403],
    ];
    for (const [label, pending, status] of refusals) isProblem(t, await pending, status, `${caller}: ${label}`);

    const users = await api.get('/users?limit=200');
    t.false(users.body.items.some((u: { orgId: string }) => u.orgId === orgB.id), `${caller}: no B users in the list`);
    const search = await api.get(`/users?q=${encodeURIComponent(userB.email)}`);
    t.deepEqual(search.body.items, [], `${caller}: B users are not found by search`);
    const audit = await api.get('/audit-events?limit=200');
    t.false(audit.body.items.some((e: { orgId: string }) => e.orgId === orgB.id), `${caller}: no B events`);
    const organisations = await api.get('/organisations');
    t.deepEqual(organisations.body.items.map((o: { id: string }) => o.id), [adminA.orgId], `${caller}: only A`);
  }
  t.deepEqual(await snapshot(userB), before, 'nothing about B changed');
  t.is((await db()('action_links').where({ user_id: invitedB.id })).length, 1, 'no new invitation link');
});

test.serial('an org admin cannot act on a super admin of their organisation, nor give the super_admin role', async (t) => {
  const superUser = await createTestUser(provider, { orgId: adminA.orgId, role: 'super_admin', name: 'Sam Super' });
  const member = await createTestUser(provider, { orgId: adminA.orgId });
  const before = [await snapshot(superUser), await snapshot(member)];

  t.is((await adminA.api.get(`/users/${superUser.id}`)).status, 200, 'reading is allowed');
  isProblem(t, await adminA.api.patch(`/users/${superUser.id}`, { name: 'Demoted?' }), 403, 'rename');
  isProblem(t, await adminA.api.patch(`/users/${superUser.id}`, { role: 'user' }), 403, 'demote');
  isProblem(t, await adminA.api.patch(`/users/${superUser.id}`, { status: 'disabled' }), 403, 'disable');
  isProblem(t, await adminA.api.delete(`/users/${superUser.id}`), 403, 'delete');
  isProblem(t, await adminA.api.post(`/users/${superUser.id}/reset-password`), 403, 'reset password');
  isProblem(t, await adminA.api.post(`/users/${superUser.id}/reset-otp`), 403, 'reset OTP');
  const promote = await adminA.api.patch(`/users/${member.id}`, { role: 'super_admin' });
  isProblem(t, promote, 403, 'promote');
  t.regex(promote.body.detail, /super_admin/);
  isProblem(t, await adminA.api.post('/users', { email: uniqueEmail('would-be-super'), role: 'super_admin' }), 403, 'invite a super admin');
  t.deepEqual([await snapshot(superUser), await snapshot(member)], before);

  t.is((await adminA.api.patch(`/users/${member.id}`, { role: 'org_admin' })).status, 200, 'org_admin may be given');
});

test.serial('an administrator cannot disable, delete or demote themselves', async (t) => {
  const self = await signedInAdmin(provider, rp, { orgId: adminA.orgId });
  isProblem(t, await self.api.patch(`/users/${self.id}`, { status: 'disabled' }), 403, 'disable');
  isProblem(t, await self.api.patch(`/users/${self.id}`, { role: 'user' }), 403, 'demote');
  isProblem(t, await self.api.delete(`/users/${self.id}`), 403, 'delete');
  t.like(await db()('users').where({ id: self.id }).first(), { role: 'org_admin', status: 'active' });
  t.is((await self.api.patch(`/users/${self.id}`, { name: 'Still Me' })).status, 200, 'renaming oneself is fine');
  t.is((await self.api.get('/users')).status, 200);
});

test.serial('a demoted administrator loses access at once, with the same token', async (t) => {
  const demotedByApi = await signedInAdmin(provider, rp, { orgId: adminA.orgId });
  t.is((await demotedByApi.api.get('/users')).status, 200);
  t.is((await adminA.api.patch(`/users/${demotedByApi.id}`, { role: 'user' })).status, 200);
  const refused = await demotedByApi.api.get('/users');
  isProblem(t, refused, 403);
  t.is(refused.body.code, 'not_an_administrator');

  const demotedInDb = await signedInAdmin(provider, rp, { orgId: adminA.orgId });
  t.is((await demotedInDb.api.get('/organisations')).status, 200);
  await db()('users').where({ id: demotedInDb.id }).update({ role: 'user' });
  isProblem(t, await demotedInDb.api.get('/organisations'), 403);
  await db()('users').where({ id: demotedInDb.id }).update({ role: 'org_admin' });
  t.is((await demotedInDb.api.get('/organisations')).status, 200, 'the same token works again once promoted');
});

test.serial('a disabled or deleted administrator loses access at once', async (t) => {
  const disabledInDb = await signedInAdmin(provider, rp, { orgId: adminA.orgId });
  await db()('users').where({ id: disabledInDb.id }).update({ status: 'disabled' });
  isProblem(t, await disabledInDb.api.get('/users'), 403, 'disabled behind the API');

  const disabledByApi = await signedInAdmin(provider, rp, { orgId: adminA.orgId });
  t.is((await adminA.api.patch(`/users/${disabledByApi.id}`, { status: 'disabled' })).status, 200);
  isProblem(t, await disabledByApi.api.get('/users'), 401, 'disabling revoked the token');

  const deleted = await signedInAdmin(provider, rp, { orgId: adminA.orgId });
  t.is((await adminA.api.delete(`/users/${deleted.id}`)).status, 204);
  isProblem(t, await deleted.api.get('/users'), 401, 'deleting revoked the token');
});

test.serial('a service client loses access when its admin role is taken away', async (t) => {
  const service = await serviceToken(provider, { adminRole: 'org_admin', orgId: adminA.orgId });
  t.is((await service.api.get('/users')).status, 200);
  await db()('oidc_clients').where({ client_id: service.clientId }).update({ metadata: db().raw("metadata - 'admin_role'") });
  isProblem(t, await service.api.get('/users'), 403);
  const plain = await serviceToken(provider, { resource: `${provider.issuer}/admin/api` });
  const refused = await plain.api.get('/users');
  isProblem(t, refused, 403, 'a client without an admin role, with a token for the API');
  t.is(refused.body.code, 'not_an_administrator');
});

test.serial('a missing, malformed or unknown token is refused with 401 and an RFC 6750 challenge', async (t) => {
  const realm = `realm="${provider.issuer}/admin/api"`;
  const none = await callApi(provider, undefined, 'GET', '/users');
  isProblem(t, none, 401, 'no token');
  t.is(none.headers.get('www-authenticate'), `Bearer ${realm}`, 'no error code without credentials (RFC 6750 §3.1)');
  const basic = await callApi(provider, undefined, 'GET', '/users', { authorization: 'Basic dXNlcjpwYXNz' });
  isProblem(t, basic, 401, 'basic');
  for (const authorization of ['Bearer', 'Bearer not-a-token-at-all-but-long-enough', 'Bearer a b', `Bearer ${'x'.repeat(400)}`, 'Bearer ../../etc']) {
    const response = await callApi(provider, undefined, 'GET', '/users', { authorization });
    isProblem(t, response, 401, authorization);
    t.regex(response.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer ${realm}, error="invalid_token"`), authorization);
  }
});

test.serial('tokens for another resource, expired, revoked or without acr mfa are refused with 401', async (t) => {
  const user = await createTestUser(provider, { orgId: adminA.orgId, role: 'org_admin' });
  const { tokens, secret } = await signIn(provider, rp, user, new UserAgent(), { scope: 'openid email' });
  const userinfoToken = apiAs(provider, tokens.access_token);
  isProblem(t, await userinfoToken.get('/users'), 401, 'a token without the resource');
  const withUser = { ...user, totpSecret: secret };

  const expiring = (await adminUserToken(provider, rp, withUser)).token;
  t.is((await apiAs(provider, expiring).get('/users')).status, 200);
  const past = Math.floor(Date.now() / 1000) - 60;
  await db()('oidc_payloads')
    .where({ model: 'AccessToken', id: expiring })
    .update({ payload: db().raw("jsonb_set(payload, '{exp}', ?::jsonb)", [String(past)]), expires_at: new Date(past * 1000) });
  const expired = await apiAs(provider, expiring).get('/users');
  isProblem(t, expired, 401, 'expired');
  t.regex(expired.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

  const revoking = (await adminUserToken(provider, rp, withUser)).token;
  t.is((await apiAs(provider, revoking).get('/users')).status, 200);
  await oidc.tokenRevocation(rp.config, revoking);
  isProblem(t, await apiAs(provider, revoking).get('/users'), 401, 'revoked');

  const singleFactor = (await adminUserToken(provider, rp, withUser)).token;
  t.is((await apiAs(provider, singleFactor).get('/users')).status, 200);
  const stored = await db()('oidc_payloads').where({ model: 'AccessToken', id: singleFactor }).first();
  t.is(stored.payload.extra.acr, 'mfa', 'tokens from the sign-in carry acr mfa');
  await db()('oidc_payloads')
    .where({ model: 'AccessToken', id: singleFactor })
    .update({ payload: db().raw("jsonb_set(payload, '{extra,acr}', '\"pwd\"'::jsonb)") });
  const refused = await apiAs(provider, singleFactor).get('/users');
  isProblem(t, refused, 401, 'acr pwd');
  t.regex(refused.headers.get('www-authenticate') ?? '', /error="insufficient_user_authentication".*acr_values="mfa"/);
  await db()('oidc_payloads')
    .where({ model: 'AccessToken', id: singleFactor })
    .update({ payload: db().raw("payload #- '{extra,acr}'") });
  isProblem(t, await apiAs(provider, singleFactor).get('/users'), 401, 'no acr');
});

test.serial('a token for the API without the admin scope gets 403 insufficient_scope', async (t) => {
  const service = await serviceToken(provider, { adminRole: 'org_admin', orgId: adminA.orgId, scope: '', resource: `${provider.issuer}/admin/api` });
  const response = await service.api.get('/users');
  isProblem(t, response, 403);
  t.regex(response.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="admin"/);
});

test.serial("a user's token is refused with 403 unless the user is an administrator", async (t) => {
  const member = await createTestUser(provider, { orgId: adminA.orgId });
  const { token } = await adminUserToken(provider, rp, member);
  const response = await apiAs(provider, token).get('/users');
  isProblem(t, response, 403);
  t.is(response.body.code, 'not_an_administrator');
  isProblem(t, await apiAs(provider, token).post('/users', { email: uniqueEmail('by-member') }), 403, 'before the body is read');
});
