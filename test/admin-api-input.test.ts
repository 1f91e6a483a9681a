// Bad input to the management API: a 400 problem naming each field, and no
// change at all. Bodies must be JSON objects with known fields only.
import test from 'ava';
import { createTestUser, startTestProvider, uniqueEmail, type TestProvider, type TestUser } from './helpers/server.ts';
import { callApi, serviceToken, type Api, type ApiResponse } from './helpers/admin-api.ts';

let provider: TestProvider;
let api: Api;
let orgId: string;
let member: TestUser;

test.before(async () => {
  provider = await startTestProvider();
  member = await createTestUser(provider, { name: 'Mo Member' });
  orgId = member.orgId;
  api = (await serviceToken(provider, { adminRole: 'org_admin', orgId })).api;
});
test.after.always(async () => {
  await provider?.stop();
});

const db = () => provider.app.services.db;
const fieldsOf = (response: ApiResponse) => (response.body.errors ?? []).map((e: { field: string }) => e.field);

/** Rows that a refused request must leave alone. */
async function state() {
  return {
    users: await db()('users').orderBy('id'),
    organisations: await db()('organisations').orderBy('id'),
    mail: await db()('mail_outbox').count<{ n: string | number }[]>('* as n'),
    audit: await db()('audit_events').count<{ n: string | number }[]>('* as n'),
    links: await db()('action_links').count<{ n: string | number }[]>('* as n'),
  };
}

function isInvalid(t: { is(a: unknown, b: unknown, m?: string): void; regex(s: string, r: RegExp, m?: string): void; deepEqual(a: unknown, b: unknown, m?: string): void }, response: ApiResponse, fields: string[], label: string) {
  t.is(response.status, 400, `${label}: status`);
  t.regex(response.type, /^application\/problem\+json/, `${label}: type`);
  t.is(response.body.status, 400, `${label}: problem status`);
  t.deepEqual(fieldsOf(response), fields, `${label}: fields`);
  for (const error of response.body.errors ?? []) t.is(typeof error.message === 'string' && error.message.length > 0, true, `${label}: message`);
}

test.serial('POST /users with invalid fields: 400 naming each field, and nobody is invited', async (t) => {
  const before = await state();
  const email = uniqueEmail('valid');
  const cases: [string, unknown, string[]][] = [
    ['a bad email', { email: 'not-an-email' }, ['email']],
    ['an unknown role', { email, role: 'emperor' }, ['role']],
    ['an unknown field', { email, isAdmin: true }, ['isAdmin']],
    ['two unknown fields', { email, isAdmin: true, password: 'x' }, ['isAdmin', 'password']],
    ['a number for the email', { email: 42 }, ['email']],
    ['null for the name', { email, name: null }, ['name']],
    ['an org id that is not an id', { email, orgId: 'org-1' }, ['orgId']],
    ['a long name', { email, name: 'n'.repeat(201) }, ['name']],
    ['no email', { name: 'Nobody' }, ['email']],
    ['an array', [{ email }], ['']],
    ['a string', 'hello', ['']],
  ];
  for (const [label, body, fields] of cases) isInvalid(t, await api.post('/users', body), fields, label);
  t.deepEqual(await state(), before);
});

test.serial('a body that is not JSON: 400 for broken JSON, 415 for another content type', async (t) => {
  const before = await state();
  const broken = await api.call('POST', '/users', { rawBody: '{"email": ', contentType: 'application/json' });
  t.is(broken.status, 400);
  t.regex(broken.type, /^application\/problem\+json/);
  for (const [contentType, rawBody] of [
    ['application/x-www-form-urlencoded', `email=${encodeURIComponent(uniqueEmail('form'))}`],
    ['text/plain', JSON.stringify({ email: uniqueEmail('text') })],
  ]) {
    const response = await api.call('POST', '/users', { rawBody, contentType });
    t.is(response.status, 415, contentType);
    t.regex(response.type, /^application\/problem\+json/);
  }
  t.is((await api.call('POST', '/users', {})).status, 415, 'no body at all');
  t.is((await api.call('PATCH', `/users/${member.id}`, { rawBody: 'name=x', contentType: 'application/x-www-form-urlencoded' })).status, 415);
  t.deepEqual(await state(), before);
});

