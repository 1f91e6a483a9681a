// The Govlink portal: a relying party of the Govlink provider that only
// accepts two-factor sign-ins (acr=mfa). Composed here so that the order of
// middleware and the routes can be read at a glance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import { pino, type Logger } from 'pino';
import { completeSignIn } from './callback.ts';
import { PageNotFound, PortalError } from './errors.ts';
import { t } from './i18n.ts';
import { createLoginTransactions } from './login-transaction.ts';
import { createOidcClient } from './oidc.ts';
import { showHome, signOut, startSignIn } from './routes.ts';
import { securityHeaders } from './security-headers.ts';
import { createSessions, type PortalContext, type PortalState } from './session.ts';
import { createViews, type Views } from './views.ts';

export type PortalOptions = {
  /** provider issuer URL, e.g. http://localhost:3000 */
  issuer: string;
  clientId: string;
  /** confidential client (client_secret_basic) when given, public client with PKCE otherwise */
  clientSecret?: string | undefined;
  /** the portal's public URL; redirect_uri is baseUrl + /callback, post-logout redirect baseUrl + / */
  baseUrl: string;
  /** at least 32 characters; keys the portal's sealed cookies */
  cookieSecret: string;
  sessionIdleTtlSeconds?: number | undefined;
  sessionMaxTtlSeconds?: number | undefined;
  logger?: Logger | undefined;
  /** milliseconds since the epoch; injectable so tests can move time */
  clock?: (() => number) | undefined;
};

export type Portal = Koa<PortalState>;

const DEFAULT_IDLE_TTL_SECONDS = 30 * 60;
const DEFAULT_MAX_TTL_SECONDS = 10 * 60 * 60;
const stylesheet = readFileSync(join(import.meta.dirname, 'static', 'portal.css'));

/** The portal as a Koa app: `portal.callback()` is the request listener, `portal.listen(port)` serves it. */
export async function createPortal(options: PortalOptions): Promise<Portal> {
  const settings = checkOptions(options);
  const logger = options.logger ?? pino({ name: 'govlink-portal' });
  const clock = options.clock ?? Date.now;
  const https = settings.baseUrl.startsWith('https:');

  const oidc = createOidcClient({
    issuer: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    redirectUri: settings.redirectUri,
    postLogoutRedirectUri: `${settings.baseUrl}/`,
    logger,
  });
  const sessions = createSessions({
    cookieSecret: options.cookieSecret,
    secure: https,
    idleTtlSeconds: options.sessionIdleTtlSeconds ?? DEFAULT_IDLE_TTL_SECONDS,
    maxTtlSeconds: options.sessionMaxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS,
    clock,
  });
  const loginTransactions = createLoginTransactions({ cookieSecret: options.cookieSecret, secure: https, clock });
  const views = createViews({ accountUrl: `${options.issuer.replace(/\/+$/, '')}/account` });
  const routeDependencies = { oidc, loginTransactions, views, logger };

  const pages = new Router<PortalState>();
  pages.get('/', showHome(routeDependencies));
  pages.get('/login', startSignIn(routeDependencies));
  pages.get('/callback', completeSignIn({ oidc, sessions, loginTransactions, redirectUri: settings.redirectUri, logger }));
  pages.post('/logout', signOut(routeDependencies));

  const app: Portal = new Koa<PortalState>();
  app.use(securityHeaders({ issuer: options.issuer, https }));
  app.use(serveUnauthenticated);
  app.use(sessions.middleware());
  app.use(renderErrors(views, logger));
  app.use(pages.routes());
  app.use(pages.allowedMethods());
  return app;
}

function checkOptions(options: PortalOptions): { baseUrl: string; redirectUri: string } {
  if (options.cookieSecret.length < 32) throw new Error('cookieSecret must be at least 32 characters');
  for (const [name, value] of [['issuer', options.issuer], ['baseUrl', options.baseUrl]] as const) {
    if (!URL.canParse(value)) throw new Error(`${name} must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  return { baseUrl, redirectUri: `${baseUrl}/callback` };
}

/** Health check and stylesheet: answered before the session is read, so they never refresh or end one. */
async function serveUnauthenticated(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
  if (ctx.path === '/healthz') {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
    return;
  }
  if (ctx.path === '/static/portal.css') {
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = 'text/css';
    ctx.body = stylesheet;
    return;
  }
  return next();
}

/** The one place errors become pages: a PortalError says what to show, anything else is a logged 500. */
function renderErrors(views: Views, logger: Logger) {
  return async function renderErrorPage(ctx: PortalContext, next: Next): Promise<void> {
    // Pages show who is signed in, so no shared cache may keep them.
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new PageNotFound();
    } catch (error) {
      if (error instanceof PortalError) {
        logger.info({ path: ctx.path, status: error.status, refusal: error.name, detail: error.message }, 'request refused');
        views.render(ctx, 'message.njk', {
          title: t(error.titleKey),
          body: t(error.bodyKey, error.params),
          signInHref: error.signInHref,
        }, error.status);
        return;
      }
      logger.error({ err: error, path: ctx.path }, 'request failed');
      views.render(ctx, 'message.njk', { title: t('error.internal.title'), body: t('error.internal.body') }, 500);
    }
  };
}
