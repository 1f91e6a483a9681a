// Who may use the screen. Signing in is an ordinary authorization code flow
// against this provider (the screen is one of its clients); the screen's
// session says who signed in, and the database says, on every request,
// whether they are still an active administrator.
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { actorForUser } from '../../accounts/actors.ts';
import { readProtectedForm } from '../../http/csrf.ts';
import { HttpError } from '../../http/errors.ts';
import { requiredAcr, type AdminOidc } from './oidc.ts';
import { renderPage } from './pages.ts';
import type { AdminSessions } from './session.ts';

export type AccessDeps = { services: Services; oidc: AdminOidc; sessions: AdminSessions };

/** Only our own pages are places to return to after signing in. */
const screenPath = /^\/admin(?:[/?][^\s\\]*)?$/;

const signInQuery = z.object({
  prompt: z.literal('login').optional().catch(undefined),
  return_to: z.string().max(512).regex(screenPath).refine((path) => !path.startsWith('//')).optional().catch(undefined),
});

/** GET /admin/sign-in: off to the provider, with PKCE, state, nonce and acr_values=mfa. */
export function startSignIn({ oidc, sessions }: AccessDeps) {
  return async function startSignIn(ctx: Context) {
    const query = signInQuery.parse(ctx.query);
    const returnTo = query.return_to ?? '/admin';
    if (sessions.read(ctx) && !query.prompt) return ctx.redirect(returnTo);
    const checks = oidc.newLoginChecks();
    const url = await oidc.authorizationUrl(checks, { forceLogin: query.prompt === 'login' });
    sessions.beginLogin(ctx, checks, returnTo);
    ctx.redirect(url.href);
  };
}

/** GET /admin/callback: the provider sends the administrator back; only an acr=mfa sign-in starts a session. */
export function completeSignIn({ services, oidc, sessions }: AccessDeps) {
  return async function completeSignIn(ctx: Context) {
    // A new sign-in replaces any session, and one that fails leaves nobody signed in.
    sessions.end(ctx);
    const login = sessions.takeLogin(ctx);
    if (!login) throw new HttpError(400, 'admin.sign_in_expired', { retry: '/admin/sign-in' });
    const { idToken, claims } = await oidc.exchangeCode(ctx.querystring, login);
    if (claims.acr !== requiredAcr) {
      services.logger.warn({ sub: claims.sub, acr: claims.acr }, 'admin screen: ID token without acr=mfa refused');
      // Trying again must not silently reuse the provider's weaker session.
      throw new HttpError(403, 'admin.acr_refused', { retry: '/admin/sign-in?prompt=login' });
    }
    const name = [claims.name, claims.email].find((value): value is string => typeof value === 'string' && value !== '') ?? claims.sub;
    sessions.start(ctx, { userId: claims.sub, name, idToken });
    ctx.redirect(login.returnTo);
  };
}

/**
 * Every screen page: a live session, and its user read from the database
 * now, so a demoted, disabled or deleted administrator is refused on their
 * very next request. Without a session, GETs go to sign in and come back.
 */
export function requireAdmin({ services, sessions }: AccessDeps) {
  return async function requireAdmin(ctx: Context, next: Next) {
    const session = sessions.read(ctx);
    if (!session) {
      if (ctx.method === 'GET') return ctx.redirect(`/admin/sign-in?return_to=${encodeURIComponent(ctx.originalUrl)}`);
      ctx.status = 303;
      return ctx.redirect('/admin/sign-in');
    }
    sessions.touch(ctx, session);
    const actor = await actorForUser(services.db, session.userId);
    ctx.state.adminScreen = { session, actor };
    if (!actor) throw new HttpError(403, 'admin.not_an_admin');
    await next();
  };
}

export async function requireSuperAdmin(ctx: Context, next: Next) {
  if (ctx.state.adminScreen?.actor?.role !== 'super_admin') throw new HttpError(403, 'admin.super_admins_only');
  await next();
}

/** POST /admin/sign-out: ends the screen's session, then the provider's (RP-initiated logout). */
export function signOut({ oidc, sessions }: AccessDeps) {
  return async function signOut(ctx: Context) {
    await readProtectedForm(ctx);
    const session = sessions.read(ctx);
    ctx.status = 303;
    if (!session) return ctx.redirect('/admin/signed-out');
    sessions.end(ctx);
    const endSession = await oidc.endSessionUrl(session.idToken).catch(() => undefined);
    ctx.redirect(endSession?.href ?? '/admin/signed-out');
  };
}

export function showSignedOut() {
  return async function showSignedOut(ctx: Context) {
    renderPage(ctx, 'admin/signed-out.njk');
  };
}
