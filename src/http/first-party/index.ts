// One first-party page's sign-in, callback and sign-out. Signing in is an
// ordinary authorization code flow against this provider (the page is one of
// its clients); the page's session says who signed in, and the page itself
// decides, on every request and from the database, what they may do.
//   GET  <base>/sign-in      off to the provider (PKCE, state, nonce, acr_values=mfa)
//   GET  <base>/callback     back from it; only an acr=mfa ID token starts a session
//   POST <base>/sign-out     ends the session here and at the provider
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { readProtectedForm } from '../csrf.ts';
import { HttpError } from '../errors.ts';
import { findSignInSessionBySid, grantIsLive } from '../../queries/sign-in-sessions.ts';
import type { FirstPartyApp } from './app.ts';
import { createFirstPartyOidc, requiredAcr } from './oidc.ts';
import { createFirstPartySessions, type FirstPartySession } from './session.ts';

export type { FirstPartyApp } from './app.ts';
export type { FirstPartySession } from './session.ts';
export type FirstParty = ReturnType<typeof createFirstParty>;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createFirstParty(services: Services, app: FirstPartyApp) {
  const oidc = createFirstPartyOidc(services, app);
  const sessions = createFirstPartySessions(services, app);
  const base = app.basePath;
  /** Only the page's own paths are places to return to after signing in. */
  const pagePath = new RegExp(`^${escapeRegExp(base)}(?:[/?][^\\s\\\\]*)?$`);
  const signInQuery = z.object({
    prompt: z.literal('login').optional().catch(undefined),
    return_to: z.string().max(512).regex(pagePath).refine((path) => !path.startsWith('//')).optional().catch(undefined),
  });

  /** The grant the sign-in just made, found through the provider session that the ID token's sid names. */
  async function grantOfSignIn(userId: string, sid: unknown): Promise<{ sid: string; grantId: string }> {
    const session = typeof sid === 'string' ? await findSignInSessionBySid(services.db, userId, app.clientId, sid, services.clock.now()) : undefined;
    const grantId = session?.authorizations[app.clientId]?.grantId;
    if (!grantId) throw new HttpError(400, `${app.name}.sign_in_failed`, oidc.signInAgain);
    return { sid: sid as string, grantId };
  }

  return {
    app,
    sessions,

    /** GET <base>/sign-in */
    async startSignIn(ctx: Context) {
      const query = signInQuery.parse(ctx.query);
      const returnTo = query.return_to ?? base;
      if (sessions.read(ctx) && !query.prompt) return ctx.redirect(returnTo);
      const checks = oidc.newLoginChecks();
      const url = await oidc.authorizationUrl(checks, { forceLogin: query.prompt === 'login' });
      sessions.beginLogin(ctx, checks, returnTo);
      ctx.redirect(url.href);
    },

    /** GET <base>/callback: only an acr=mfa sign-in starts a session. */
    async completeSignIn(ctx: Context) {
      // A new sign-in replaces any session, and one that fails leaves nobody signed in.
      sessions.end(ctx);
      const login = sessions.takeLogin(ctx);
      if (!login) throw new HttpError(400, `${app.name}.sign_in_expired`, oidc.signInAgain);
      const { idToken, claims } = await oidc.exchangeCode(ctx.querystring, login);
      if (claims.acr !== requiredAcr) {
        services.logger.warn({ sub: claims.sub, acr: claims.acr }, `${app.name} page: ID token without acr=mfa refused`);
        // Trying again must not silently reuse the provider's weaker session.
        throw new HttpError(403, `${app.name}.acr_refused`, { retry: `${base}/sign-in?prompt=login` });
      }
      const name = [claims.name, claims.email].find((value): value is string => typeof value === 'string' && value !== '') ?? claims.sub;
      const grant = app.followsGrant ? await grantOfSignIn(claims.sub, claims.sid) : {};
      sessions.start(ctx, { userId: claims.sub, name, idToken, ...grant });
      ctx.redirect(login.returnTo);
    },

    /** POST <base>/sign-out: ends the page's session, then the provider's (RP-initiated logout). */
    async signOut(ctx: Context) {
      await readProtectedForm(ctx);
      const session = sessions.read(ctx);
      ctx.status = 303;
      if (!session) return ctx.redirect(`${base}/signed-out`);
      sessions.end(ctx);
      const endSession = await oidc.endSessionUrl(session.idToken).catch(() => undefined);
      ctx.redirect(endSession?.href ?? `${base}/signed-out`);
    },

    /** Without a session: a GET goes to sign in and comes back to where it was; anything else to the sign-in. */
    sendToSignIn(ctx: Context) {
      if (ctx.method === 'GET') return ctx.redirect(`${base}/sign-in?return_to=${encodeURIComponent(ctx.originalUrl)}`);
      ctx.status = 303;
      return ctx.redirect(`${base}/sign-in`);
    },

    /** followsGrant pages: whether the grant of this session's sign-in still exists. */
    async stillGranted(session: FirstPartySession): Promise<boolean> {
      return Boolean(session.grantId) && (await grantIsLive(services.db, session.userId, session.grantId!, services.clock.now()));
    },
  };
}
