// Resource servers this provider issues access tokens for. The management
// API is the only one: $ISSUER/admin/api.
import { errors, type Client, type ResourceServer } from 'oidc-provider';

export const adminApiResource = (issuer: string) => `${issuer}/admin/api`;
export const adminApiScope = 'admin';

export function resourceServerInfo(issuer: string, resource: string, client: Client): ResourceServer {
  if (resource !== adminApiResource(issuer)) throw new errors.InvalidTarget();
  return { scope: adminApiScope, audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: 10 * 60 };
}
