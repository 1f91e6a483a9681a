// The OpenAPI document at /admin/api/openapi.json tells the truth: it lists
// exactly the routes the router serves, and real answers match its schemas.
import test from 'ava';
import { createTestUser, startTestProvider, uniqueEmail, type TestProvider } from './helpers/server.ts';
import { adminRelyingParty, callApi, serviceToken, signedInAdmin, type ApiResponse, type SignedInAdmin } from './helpers/admin-api.ts';
import { validate } from './helpers/json-schema.ts';
import { adminApiRoutes } from '../src/admin/api/index.ts';

type Document = {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, any> };
};
type Operation = {
  operationId: string;
  security?: unknown[];
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
};

let provider: TestProvider;
let admin: SignedInAdmin;
let document: Document;

test.before(async () => {
  provider = await startTestProvider();
  admin = await signedInAdmin(provider, await adminRelyingParty(provider), { orgName: 'Schema Org' });
  const response = await callApi(provider, undefined, 'GET', '/openapi.json');
  if (response.status !== 200) throw new Error(`openapi.json answered ${response.status}`);
  document = response.body as Document;
});
test.after.always(async () => {
  await provider?.stop();
});

const methods = ['get', 'post', 'put', 'patch', 'delete'];
const operations = () => Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).filter(([m]) => methods.includes(m)).map(([method, op]) => ({ path, method, op })));

/** Finds every $ref in the document. */
function refsIn(node: unknown): string[] {
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [value] : refsIn(value)));
}

/** Checks a real answer against the schema the document gives for its operation, status and content type. */
function conforms(t: { deepEqual(a: unknown, b: unknown, m?: string): void; truthy(a: unknown, m?: string): void }, path: string, method: string, response: ApiResponse) {
  const documented = document.paths[path]?.[method]?.responses[String(response.status)];
  t.truthy(documented, `${method} ${path} documents ${response.status}`);
  if (!documented?.content) {
    t.deepEqual([response.type, response.body], ['', ''], `${method} ${path} ${response.status} has no body`);
    return;
  }
  const mediaType = response.type.split(';')[0]!;
  const schema = documented.content[mediaType]?.schema;
  t.truthy(schema, `${method} ${path} ${response.status} documents ${mediaType}`);
  if (schema) t.deepEqual(validate(response.body, schema, document), [], `${method} ${path} ${response.status}`);
}

test('the document is OpenAPI 3.1 with the OAuth 2.0 security scheme and the provider token URL', async (t) => {
  t.is(document.openapi, '3.1.0');
  t.is(document.info.title, 'Govlink management API');
  t.truthy(document.info.version);
  t.deepEqual(document.servers, [{ url: `${provider.issuer}/admin/api` }]);
  const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  const { oauth2 } = document.components.securitySchemes;
  t.is(oauth2.type, 'oauth2');
  t.is(oauth2.flows.clientCredentials.tokenUrl, discovery.token_endpoint);
  t.is(oauth2.flows.authorizationCode.tokenUrl, discovery.token_endpoint);
  t.is(oauth2.flows.authorizationCode.authorizationUrl, discovery.authorization_endpoint);
  t.truthy(oauth2.flows.clientCredentials.scopes.admin);
  t.deepEqual(document.security, [{ oauth2: ['admin'] }]);

  const ids = operations().map(({ op }) => op.operationId);
  t.is(new Set(ids).size, ids.length, 'operation ids are unique');
  for (const ref of refsIn(document)) t.truthy(document.components.schemas[ref.replace('#/components/schemas/', '')], `${ref} resolves`);
  for (const { path, method, op } of operations()) {
    const name = `${method} ${path}`;
    t.true(Object.keys(op.responses).length > 0, name);
    for (const parameter of op.parameters.filter((p) => p.in === 'path')) t.true(path.includes(`{${parameter.name}}`) && parameter.required, `${name} ${parameter.name}`);
    if (op.security?.length === 0) continue;
    t.truthy(op.responses['401']?.content?.['application/problem+json'], `${name} documents 401 as a problem`);
    t.truthy(op.responses['403']?.content?.['application/problem+json'], `${name} documents 403 as a problem`);
  }
  t.deepEqual(document.paths['/openapi.json']?.get?.security, [], 'the document itself is public');
  t.deepEqual(
    document.paths['/users']?.get?.parameters.map((p) => p.name),
    ['org', 'q', 'limit', 'cursor'],
  );
  t.deepEqual(Object.keys((document.components.schemas.User as { properties: object }).properties), ['id', 'email', 'name', 'orgId', 'role', 'status']);
  t.deepEqual((document.components.schemas.NewUser as { required: string[] }).required, ['email']);
});

