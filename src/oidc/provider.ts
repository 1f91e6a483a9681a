// oidc-provider, configured for two-factor sign-in only: every session comes
// from our login interaction with acr "mfa".
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import type { ProviderKeys } from './keys.ts';
import { adapterFactory } from './adapter.ts';
import { findAccount } from './account.ts';
import { loadExistingGrant } from './grants.ts';
import type { Render } from '../http/views.ts';
import { adminApiResource, resourceServerInfo } from './resources.ts';

export const scopes = ['openid', 'offline_access', 'email', 'profile', 'organisation'];

const clientProperties = ['first_party', 'admin_role', 'org_id'] as const;

function validateClientProperty(_ctx: KoaContextWithOIDC | undefined, key: string, value: unknown, metadata: ClientMetadata) {
  if (key === 'first_party' && value !== undefined && typeof value !== 'boolean') throw new Error('first_party must be a boolean');
  if (key === 'admin_role' && value !== undefined && value !== 'org_admin' && value !== 'super_admin') throw new Error('admin_role must be org_admin or super_admin');
  if (key === 'org_id' && value !== undefined && typeof value !== 'string') throw new Error('org_id must be a string');
  if (key === 'org_id' && metadata.admin_role === 'org_admin' && !value) throw new Error('an org_admin service client needs org_id');
}

export function createProvider(options: { config: Config; db: Db; box: SecretBox; keys: ProviderKeys; render: Render }): Provider {
  const { config, db, box, keys, render } = options;

  const configuration: Configuration = {
    adapter: adapterFactory(db, box),
    findAccount: (ctx, sub) => findAccount(db, sub),
    jwks: keys.jwks,
    cookies: { keys: keys.cookieKeys, long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' } },
    acrValues: ['mfa'],
    responseTypes: ['code'],
    scopes,
    claims: {
      // Every ID token says how the user signed in: acr "mfa" and the amr methods.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      organisation: ['org_id', 'org_name', 'role'],
    },
    // Scope claims go into the ID token too, as Keycloak and Zitadel do.
    conformIdTokenClaims: false,
    extraClientMetadata: { properties: [...clientProperties], validator: validateClientProperty },
    // PKCE for every client, confidential ones included (OAuth 2.0 Security BCP).
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // A client revokes only its own tokens. A confidential client may
      // introspect any token (it may be a resource server); a public one
      // only its own.
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => render(ctx, 'logout.njk', { form }),
        postLogoutSuccessSource: async (ctx) => render(ctx, 'logged-out.njk', { clientName: ctx.oidc.client?.clientName }),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => (oneOf ? oneOf[0] : client?.admin_role ? adminApiResource(config.issuer) : undefined) as string,
        getResourceServerInfo: (ctx, resource, client) => resourceServerInfo(config.issuer, resource, client),
        useGrantedResource: () => true,
      },
    },
    clientBasedCORS: (ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    loadExistingGrant,
    // Access tokens remember how their user signed in, so resource servers
    // (the management API) can insist on acr "mfa".
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      const source = ctx?.oidc.entities.AuthorizationCode ?? ctx?.oidc.entities.RefreshToken;
      const acr = (source as { acr?: string } | undefined)?.acr;
      return acr ? { acr } : undefined;
    },
    // Every refresh gives a new refresh token; reusing an old one revokes the grant.
    rotateRefreshToken: true,
    ttl: {
      // Ends after SESSION_IDLE_TTL without a visit, and SESSION_MAX_TTL after sign-in.
      Session: (ctx, session) => {
        const now = Math.floor(Date.now() / 1000);
        const absoluteLeft = session.loginTs ? session.loginTs + config.sessionMaxTtl - now : config.sessionMaxTtl;
        return Math.max(1, Math.min(config.sessionIdleTtl, absoluteLeft));
      },
      Interaction: config.interactionTtl,
      Grant: 30 * 24 * 3600,
      AccessToken: 10 * 60,
      ClientCredentials: 10 * 60,
      IdToken: 10 * 60,
      AuthorizationCode: 60,
      RefreshToken: (ctx, token, client) =>
        // Refresh tokens without offline_access die with the session anyway.
        token.scopes.has('offline_access') ? 30 * 24 * 3600 : config.sessionMaxTtl,
    },
    renderError: async (ctx, out, error) => {
      ctx.state.log?.info({ error: out.error, description: out.error_description }, 'authorization error page');
      const expired = (error as { name?: string }).name === 'SessionNotFound';
      render(ctx, expired ? 'interactions/expired.njk' : 'oidc-error.njk', { error: out.error, description: out.error_description });
    },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
  };

  const provider = new Provider(config.issuer, configuration);
  // Protocol and host are pinned to ISSUER (src/http/pin-to-issuer.ts), which
  // removes X-Forwarded-For unless the proxy is trusted. The rightmost entry
  // is the one our own proxy added.
  provider.proxy = true;
  provider.maxIpsCount = 1;
  return provider;
}
