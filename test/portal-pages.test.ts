// The Govlink portal's pages and headers that need no provider: the portal
// here points at an issuer nobody listens on.
import test from 'ava';
import { pino } from 'pino';
import { createPortal } from '../portal/app.ts';
import { createSealer } from '../portal/sealed-cookie.ts';
import { startPortal as listen } from '../portal/server.ts';
import { dom, UserAgent } from './helpers/user-agent.ts';

const COOKIE_SECRET = 'a-cookie-secret-of-at-least-32-characters';

async function startPortal(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const portal = await listen({
    issuer: 'http://127.0.0.1:9',
    clientId: 'govlink-portal',
    baseUrl: 'http://127.0.0.1',
    cookieSecret: COOKIE_SECRET,
    logger: pino({ level: 'silent' }),
    port: 0,
    host: '127.0.0.1',
  });
  t.teardown(() => portal.stop());
  return portal.url;
}

test('the signed-out home page is an accessible page with a Sign in link in the top navigation', async (t) => {
  const url = await startPortal(t);
  const page = await new UserAgent().get(`${url}/`);
  t.is(page.status, 200);
  const html = dom(page);
  t.is(html.querySelector('html')?.getAttribute('lang'), 'en');
  t.is(html.querySelector('a.skip-link')?.getAttribute('href'), '#main');
  t.truthy(html.querySelector('main#main'));
  t.truthy(html.querySelector('header nav[aria-label]'));
  t.is(html.querySelectorAll('h1').length, 1);
  t.is(html.querySelector('h1')?.textContent, 'Govlink portal');
  t.is(html.querySelector('nav a[href="/login"]')?.textContent.trim(), 'Sign in');
  t.is(html.querySelectorAll('script').length, 0);
  t.is(html.querySelectorAll('[style]').length, 0, 'no inline styles, which the CSP would block');
});

test('pages carry the security headers', async (t) => {
  const url = await startPortal(t);
  const response = await fetch(`${url}/`);
  const csp = response.headers.get('content-security-policy') ?? '';
  t.regex(csp, /default-src 'none'/);
  t.regex(csp, /frame-ancestors 'none'/);
  t.notRegex(csp, /script-src|unsafe-inline/);
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
  t.is(response.headers.get('referrer-policy'), 'no-referrer');
  t.is(response.headers.get('cache-control'), 'no-store');
});

test('the stylesheet and the health check are served', async (t) => {
  const url = await startPortal(t);
  const css = await fetch(`${url}/static/portal.css`);
  t.is(css.status, 200);
  t.regex(css.headers.get('content-type') ?? '', /text\/css/);
  const health = await fetch(`${url}/healthz`);
  t.is(health.status, 200);
  t.deepEqual(await health.json(), { status: 'ok' });
});

test('an unknown page gets a 404 page', async (t) => {
  const url = await startPortal(t);
  const page = await new UserAgent().get(`${url}/no-such-page`);
  t.is(page.status, 404);
  t.is(dom(page).querySelector('h1')?.textContent, 'Page not found');
});

test('a tampered or foreign session cookie is treated as signed out and cleared', async (t) => {
  const url = await startPortal(t);
  const now = Date.now();
  const session = { user: { sub: 'mallory', name: 'Mallory' }, idToken: 'x', signedInAt: now, lastActiveAt: now, csrfToken: 'c' };
  const sealedAsLogin = createSealer(COOKIE_SECRET, 'login').seal(session);
  const sealedWithOtherKey = createSealer('another-secret-of-at-least-32-characters', 'session').seal(session);
  for (const value of ['garbage', sealedAsLogin, sealedWithOtherKey]) {
    const response = await fetch(`${url}/`, { headers: { cookie: `portal_session=${value}` } });
    t.notRegex(await response.text(), /Mallory|Sign out/);
    t.regex(response.headers.get('set-cookie') ?? '', /^portal_session=; Path=\/; Max-Age=0/);
  }
});

test('a sealed value opens only with its own secret and purpose, and not once altered', (t) => {
  const sealer = createSealer(COOKIE_SECRET, 'session');
  const sealed = sealer.seal({ hello: 'world' });
  t.deepEqual(sealer.open(sealed), { hello: 'world' });
  t.false(sealed.includes('world'), 'the content is encrypted');
  const bytes = Buffer.from(sealed, 'base64url');
  bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 1;
  t.is(sealer.open(bytes.toString('base64url')), undefined);
  t.is(createSealer(COOKIE_SECRET, 'login').open(sealed), undefined);
});

test('createPortal refuses a cookie secret shorter than 32 characters', async (t) => {
  await t.throwsAsync(
    createPortal({ issuer: 'http://127.0.0.1:9', clientId: 'c', baseUrl: 'http://127.0.0.1', cookieSecret: 'short' }),
    { message: /at least 32 characters/ },
  );
});
