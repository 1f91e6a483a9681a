// The whole provider in one Koa application (oidc-provider is itself a Koa
// app). Read top to bottom: services, then middleware in order, then routes.
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { SecretBox, loadSecretKey } from './crypto.ts';
import { openDatabase, type Database } from './db/index.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadProviderKeys } from './oidc/keys.ts';
import { createProvider } from './oidc/provider.ts';
import { pruneExpiredPayloads } from './oidc/adapter.ts';
import { AttemptLimiter } from './accounts/attempt-limits.ts';
import { createAudit } from './accounts/audit.ts';
import { SignIn } from './accounts/sign-in.ts';
import { Passkeys } from './accounts/passkeys.ts';
import { RecoveryCodes } from './accounts/recovery-codes.ts';
import { SelfService } from './accounts/self-service.ts';
import { createViews } from './http/views.ts';
import { Mailer } from './mail/mailer.ts';
import { ActionLinks } from './accounts/action-links.ts';
import { LinkFlows } from './accounts/link-flows.ts';
import { Lifecycle } from './accounts/lifecycle.ts';
import { MailSender } from './mail/sender.ts';
import { createTransport } from './mail/transports.ts';
import { errorBoundary } from './http/errors.ts';
import { requestContext, securityHeaders } from './http/request-context.ts';
import { pinToIssuer } from './http/pin-to-issuer.ts';
import { healthRoutes } from './http/health.ts';
import { adminApiRoutes } from './admin/api/index.ts';
import { staticFiles } from './http/static.ts';
import { interactionRoutes } from '../interactions/index.ts';
import { linkRoutes } from '../interactions/links/index.ts';
import { adminScreenRoutes } from './admin/screen/index.ts';
import { accountRoutes } from './account/index.ts';
import { deleteExpiredPendingLogins } from './queries/pending-logins.ts';
import { deleteExpiredChallenges } from './queries/webauthn-challenges.ts';
import type { Services } from './services.ts';

// The WebAuthn browser library, served from here: no CDN.
const webauthnBrowserBundle = fileURLToPath(new URL('../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', import.meta.url));

export type App = {
  services: Services;
  database: Database;
  callback: ReturnType<Services['provider']['callback']>;
  /** Stops background work and closes the database. */
  close(): Promise<void>;
};

export type AppOptions = {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  database?: Database;
  /** false leaves the mail sender idle, for tests that deliver with `mailSender.drain()` */
  startMailSender?: boolean;
};

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config);
  const box = new SecretBox(loadSecretKey(config));
  const database = options.database ?? (await openDatabase(config));
  const db = database.knex;

  const views = createViews({ issuer: config.issuer, portalUrl: config.portal.url, noCache: config.env === 'development' });
  const keys = await loadProviderKeys(db, box);
  const provider = createProvider({ config, db, box, keys, render: views.render });
  const limiter = new AttemptLimiter(db, clock);
  const audit = createAudit(clock);
  const mailer = new Mailer({ issuer: config.issuer, from: config.mail.from, clock });
  const mailSender = new MailSender({ db, clock, logger, transport: createTransport(config.mail, clock) });
  const passkeys = new Passkeys({ db, clock, issuer: config.issuer });
  const recoveryCodes = new RecoveryCodes({ box, clock });
  const signIn = new SignIn({ db, box, clock, limiter, audit, passkeys, recoveryCodes, mailer, pendingTtlSeconds: config.interactionTtl });
  const links = new ActionLinks({ clock, issuer: config.issuer, ttlSeconds: config.actionLinkTtl });
  const linkFlows = new LinkFlows({ db, box, clock, links, limiter, mailer, audit, recoveryCodes });
  const lifecycle = new Lifecycle({ db, clock, links, mailer, audit });
  const selfService = new SelfService({ db, box, clock, limiter, audit, mailer, passkeys, recoveryCodes });
  const services: Services = { config, db, box, clock, logger, provider, limiter, audit, signIn, views, mailer, mailSender, links, linkFlows, lifecycle, passkeys, recoveryCodes, selfService };

  provider.use(pinToIssuer(config.issuer, config.trustProxy));
  provider.use(requestContext(logger, views.render));
  provider.use(securityHeaders());
  provider.use(errorBoundary());
  provider.use(staticFiles({ '/static/simplewebauthn-browser.js': webauthnBrowserBundle }));
  provider.use(healthRoutes(db).routes());
  provider.use(adminApiRoutes(services).routes());
  provider.use(interactionRoutes(services).routes());
  provider.use(linkRoutes(services).routes());
  provider.use(adminScreenRoutes(services).routes());
  provider.use(accountRoutes(services).routes());

  provider.on('server_error', (ctx, error) => logger.error({ err: error, requestId: ctx.state?.requestId }, 'provider error'));

  const pruning = setInterval(() => {
    Promise.all([pruneExpiredPayloads(db), deleteExpiredPendingLogins(db, clock.now()), deleteExpiredChallenges(db, clock.now())]).catch((error) => logger.warn({ err: error }, 'pruning failed'));
  }, 60_000);
  pruning.unref();
  if (options.startMailSender !== false) mailSender.start();

  return {
    services,
    database,
    callback: provider.callback(),
    async close() {
      await mailSender.stop();
      clearInterval(pruning);
      await database.close();
    },
  };
}

export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
