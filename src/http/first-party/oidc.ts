// A first-party page's side of OpenID Connect, with openid-client, as any
// relying party of this provider would do it: authorization code flow with
// PKCE, acr_values=mfa, and the acr of the ID token checked on return.
// Discovery is lazy (the provider is not listening yet when the app is
// built) and a failed one is retried on the next sign-in.
import * as client from 'openid-client';
import type { Services } from '../../services.ts';
import { HttpError } from '../errors.ts';
import { callbackUrl, firstPartySecret, signedOutUrl, type FirstPartyApp } from './app.ts';
import { issuerLoopbackFetch } from './loopback-fetch.ts';

/** The only acr a first-party page accepts: password plus a second factor. */
export const requiredAcr = 'mfa';

export type LoginChecks = { state: string; nonce: string; codeVerifier: string };

export function createFirstPartyOidc(services: Pick<Services, 'config' | 'box' | 'logger'>, app: FirstPartyApp) {
  const { config, logger } = services;
  const redirectUri = callbackUrl(app, config.issuer);
  const postLogoutRedirectUri = signedOutUrl(app, config.issuer);
  const loopback = issuerLoopbackFetch(config.issuer, config.port);
  const secret = firstPartySecret(app, services.box);
  /** Every sign-in failure page offers to start again. */
  const signInAgain = { retry: `${app.basePath}/sign-in` };
  let discovery: Promise<client.Configuration> | undefined;

  function configuration(): Promise<client.Configuration> {
    discovery ??= client
      .discovery(new URL(config.issuer), app.clientId, secret, client.ClientSecretBasic(secret), {
        [client.customFetch]: loopback,
        timeout: 5,
        // http only when the operator configured an http issuer (development, tests).
        execute: config.issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        discovery = undefined;
        logger.warn({ err: error }, `${app.name} page: OpenID Connect discovery failed`);
        throw new HttpError(503, `${app.name}.provider_unavailable`, signInAgain);
      });
    return discovery;
  }

  function asPageError(error: unknown): unknown {
    if (error instanceof HttpError) return error;
    if (error instanceof client.AuthorizationResponseError && error.error === 'access_denied') return new HttpError(400, `${app.name}.sign_in_cancelled`, signInAgain);
    if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError || error instanceof client.ClientError) {
      logger.info({ err: error }, `${app.name} page: sign-in response refused`);
      return new HttpError(400, `${app.name}.sign_in_failed`, signInAgain);
    }
    logger.warn({ err: error }, `${app.name} page: provider did not answer`);
    return new HttpError(503, `${app.name}.provider_unavailable`, signInAgain);
  }

  return {
    signInAgain,

    newLoginChecks(): LoginChecks {
      return { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    },

    async authorizationUrl(checks: LoginChecks, options: { forceLogin: boolean }): Promise<URL> {
      return client.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri,
        scope: app.scope,
        // A request only: the callback checks the acr the provider delivered.
        acr_values: requiredAcr,
        // The provider's session id, to know which of the user's sessions is this browser's.
        ...(app.followsGrant ? { claims: JSON.stringify({ id_token: { sid: null } }) } : {}),
        ...(options.forceLogin ? { prompt: 'login' } : {}),
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
      });
    },

    /** Checks the response (iss, state), redeems the code (PKCE), verifies the ID token (signature, audience, nonce). */
    async exchangeCode(query: string, checks: LoginChecks): Promise<{ idToken: string; claims: client.IDToken }> {
      const provider = await configuration();
      try {
        const tokens = await client.authorizationCodeGrant(provider, new URL(`${redirectUri}${query ? `?${query}` : ''}`), {
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          pkceCodeVerifier: checks.codeVerifier,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!tokens.id_token || !claims) throw new HttpError(400, `${app.name}.sign_in_failed`, signInAgain);
        return { idToken: tokens.id_token, claims };
      } catch (error) {
        throw asPageError(error);
      }
    },

    /** The provider's RP-initiated logout for this ID token, back to <basePath>/signed-out. */
    async endSessionUrl(idToken: string): Promise<URL | undefined> {
      const provider = await configuration();
      if (!provider.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(provider, { id_token_hint: idToken, client_id: app.clientId, post_logout_redirect_uri: postLogoutRedirectUri });
    },
  };
}
