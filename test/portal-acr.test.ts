// The Govlink portal as a relying party, against a real oidc-provider over
// real HTTP. The test OP's login form lets the test choose the acr the OP puts
// in the ID token, so the portal's acr=mfa rule is tested against a genuinely
// signed token.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type { Context, Next } from 'koa';
import { pino } from 'pino';
import { createPortal } from '../portal/app.ts';
import { dom, text, UserAgent, type Page } from './helpers/user-agent.ts';

const CLIENT_ID = 'govlink-portal';
const CLIENT_SECRET = 'portal-test-secret-portal-test-secret';
const silent = pino({ level: 'silent' });

// ---------------------------------------------------------------- test OP

/** The part of oidc-provider this file uses (the package ships no types). */
type Interaction = {
  uid: string;
  prompt: { name: string; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[] } };
  params: Record<string, string>;
  session?: { accountId: string };
  grantId?: string;
};
type Grant = { addOIDCScope(scope: string): void; addOIDCClaims(claims: string[]): void; save(): Promise<string> };
type Provider = {
  use(middleware: (ctx: Context, next: Next) => Promise<void>): void;
  callback(): RequestListener;
  interactionDetails(req: Context['req'], res: Context['res']): Promise<Interaction>;
  interactionResult(req: Context['req'], res: Context['res'], result: object, options?: object): Promise<string>;
  Grant: { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant> };
};
type ProviderConstructor = new (issuer: string, configuration: object) => Provider;

/** A server whose handler is set later: issuer and redirect URIs need each other's ports. */
async function listenOnRandomPort(): Promise<{ url: string; server: Server; handle(listener: RequestListener): void }> {
  let listener: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end('not ready');
  };
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, handle: (next) => (listener = next) };
}

async function createTestProvider(issuer: string, portalUrl: string, publicClient: boolean): Promise<Provider> {
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as { default: ProviderConstructor };
  // The package's own in-memory adapter, made explicitly so the OP does not
  // print its "development-only adapter" warning in every test.
  const adapterModule = 'oidc-provider/lib/adapters/memory_adapter.js';
  const { createMemoryAdapter } = (await import(adapterModule)) as { createMemoryAdapter(clockTolerance: number): unknown };
  const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      ...(publicClient ? { token_endpoint_auth_method: 'none' } : { client_secret: CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_basic' }),
      redirect_uris: [`${portalUrl}/callback`],
      post_logout_redirect_uris: [`${portalUrl}/`],
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [{ ...signingKey, kid: 'test-key', use: 'sig', alg: 'ES256' }] },
    cookies: { keys: ['test-op-cookie-key'] },
    acrValues: ['pwd', 'mfa'],
    claims: {
      acr: null, sid: null, auth_time: null, iss: null,
      openid: ['sub'],
      organisation: ['org_id', 'org_name', 'role'],
      profile: ['name'],
      email: ['email', 'email_verified'],
    },
    adapter: createMemoryAdapter(0),
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: Context, form: string) => {
          ctx.body = `<!doctype html><title>Sign out</title>${form.replace('</form>', '<button name="logout" value="yes">Sign out</button></form>')}`;
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: () => ({
        sub,
        name: `${sub[0]?.toUpperCase()}${sub.slice(1)} Example`,
        email: `${sub}@example.org`,
        email_verified: true,
        org_id: 'org-42',
        org_name: 'Department of Examples',
        role: 'org_admin',
      }),
    }),
  });
  provider.use(testInteractions(provider));
  return provider;
}

/**
 * The OP's login page: any login name, and an `acr` field (mfa by default)
 * that becomes the session's acr and so the ID token's. Consent is granted
 * without asking.
 */