test.serial('PATCH /users/{id} with invalid fields changes nothing, not even the valid ones', async (t) => {
  const before = await state();
  const cases: [string, unknown, string[]][] = [
    ['status invited', { status: 'invited' }, ['status']],
    ['an unknown role', { role: 'root' }, ['role']],
    ['a number for the name', { name: 5 }, ['name']],
    ['an unknown field', { email: 'new@example.gov' }, ['email']],
    ['a valid change with an unknown field', { status: 'disabled', orgId }, ['orgId']],
    ['a valid change with a bad one', { name: 'Good Name', role: 'god' }, ['role']],
  ];
  for (const [label, body, fields] of cases) isInvalid(t, await api.patch(`/users/${member.id}`, body), fields, label);
  t.deepEqual(await state(), before);
  t.like(await db()('users').where({ id: member.id }).first(), { name: 'Mo Member', status: 'active', role: 'user' });
});

test.serial('POST /organisations with invalid input: 400 naming the field, and nothing is created', async (t) => {
  const superApi = (await serviceToken(provider, { adminRole: 'super_admin' })).api;
  const before = await state();
  isInvalid(t, await superApi.post('/organisations', {}), ['name'], 'no name');
  isInvalid(t, await superApi.post('/organisations', { name: '   ' }), ['name'], 'a blank name');
  isInvalid(t, await superApi.post('/organisations', { name: 7 }), ['name'], 'a number');
  isInvalid(t, await superApi.post('/organisations', { name: 'Fine', parent: 'x' }), ['parent'], 'an unknown field');
  t.deepEqual(await state(), before);
});

test.serial('query parameters are checked: 400 naming the parameter', async (t) => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const cases: [string, string[]][] = [
    ['/users?limit=0', ['limit']],
    ['/users?limit=201', ['limit']],
    ['/users?limit=ten', ['limit']],
    ['/users?limit=1.5', ['limit']],
    ['/users?cursor=garbage!', ['cursor']],
    ['/users?cursor=bm90IGpzb24', ['cursor']],
    [`/users?cursor=${cursor({ email: 'a@b.c', id: 'not-a-uuid' })}`, ['cursor']],
    [`/users?cursor=${cursor({ before: '12' })}`, ['cursor']],
    ['/users?org=somewhere', ['org']],
    ['/users?q=a&q=b', ['q']],
    ['/users?page=2', ['page']],
    ['/audit-events?user=me', ['user']],
    [`/audit-events?cursor=${cursor({ email: 'a@b.c', id: member.id })}`, ['cursor']],
    [`/audit-events?cursor=${cursor({ before: '1; drop table users' })}`, ['cursor']],
    ['/mail?status=sent', ['status']],
    ['/organisations?all=true', ['all']],
    [`/users/${member.id}?expand=org`, ['expand']],
  ];
  for (const [path, fields] of cases) isInvalid(t, await api.get(path), fields, path);
});

test.serial('a duplicate email is a 409 problem; unknown paths, ids and methods are 404 and 405 problems', async (t) => {
  const duplicate = await api.post('/users', { email: member.email.toUpperCase() });
  t.is(duplicate.status, 409);
  t.is(duplicate.body.code, 'duplicate');
  t.regex(duplicate.body.detail, /exists already/);

  for (const path of ['/nothing-here', '/users/not-a-uuid', `/users/${crypto.randomUUID()}`, `/users/${crypto.randomUUID()}/links`, '']) {
    const response = await api.get(path);
    t.is(response.status, 404, path);
    t.regex(response.type, /^application\/problem\+json/, path);
  }
  const wrongMethod = await api.call('PUT', `/users/${member.id}`, { body: { name: 'x' } });
  t.is(wrongMethod.status, 405);
  t.regex(wrongMethod.type, /^application\/problem\+json/);
  t.deepEqual(wrongMethod.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'HEAD', 'PATCH']);
  const unauthenticated = await callApi(provider, undefined, 'GET', '/nothing-here');
  t.is(unauthenticated.status, 404, 'which paths exist is no secret: the OpenAPI document is public');
});

test.serial('every answer of the API is JSON and never cached', async (t) => {
  const responses = [await api.get('/users'), await api.get('/users?limit=0'), await callApi(provider, undefined, 'GET', '/users'), await api.get('/openapi.json')];
  for (const response of responses) {
    t.regex(response.type, /^application\/(problem\+)?json/);
    t.is(response.headers.get('cache-control'), 'no-store');
  }
});
