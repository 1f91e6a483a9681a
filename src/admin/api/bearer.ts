// The management API is an OAuth 2.0 protected resource (RFC 6750): callers
// send an access token this provider issued for $ISSUER/admin/api with the
// `admin` scope. The token only says who is calling; what they may do is read
// from the database on every request, so a demoted, disabled or deleted
// administrator loses access at once, whatever token they still hold.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Services } from '../../services.ts';
import { actorForClient, actorForUser } from '../../accounts/actors.ts';
import type { Actor } from '../../accounts/permissions.ts';
import { adminApiResource, adminApiScope } from '../../oidc/resources.ts';
import { HttpError } from '../../http/errors.ts';

type IssuedToken = ({ kind: 'user'; accountId: string; acr: unknown } | { kind: 'service' }) & { clientId: string; scopes: Set<string> };

/** Opaque tokens from this provider are base64url; anything else is not worth a query. */
const tokenPattern = /^[\w-]{16,256}$/;

/** Sets the RFC 6750 challenge and returns the error to throw. */
function refuse(ctx: Context, realm: string, status: 401 | 403, key: string, challenge: Record<string, string>): HttpError {
  const params = Object.entries({ realm, ...challenge }).map(([name, value]) => `${name}="${value}"`);
  ctx.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
  return new HttpError(status, key, { code: challenge.error ?? 'unauthorized' });
}

/** The value of `Authorization: Bearer <token>` ('' when malformed); undefined when the request carries no bearer credentials at all. */
function bearerTokenOf(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (!/^Bearer(\s|$)/i.test(header)) return undefined;
  return /^Bearer +([\w~+/.-]+=*) *$/i.exec(header)?.[1] ?? '';
}

/** The live token with this value, issued for the management API. */
async function findAdminApiToken(provider: Provider, resource: string, value: string): Promise<IssuedToken | undefined> {
  if (!tokenPattern.test(value)) return undefined;
  const token = (await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value));
  if (!token || token.isExpired) return undefined;
  // Exactly this audience: a token for userinfo or another resource is not ours.
  if (token.aud !== resource) return undefined;
  if (token.kind === 'ClientCredentials') return { kind: 'service', clientId: token.clientId!, scopes: token.scopes };
  const accessToken = token as InstanceType<Provider['AccessToken']>;
  if (!accessToken.accountId) return undefined;
  return { kind: 'user', accountId: accessToken.accountId, clientId: accessToken.clientId!, scopes: accessToken.scopes, acr: accessToken.extra?.acr };
}

export function bearerAuthentication(services: Services) {
  const { db, box, provider, config } = services;
  const resource = adminApiResource(config.issuer);

  return async function authenticate(ctx: Context): Promise<Actor> {
    const value = bearerTokenOf(ctx);
    // No credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
    if (value === undefined) throw refuse(ctx, resource, 401, 'admin_api.unauthorized', {});
    const token = await findAdminApiToken(provider, resource, value);
    if (!token) throw refuse(ctx, resource, 401, 'admin_api.invalid_token', { error: 'invalid_token', error_description: 'The access token is unknown, expired, revoked or not for this API.' });
    if (!token.scopes.has(adminApiScope)) throw refuse(ctx, resource, 403, 'admin_api.insufficient_scope', { error: 'insufficient_scope', scope: adminApiScope });
    if (token.kind === 'user') {
      // Administrators act only after a two-factor sign-in (RFC 9470 step-up challenge).
      if (token.acr !== 'mfa') {
        throw refuse(ctx, resource, 401, 'admin_api.insufficient_authentication', { error: 'insufficient_user_authentication', error_description: 'A two-factor sign-in is required.', acr_values: 'mfa' });
      }
      if (!(await provider.Client.find(token.clientId))) throw refuse(ctx, resource, 401, 'admin_api.invalid_token', { error: 'invalid_token', error_description: 'The client of this token no longer exists.' });
    }
    const actor = token.kind === 'user' ? await actorForUser(db, token.accountId) : await actorForClient(db, box, token.clientId);
    if (!actor) throw new HttpError(403, 'admin_api.not_an_administrator', { code: 'not_an_administrator' });
    return actor;
  };
}
