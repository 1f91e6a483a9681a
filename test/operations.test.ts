// What an operator relies on: health and readiness, request ids, running
// behind a TLS-terminating proxy, and JSON logs in production.
import test from 'ava';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { createApp, listen } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { listAuditEvents } from '../src/queries/audit-events.ts';
import { createTestUser, registerTestClient, startTestProvider, type TestProvider } from './helpers/server.ts';
import { freshDatabase, runKind } from './helpers/databases.ts';
import { UserAgent, readForm } from './helpers/user-agent.ts';

let provider: TestProvider;
let proxiedProvider: Promise<TestProvider> | undefined;
test.before(async () => {
  provider = await startTestProvider();
});
test.after.always(async () => {
  await provider?.stop();
  await (await proxiedProvider)?.stop();
});

/** A provider whose ISSUER is https: it trusts the TLS-terminating proxy in front of it. */
function behindProxy(): Promise<TestProvider> {
  proxiedProvider ??= startTestProvider({ env: { ISSUER: 'https://id.example.test' } });
  return proxiedProvider;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const redirectUri = 'http://127.0.0.1:9/callback';

test('/healthz answers 200 while the process runs', async (t) => {
  const response = await fetch(`${provider.issuer}/healthz`);
  t.is(response.status, 200);
  t.like(await response.json(), { status: 'ok' });
});

test('/readyz answers 200 with the database reachable and 503 once it is gone', async (t) => {
  const own = await startTestProvider();
  t.teardown(() => own.stop());
  const ready = await fetch(`${own.issuer}/readyz`);
  t.is(ready.status, 200);
  t.like(await ready.json(), { status: 'ok', database: 'ok' });

  await own.app.database.close();
  const unready = await fetch(`${own.issuer}/readyz`);
  t.is(unready.status, 503);
  t.like(await unready.json(), { status: 'unavailable', database: 'unreachable' });
  t.is((await fetch(`${own.issuer}/healthz`)).status, 200, 'the process itself is still alive');
});

test('every response carries an X-Request-Id, a fresh one when none is sent', async (t) => {
  const requests: [string, RequestInit?][] = [
    ['/healthz'],
    ['/readyz'],
    ['/.well-known/openid-configuration'],
    ['/jwks'],
    ['/auth'],
    ['/no-such-page'],
    ['/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }],
    ['/interaction/no-such-interaction'],
  ];
  const seen = new Set<string>();
  for (const [path, init] of requests) {
    const response = await fetch(`${provider.issuer}${path}`, init);
    await response.arrayBuffer();
    const id = response.headers.get('x-request-id') ?? '';
    t.regex(id, uuid, `${path} (${response.status})`);
    seen.add(id);
  }
  t.is(seen.size, requests.length, 'each request gets its own id');
});

test('a sane incoming X-Request-Id is echoed; an unsafe one is replaced', async (t) => {
  for (const sane of ['edge-7f3a9c.1', 'b6c1f2de-0d4e-4c55-9a57-2f0b6a5e8d11', 'A_b-c.9']) {
    const response = await fetch(`${provider.issuer}/healthz`, { headers: { 'x-request-id': sane } });
    t.is(response.headers.get('x-request-id'), sane);
  }
  for (const unsafe of ['x'.repeat(200), 'abc%0d%0aSet-Cookie:%20a=b', '"><script>alert(1)</script>', 'two words', '{"level":60,"msg":"forged"}']) {
    const response = await fetch(`${provider.issuer}/healthz`, { headers: { 'x-request-id': unsafe } });
    t.regex(response.headers.get('x-request-id') ?? '', uuid, unsafe);
  }
  // A line break inside the header (obs-fold) must never reach a response header.
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(provider.port, '127.0.0.1', () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: abc\r\n\tInjected: yes\r\nConnection: close\r\n\r\n');
    });
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const head = raw.split('\r\n\r\n')[0] ?? '';
  t.false(/^injected:/im.test(head), `no injected header in:\n${head}`);
  t.false(/x-request-id: abc/i.test(head));
});

/**
 * Walks to the password page of a new authorization, every request sent with
 * `headers` (as a proxy would forward it), and submits a wrong password.
 */
async function throughTheProxy(target: TestProvider, headers: Record<string, string>) {
  const local = target.issuer; // where the test server listens
  const user = await createTestUser(target);
  const client = await registerTestClient(target, { redirectUris: [redirectUri] });
  const ua = new UserAgent();
  const verifier = oidc.randomPKCECodeVerifier();
  const parameters = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: oidc.randomState(),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const authorization = await ua.request(`${local}/auth?${parameters}`, { headers });
  await authorization.arrayBuffer();
  const location = authorization.headers.get('location') ?? '';
  const interactionPath = new URL(location, target.config.issuer).pathname;
  const pageResponse = await ua.request(`${local}${interactionPath}`, { headers });
  const page = { url: `${local}${interactionPath}`, status: pageResponse.status, headers: pageResponse.headers, body: await pageResponse.text(), history: [] };
  const form = readForm(page);
  const submitted = await ua.request(form.action, { method: 'POST', body: new URLSearchParams({ ...form.fields, email: user.email, password: 'not the password at all' }), headers });
  await submitted.arrayBuffer();
  const [event] = await listAuditEvents(target.app.services.db, { targetUserId: user.id, limit: 1 });
  return {
    authorization,
    cookies: [...authorization.headers.getSetCookie(), ...pageResponse.headers.getSetCookie()],
    page: pageResponse,
    auditedIp: event?.ip,
  };
}

// What a TLS-terminating proxy in front of https://id.example.test sends on
// (Caddy, Traefik and load balancers do by default; nginx when configured so).
const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example.test', 'x-forwarded-for': '198.51.100.66, 203.0.113.9' };

test('behind a TLS proxy (https ISSUER): https URLs, Secure cookies, HSTS, and the client address the proxy saw', async (t) => {
  const proxied = await behindProxy();
  const issuer = proxied.config.issuer;
  t.is(issuer, 'https://id.example.test');

  const discovery = await fetch(`${proxied.issuer}/.well-known/openid-configuration`, { headers: forwarded });
  const metadata = (await discovery.json()) as Record<string, unknown>;
  t.is(metadata.issuer, issuer);
  const urls = Object.entries(metadata).filter(([key, value]) => (key.endsWith('_endpoint') || key === 'jwks_uri') && typeof value === 'string');
  t.true(urls.length >= 6);
  for (const [key, value] of urls) t.true((value as string).startsWith(`${issuer}/`), `${key}: ${value}`);
  t.regex(discovery.headers.get('strict-transport-security') ?? '', /max-age=\d+/);

  const { authorization, cookies, page, auditedIp } = await throughTheProxy(proxied, forwarded);
  t.is(authorization.status, 303);
  t.is(page.status, 200);
  t.true(cookies.length >= 2, cookies.join('\n'));
  for (const cookie of cookies) t.regex(cookie, /;\s*secure/i, cookie);
  t.true(cookies.some((c) => c.startsWith('govlink.csrf=')), 'our own form cookie too');
  t.is(auditedIp, '203.0.113.9', 'the address our proxy saw, not one the client claimed');
});

// oidc-provider builds endpoint URLs from the request's host; a proxy that
// forwards its own upstream Host and no X-Forwarded-Host (nginx's default)
// must still get URLs under ISSUER.
test('behind a proxy that forwards no X-Forwarded-Host, discovery still advertises URLs under ISSUER', async (t) => {
  const proxied = await behindProxy();
  const response = await fetch(`${proxied.issuer}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' } });
  const metadata = (await response.json()) as Record<string, unknown>;
  t.is(metadata.authorization_endpoint, 'https://id.example.test/auth');
  t.is(metadata.token_endpoint, 'https://id.example.test/token');
});

test('without a trusted proxy (http ISSUER), X-Forwarded-* headers are not believed', async (t) => {
  const discovery = await fetch(`${provider.issuer}/.well-known/openid-configuration`, { headers: forwarded });
  const metadata = (await discovery.json()) as Record<string, unknown>;
  t.is(metadata.issuer, provider.issuer);
  t.true(String(metadata.authorization_endpoint).startsWith(`${provider.issuer}/`), String(metadata.authorization_endpoint));
  t.is(discovery.headers.get('strict-transport-security'), null);

  const { cookies, page, auditedIp } = await throughTheProxy(provider, forwarded);
  t.is(page.status, 200);
  t.true(cookies.length >= 2);
  for (const cookie of cookies) t.notRegex(cookie, /;\s*secure/i, cookie);
  t.truthy(auditedIp);
  t.regex(auditedIp ?? '', /127\.0\.0\.1$/, 'the connection address, not X-Forwarded-For');
});

test('with NODE_ENV=production the log is JSON lines, and each request line carries its request id', async (t) => {
  const database = await freshDatabase(runKind);
  t.teardown(() => database.remove());
  const config = loadConfig({
    NODE_ENV: 'production',
    ISSUER: 'https://id.example.test',
    SECRET_KEY: randomBytes(32).toString('base64url'),
    DATA_DIR: database.dataDir,
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
    PORTAL_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'info',
  });
  const lines: string[] = [];
  const logger = createLogger(config, { write: (line: string) => void lines.push(line) });
  const app = await createApp({ config, logger });
  const server = createServer(app.callback);
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  });
  const port = await listen(server, 0, '127.0.0.1');

  const sent: { path: string; requestId: string }[] = [];
  for (const [path, headers] of [
    ['/healthz', { 'x-request-id': 'probe-42' }],
    ['/.well-known/openid-configuration', {}],
    ['/no-such-page', {}],
  ] as const) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
    await response.arrayBuffer();
    sent.push({ path, requestId: response.headers.get('x-request-id') ?? '' });
  }
  t.is(sent[0]!.requestId, 'probe-42');

  t.true(lines.length >= sent.length);
  const entries = lines.map((line) => {
    t.true(line.endsWith('\n'), 'one entry a line');
    return JSON.parse(line) as Record<string, unknown>;
  });
  for (const entry of entries) {
    t.is(typeof entry.level, 'number');
    t.is(typeof entry.time, 'number');
  }
  for (const { path, requestId } of sent) {
    const entry = entries.find((e) => e.msg === 'request' && e.path === path);
    t.truthy(entry, `a request line for ${path}`);
    t.is(entry?.requestId, requestId, path);
    t.is(typeof entry?.status, 'number');
  }

  // An emailed link's token is a credential and stays out of the log.
  const token = randomBytes(32).toString('base64url');
  await (await fetch(`http://127.0.0.1:${port}/link/${token}`)).arrayBuffer();
  t.false(lines.some((line) => line.includes(token)), 'the link token is not logged');
  t.true(lines.some((line) => line.includes('/link/[token]')));
});
