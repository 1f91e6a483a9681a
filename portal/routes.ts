// The portal's pages. Each handler is small; errors are thrown as PortalError
// classes and rendered by the error boundary in app.ts.
import type { Logger } from 'pino';
import { z } from 'zod';
import { RequestNotVerified } from './errors.ts';
import { readForm } from './form-body.ts';
import { isMessageKey, t } from './i18n.ts';
import type { LoginTransactions } from './login-transaction.ts';
import type { OidcClient } from './oidc.ts';
import { isValidCsrfToken, type PortalContext } from './session.ts';
import type { Views } from './views.ts';

export type RouteDependencies = {
  oidc: OidcClient;
  loginTransactions: LoginTransactions;
  views: Views;
  logger: Logger;
};

export function showHome(deps: RouteDependencies) {
  return function home(ctx: PortalContext): void {
    const { session } = ctx.state;
    const role = session?.user.role;
    deps.views.render(ctx, 'home.njk', { title: t('home.pageTitle'), roleLabel: role && roleLabel(role) });
  };
}

/** A role the catalogue knows is shown by its label, any other as it came. */
function roleLabel(role: string): string {
  const key = `role.${role}`;
  return isMessageKey(key) ? t(key) : role;
}

/** `?prompt=login` asks the provider to authenticate again even if it has a session; anything else is ignored. */
const loginQuery = z.object({ prompt: z.literal('login').optional().catch(undefined) });

export function startSignIn(deps: RouteDependencies) {
  return async function login(ctx: PortalContext): Promise<void> {
    if (ctx.state.session) {
      ctx.redirect('/');
      return;
    }
    const { prompt } = loginQuery.parse(ctx.query);
    const checks = deps.oidc.newLoginChecks();
    const authorizationUrl = await deps.oidc.authorizationUrl(checks, { forceLogin: prompt === 'login' });
    deps.loginTransactions.begin(ctx, checks);
    ctx.redirect(authorizationUrl.href);
  };
}

export function signOut(deps: RouteDependencies) {
  return async function logout(ctx: PortalContext): Promise<void> {
    const state = ctx.state;
    const session = state.session;
    // See Other: the browser follows with a GET whatever it posted.
    ctx.status = 303;
    if (!session) {
      ctx.redirect('/');
      return;
    }
    const form = await readForm(ctx);
    // SameSite=Lax already keeps the cookie off cross-site POSTs; the token
    // also covers same-site attackers and older browsers.
    if (!isValidCsrfToken(session, form.get('csrf_token'))) throw new RequestNotVerified();
    state.session = null;
    deps.logger.info({ sub: session.user.sub }, 'signed out of the portal');
    // RP-initiated logout: end the provider's session too, or the next
    // "Sign in" would silently sign the same user in again.
    const endSessionUrl = await deps.oidc.endSessionUrl(session.idToken);
    ctx.redirect(endSessionUrl?.href ?? '/');
  };
}