test('every route the router serves is documented, and every documented operation is served', async (t) => {
  const { router } = adminApiRoutes(provider.app.services);
  const served = router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${String(layer.path).replace(/^\/admin\/api/, '').replace(/:(\w+)/g, '{$1}')}`),
  );
  const documented = operations().map(({ path, method }) => `${method} ${path}`);
  t.true(served.length > 10);
  t.deepEqual([...served].sort(), [...documented].sort());

  // And over HTTP: each documented operation answers, not 404 or 405.
  for (const { path, method, op } of operations()) {
    const concrete = path.replace(/\{\w+\}/g, admin.id);
    const response = await callApi(provider, undefined, method.toUpperCase(), concrete);
    t.is(response.status, op.security?.length === 0 ? 200 : 401, `${method} ${path}`);
  }
});

test('real answers match the documented schemas', async (t) => {
  const member = await createTestUser(provider, { orgId: admin.orgId });
  const { api } = admin;
  conforms(t, '/organisations', 'get', await api.get('/organisations'));
  conforms(t, '/users', 'get', await api.get('/users?limit=1'));
  const invited = await api.post('/users', { email: uniqueEmail('schema'), name: 'Schema Person', role: 'org_admin' });
  conforms(t, '/users', 'post', invited);
  conforms(t, '/users/{id}', 'get', await api.get(`/users/${member.id}`));
  conforms(t, '/users/{id}', 'patch', await api.patch(`/users/${member.id}`, { name: 'Renamed' }));
  conforms(t, '/users/{id}/reset-password', 'post', await api.post(`/users/${member.id}/reset-password`));
  conforms(t, '/users/{id}/links', 'get', await api.get(`/users/${member.id}/links`));
  conforms(t, '/users/{id}/links', 'get', await api.get(`/users/${invited.body.id}/links`));
  conforms(t, '/audit-events', 'get', await api.get('/audit-events?limit=5'));
  await provider.app.services.db('mail_outbox').where({ to: invited.body.email }).update({ status: 'failed', last_error: 'bounced' });
  const failed = await api.get('/mail?status=failed');
  t.true(failed.body.items.length > 0);
  conforms(t, '/mail', 'get', failed);
  conforms(t, '/users', 'post', await api.post('/users', { email: 'nope', extra: 1 }));
  conforms(t, '/users', 'get', await callApi(provider, undefined, 'GET', '/users'));
  conforms(t, '/users/{id}', 'delete', await api.delete(`/users/${crypto.randomUUID()}`));
  conforms(t, '/users/{id}', 'delete', await api.delete(`/users/${invited.body.id}`));
  const superApi = (await serviceToken(provider, { adminRole: 'super_admin' })).api;
  conforms(t, '/organisations', 'post', await superApi.post('/organisations', { name: 'Schema Two' }));
  conforms(t, '/audit-events', 'get', await superApi.get('/audit-events?limit=200'));
});

test('the checker is not vacuous: an answer with a wrong or extra field fails', (t) => {
  const user = document.paths['/users/{id}']!.get!.responses['200']!.content!['application/json']!.schema;
  const good = { id: crypto.randomUUID(), email: 'a@example.gov', name: '', orgId: crypto.randomUUID(), role: 'user', status: 'active' };
  t.deepEqual(validate(good, user, document), []);
  t.notDeepEqual(validate({ ...good, password: 'x' }, user, document), []);
  t.notDeepEqual(validate({ ...good, role: 'root' }, user, document), []);
  t.notDeepEqual(validate({ ...good, id: 'x' }, user, document), []);
  const { status: _status, ...incomplete } = good;
  t.notDeepEqual(validate(incomplete, user, document), []);
});