function testInteractions(provider: Provider) {
  return async function interactions(ctx: Context, next: Next): Promise<void> {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(ctx.path);
    if (!match) return next();
    const [, uid, action] = match;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result: object;
    if (action === 'login') {
      const form = new URLSearchParams(await new Response(ctx.req as unknown as ReadableStream).text());
      const acr = form.get('acr') || undefined;
      result = { login: { accountId: form.get('login') ?? 'nobody', ...(acr ? { acr } : {}) } };
    } else if (action === 'abort') {
      result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    } else if (details.prompt.name === 'consent') {
      result = { consent: { grantId: await grantEverything(provider, details) } };
    } else {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Test OP sign-in</title>
        <form id="login" method="post" action="/interaction/${uid}/login">
          <input name="login"><input type="hidden" name="acr" value="mfa"><button>Sign in</button>
        </form>
        <form id="abort" method="post" action="/interaction/${uid}/abort"><button>Cancel</button></form>`;
      return;
    }
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: action !== 'abort' });
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

async function grantEverything(provider: Provider, details: Interaction): Promise<string> {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session?.accountId ?? '', clientId: details.params.client_id ?? '' });
  const { missingOIDCScope, missingOIDCClaims } = details.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  return grant.save();
}

// ---------------------------------------------------------------- fixture

type Fixture = { portal: string; op: string; ua: UserAgent; advance(seconds: number): void; startOp(): Promise<void> };

/** A portal and its OP on random ports, with a clock the test moves. The OP starts at once unless `opLater`. */
async function setUp(
  t: { teardown(fn: () => void): void },
  options: { idleTtlSeconds?: number; maxTtlSeconds?: number; opLater?: boolean; baseUrl?: string; publicClient?: boolean } = {},
): Promise<Fixture> {
  const portalServer = await listenOnRandomPort();
  const opServer = await listenOnRandomPort();
  t.teardown(() => {
    portalServer.server.close();
    opServer.server.close();
    portalServer.server.closeAllConnections();
    opServer.server.closeAllConnections();
  });
  let now = Date.now();
  const portal = await createPortal({
    issuer: opServer.url,
    clientId: CLIENT_ID,
    clientSecret: options.publicClient ? undefined : CLIENT_SECRET,
    baseUrl: options.baseUrl ?? portalServer.url,
    cookieSecret: 'a-cookie-secret-of-at-least-32-characters',
    sessionIdleTtlSeconds: options.idleTtlSeconds,
    sessionMaxTtlSeconds: options.maxTtlSeconds,
    logger: silent,
    clock: () => now,
  });
  portalServer.handle(portal.callback());
  const startOp = async () => opServer.handle((await createTestProvider(opServer.url, portalServer.url, options.publicClient ?? false)).callback());
  if (!options.opLater) await startOp();
  return { portal: portalServer.url, op: opServer.url, ua: new UserAgent(), advance: (seconds) => (now += seconds * 1000), startOp };
}

/** Signs in through the portal and the OP's login form, returning the page the portal lands on. */
async function signIn(f: Fixture, acr = 'mfa', login = 'alice'): Promise<Page> {
  const loginForm = await f.ua.get(`${f.portal}/login`);
  if (!loginForm.url.startsWith(f.op)) throw new Error(`expected the OP login form, got ${loginForm.url}: ${text(loginForm)}`);
  return f.ua.submit({ login, acr }, { selector: '#login' });
}

function isSignedIn(page: Page): boolean {
  return dom(page).querySelector('nav form[action="/logout"] button')?.textContent.trim() === 'Sign out';
}

// ---------------------------------------------------------------- tests

test('signing in with a two-factor (acr=mfa) token shows the name, email and organisation', async (t) => {
  const f = await setUp(t);
  const before = await f.ua.get(`${f.portal}/`);
  t.false(isSignedIn(before));
  t.truthy(dom(before).querySelector('nav a[href="/login"]'), 'signed out, the navigation offers "Sign in"');

  const home = await signIn(f, 'mfa');
  t.is(home.url, `${f.portal}/`);
  t.is(home.status, 200);
  t.true(isSignedIn(home));
  t.is(dom(home).querySelector('.user-name')?.textContent, 'Alice Example');
  t.is(dom(home).querySelector('.user-email')?.textContent, 'alice@example.org');
  t.is(dom(home).querySelector('.user-organisation')?.textContent, 'Department of Examples');
  t.regex(dom(home).querySelector('nav')?.textContent ?? '', /Alice Example/);
});

test('the authorization request asks for acr mfa with PKCE S256, state and nonce', async (t) => {
  const f = await setUp(t);
  const page = await f.ua.get(`${f.portal}/login`, `${f.op}/auth`);
  const authorization = new URL(page.url);
  t.is(authorization.searchParams.get('acr_values'), 'mfa');
  t.is(authorization.searchParams.get('scope'), 'openid profile email organisation');
  t.is(authorization.searchParams.get('code_challenge_method'), 'S256');
  t.truthy(authorization.searchParams.get('code_challenge'));
  t.truthy(authorization.searchParams.get('state'));
  t.truthy(authorization.searchParams.get('nonce'));
  t.is(authorization.searchParams.get('redirect_uri'), `${f.portal}/callback`);
});

for (const acr of ['pwd', '']) {
  test(`a token with ${acr ? `acr=${acr}` : 'no acr'} is refused with 403 and the portal stays signed out`, async (t) => {
    const f = await setUp(t);
    const refused = await signIn(f, acr);
    t.is(refused.url.split('?')[0], `${f.portal}/callback`);
    t.is(refused.status, 403);
    t.regex(text(refused), /did not meet the required assurance/);
    t.regex(text(refused), /two-factor/);
    t.false(isSignedIn(refused));
    t.false(f.ua.cookieNames(new URL(f.portal).host).includes('portal_session'));
    const home = await f.ua.get(`${f.portal}/`);
    t.false(isSignedIn(home));
    t.notRegex(text(home), /Alice Example/);
  });
}

test('trying again after a refused sign-in makes the OP authenticate again instead of reusing its weaker session', async (t) => {
  const f = await setUp(t);
  const refused = await signIn(f, 'pwd');
  t.is(refused.status, 403);
  const tryAgain = dom(refused).querySelector('main a.button')?.getAttribute('href') ?? '';
  t.is(tryAgain, '/login?prompt=login');
  const loginForm = await f.ua.get(new URL(tryAgain, f.portal).href);
  t.true(loginForm.url.startsWith(`${f.op}/interaction/`), 'the OP shows its sign-in form again');
  const home = await f.ua.submit({ login: 'alice', acr: 'mfa' }, { selector: '#login' });
  t.true(isSignedIn(home));
});

test('a public client (no secret) signs in with PKCE alone', async (t) => {
  const f = await setUp(t, { publicClient: true });
  const home = await signIn(f);
  t.is(home.status, 200);
  t.true(isSignedIn(home));
});

test('signing out clears the session and ends the OP session through its end_session_endpoint', async (t) => {
  const f = await setUp(t);
  await signIn(f);
  const atOp = await f.ua.submit({}, { selector: 'form[action="/logout"]', stopAt: `${f.op}/session/end` });
  t.is(atOp.history[0]?.url, `${f.portal}/logout`);
  t.is(atOp.history[0]?.status, 303);
  const endSession = new URL(atOp.url);
  t.is(endSession.searchParams.get('client_id'), CLIENT_ID);
  t.is(endSession.searchParams.get('post_logout_redirect_uri'), `${f.portal}/`);
  const idTokenHint = endSession.searchParams.get('id_token_hint') ?? '';
  const payload = JSON.parse(Buffer.from(idTokenHint.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
  t.is(payload.aud, CLIENT_ID);
  t.is(payload.acr, 'mfa');
  t.false(f.ua.cookieNames(new URL(f.portal).host).includes('portal_session'));

  await f.ua.get(atOp.url);
  const back = await f.ua.submit({ logout: 'yes' });
  t.is(back.url, `${f.portal}/`);
  t.false(isSignedIn(back));
  const again = await f.ua.get(`${f.portal}/login`);
  t.true(again.url.startsWith(`${f.op}/interaction/`), 'the OP asks for sign-in again');
});

test('the portal session ends after the idle TTL', async (t) => {
  const f = await setUp(t, { idleTtlSeconds: 60, maxTtlSeconds: 3600 });
  await signIn(f);
  f.advance(50);
  t.true(isSignedIn(await f.ua.get(`${f.portal}/`)), 'activity within the idle TTL keeps the session');
  f.advance(50);
  t.true(isSignedIn(await f.ua.get(`${f.portal}/`)), 'each request restarts the idle TTL');
  const keptCookie = f.ua.cookieHeader(new URL(f.portal));
  f.advance(61);
  t.false(isSignedIn(await f.ua.get(`${f.portal}/`)));
  const replayed = await fetch(`${f.portal}/`, { headers: { cookie: keptCookie } });
  t.notRegex(await replayed.text(), /Sign out/, 'a copy of the idle cookie is refused by the portal itself');
});

test('the portal session ends after the max TTL even when active', async (t) => {
  const f = await setUp(t, { idleTtlSeconds: 60, maxTtlSeconds: 150 });
  await signIn(f);
  for (let elapsed = 50; elapsed < 150; elapsed += 50) {
    f.advance(50);
    t.true(isSignedIn(await f.ua.get(`${f.portal}/`)), `signed in after ${elapsed}s`);
  }
  f.advance(50);
  t.false(isSignedIn(await f.ua.get(`${f.portal}/`)), 'signed out 150 s after sign-in although active 50 s ago');
});

test('a callback with a bad state gets a 400 page and no session', async (t) => {
  const f = await setUp(t);
  await f.ua.get(`${f.portal}/login`);
  const atCallback = await f.ua.submit({ login: 'alice' }, { selector: '#login', stopAt: `${f.portal}/callback` });
  const forged = new URL(atCallback.url);
  forged.searchParams.set('state', 'not-the-state-we-sent');
  const page = await f.ua.get(forged.href);
  t.is(page.status, 400);
  t.regex(text(page), /could not be completed/);
  t.notRegex(page.body, /\bat .*\.ts:\d+/, 'no stack trace');
  t.false(isSignedIn(await f.ua.get(`${f.portal}/`)));
});

test('a callback without a sign-in in progress gets a 400 page', async (t) => {
  const f = await setUp(t);
  const page = await f.ua.get(`${f.portal}/callback?code=abc&state=xyz`);
  t.is(page.status, 400);
  t.regex(text(page), /could not be completed/);
});

test('cancelling at the OP (error=access_denied) gets a 400 page, not a crash', async (t) => {
  const f = await setUp(t);
  await f.ua.get(`${f.portal}/login`);
  const page = await f.ua.submit({}, { selector: '#abort' });
  t.true(page.url.startsWith(`${f.portal}/callback?error=access_denied`));
  t.is(page.status, 400);
  t.regex(text(page), /Sign-in cancelled/);
  t.false(isSignedIn(page));

  const bare = await new UserAgent().get(`${f.portal}/callback?error=access_denied`);
  t.is(bare.status, 400);
});

test('the sign-out POST without the CSRF token is refused and the session stays', async (t) => {
  const f = await setUp(t);
  await signIn(f);
  for (const body of [new URLSearchParams(), new URLSearchParams({ csrf_token: 'forged' })]) {
    const refused = await f.ua.navigate(`${f.portal}/logout`, { method: 'POST', body });
    t.is(refused.status, 403);
    t.regex(text(refused), /could not be verified/);
  }
  t.true(isSignedIn(await f.ua.get(`${f.portal}/`)));
});

test('the portal starts before the OP and discovers it once it is up', async (t) => {
  const f = await setUp(t, { opLater: true });
  const down = await f.ua.get(`${f.portal}/login`);
  t.is(down.status, 503);
  t.regex(text(down), /not available/);
  await f.startOp();
  const home = await signIn(f);
  t.true(isSignedIn(home));
});

test('the portal cookies are HttpOnly and SameSite=Lax, and Secure when the portal URL is https', async (t) => {
  const f = await setUp(t);
  await f.ua.get(`${f.portal}/login`);
  const atCallback = await f.ua.submit({ login: 'alice' }, { selector: '#login', stopAt: `${f.portal}/callback` });
  const callback = await f.ua.request(atCallback.url);
  const sessionCookie = callback.headers.getSetCookie().find((line) => line.startsWith('portal_session=')) ?? '';
  t.regex(sessionCookie, /; HttpOnly/);
  t.regex(sessionCookie, /; SameSite=Lax/);
  t.notRegex(sessionCookie, /; Secure/);

  const behindTls = await setUp(t, { baseUrl: 'https://portal.example' });
  const login = await behindTls.ua.request(`${behindTls.portal}/login`);
  const loginCookie = login.headers.getSetCookie().find((line) => line.startsWith('portal_login=')) ?? '';
  t.regex(loginCookie, /; Path=\/callback; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
  t.is(new URL(login.headers.get('location') ?? '').searchParams.get('redirect_uri'), 'https://portal.example/callback');
});
