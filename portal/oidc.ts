// The portal's side of OpenID Connect, over HTTP only, with openid-client.
// Discovery is lazy and retried: the portal may start before the provider
// listens, so it must not need the provider until a user needs it.
import * as client from 'openid-client';
import type { Logger } from 'pino';
import { ProviderUnavailable, SignInCancelled, SignInFailed } from './errors.ts';

export type OidcClientOptions = {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  redirectUri: string;
  postLogoutRedirectUri: string;
  logger: Logger;
};

/** What the portal keeps between sending the user to the provider and their return. */
export type LoginChecks = { state: string; nonce: string; codeVerifier: string };

export type CodeExchange = { idToken: string; claims: client.IDToken; accessToken: string };

const DISCOVERY_TIMEOUT_SECONDS = 5;
const SCOPE = 'openid profile email organisation';

export type OidcClient = ReturnType<typeof createOidcClient>;

export function createOidcClient(options: OidcClientOptions) {
  let discovery: Promise<client.Configuration> | undefined;

  /** The provider's configuration, discovered on first use; a failed discovery is forgotten so the next request retries. */
  function configuration(): Promise<client.Configuration> {
    discovery ??= discover(options).catch((error: unknown) => {
      discovery = undefined;
      options.logger.warn({ err: error, issuer: options.issuer }, 'OpenID Connect discovery failed');
      throw new ProviderUnavailable(error);
    });
    return discovery;
  }

  return {
    newLoginChecks(): LoginChecks {
      return { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    },

    async authorizationUrl(checks: LoginChecks, request: { forceLogin: boolean }): Promise<URL> {
      return client.buildAuthorizationUrl(await configuration(), {
        ...(request.forceLogin ? { prompt: 'login' } : {}),
        redirect_uri: options.redirectUri,
        scope: SCOPE,
        // Ask for two-factor sign-in; the callback still checks the acr the
        // provider actually delivered, since acr_values is only a request.
        acr_values: 'mfa',
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
      });
    },

    /** Verifies the authorization response (iss, state) and redeems the code (PKCE), then verifies the ID token (signature, audience, nonce). */
    async exchangeCode(callbackUrl: URL, checks: LoginChecks): Promise<CodeExchange> {
      const config = await configuration();
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          pkceCodeVerifier: checks.codeVerifier,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!tokens.id_token || !claims) throw new SignInFailed(new Error('no ID token in the token response'));
        return { idToken: tokens.id_token, claims, accessToken: tokens.access_token };
      } catch (error) {
        throw asPortalError(error);
      }
    },

    /** The userinfo claims; the provider may keep profile claims out of the ID token. */
    async fetchUserInfo(accessToken: string, subject: string): Promise<client.UserInfoResponse> {
      const config = await configuration();
      if (!config.serverMetadata().userinfo_endpoint) return { sub: subject };
      try {
        return await client.fetchUserInfo(config, accessToken, subject);
      } catch (error) {
        throw asPortalError(error);
      }
    },

    /** Where to send the user to end their provider session too, or undefined when the provider offers no RP-initiated logout. */
    async endSessionUrl(idToken: string): Promise<URL | undefined> {
      const config = await configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        client_id: options.clientId,
        post_logout_redirect_uri: options.postLogoutRedirectUri,
      });
    },
  };
}

async function discover(options: OidcClientOptions): Promise<client.Configuration> {
  const issuer = new URL(options.issuer);
  // A confidential client authenticates with client_secret_basic; a public
  // one has only PKCE to bind the code to this browser.
  const authentication = options.clientSecret ? client.ClientSecretBasic(options.clientSecret) : client.None();
  return client.discovery(issuer, options.clientId, options.clientSecret, authentication, {
    timeout: DISCOVERY_TIMEOUT_SECONDS,
    // http is accepted only when the operator configured an http issuer
    // (local development and tests).
    execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
  });
}

/** Maps what openid-client throws to the page the user should see. */
function asPortalError(error: unknown): unknown {
  if (error instanceof SignInFailed) return error;
  if (error instanceof client.AuthorizationResponseError) {
    return error.error === 'access_denied' ? new SignInCancelled() : new SignInFailed(error, error.error);
  }
  if (error instanceof client.ResponseBodyError) return new SignInFailed(error, error.error);
  if (error instanceof client.ClientError || error instanceof client.WWWAuthenticateChallengeError) return new SignInFailed(error);
  // What is left is the network: the provider did not answer.
  return new ProviderUnavailable(error);
}
