// GET /callback: the user comes back from the provider. The sign-in is a
// sequence of named steps; any of them can refuse, and only the last one
// creates a session.
import type { IDToken, UserInfoResponse } from 'openid-client';
import type { Logger } from 'pino';
import { InsufficientAssurance, LoginTransactionMissing } from './errors.ts';
import type { LoginTransactions } from './login-transaction.ts';
import type { LoginChecks, OidcClient } from './oidc.ts';
import type { PortalContext, PortalState, PortalUser, Sessions } from './session.ts';

/** The only acr the portal accepts: password plus a second factor. */
export const REQUIRED_ACR = 'mfa';

export type CallbackDependencies = {
  oidc: OidcClient;
  sessions: Sessions;
  loginTransactions: LoginTransactions;
  redirectUri: string;
  logger: Logger;
};

export function completeSignIn(deps: CallbackDependencies) {
  return async function handleCallback(ctx: PortalContext): Promise<void> {
    const state = ctx.state;
    endPreviousSession(state);
    const checks = takeLoginTransaction(ctx, deps.loginTransactions);
    const exchange = await deps.oidc.exchangeCode(callbackUrl(ctx, deps.redirectUri), checks);
    requireTwoFactorAssurance(exchange.claims);
    const userinfo = await deps.oidc.fetchUserInfo(exchange.accessToken, exchange.claims.sub);
    state.session = deps.sessions.start(toPortalUser(exchange.claims, userinfo), exchange.idToken);
    deps.logger.info({ sub: exchange.claims.sub }, 'signed in to the portal');
    ctx.redirect('/');
  };
}

/** A new sign-in replaces whatever session there was, and a refused one must leave the user signed out. */
function endPreviousSession(state: PortalState): void {
  state.session = null;
}

function takeLoginTransaction(ctx: PortalContext, loginTransactions: LoginTransactions): LoginChecks {
  const checks = loginTransactions.take(ctx);
  if (!checks) throw new LoginTransactionMissing();
  return checks;
}

/**
 * The URL the provider redirected to, rebuilt on our configured redirect URI
 * rather than the Host header: openid-client sends it as redirect_uri to the
 * token endpoint, where it must match exactly.
 */
function callbackUrl(ctx: PortalContext, redirectUri: string): URL {
  const url = new URL(redirectUri);
  url.search = ctx.querystring;
  return url;
}

/**
 * acr_values=mfa is only a request; a provider may still issue a token for a
 * weaker sign-in. The portal trusts the signed acr claim and nothing else.
 */
function requireTwoFactorAssurance(claims: IDToken): void {
  if (claims.acr !== REQUIRED_ACR) throw new InsufficientAssurance(claims.acr);
}

function toPortalUser(claims: IDToken, userinfo: UserInfoResponse): PortalUser {
  const all: Record<string, unknown> = { ...claims, ...userinfo };
  const text = (name: string) => (typeof all[name] === 'string' ? (all[name] as string) : undefined);
  return {
    sub: claims.sub,
    name: text('name'),
    email: text('email'),
    orgId: text('org_id'),
    orgName: text('org_name'),
    role: text('role'),
  };
}
