// Calling the management API as its callers do: an administrator with a token
// from the authorization code flow (two-factor sign-in, resource indicator
// $ISSUER/admin/api, scope admin), a service client with client credentials.
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { createTestUser, registerTestClient, type TestProvider, type TestUser } from './server.ts';
import { relyingParty, signIn, type RelyingParty } from './flows.ts';
import { UserAgent } from './user-agent.ts';

export type ApiResponse = { status: number; headers: Headers; type: string; body: any };

export const adminApiUrl = (provider: TestProvider) => `${provider.issuer}/admin/api`;

/** One HTTP request to the management API. `body` is sent as JSON unless `rawBody` is given. */
export async function callApi(
  provider: TestProvider,
  token: string | undefined,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; contentType?: string; authorization?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${adminApiUrl(provider)}${path}`, { method, headers, body: payload });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, type, body: text && type.includes('json') ? JSON.parse(text) : text };
}

/** An API client bound to one token. */
export function apiAs(provider: TestProvider, token: string | undefined) {
  return {
    token,
    get: (path: string) => callApi(provider, token, 'GET', path),
    post: (path: string, body?: unknown) => callApi(provider, token, 'POST', path, body === undefined ? {} : { body }),
    patch: (path: string, body: unknown) => callApi(provider, token, 'PATCH', path, { body }),
    delete: (path: string) => callApi(provider, token, 'DELETE', path),
    call: (method: string, path: string, options: Parameters<typeof callApi>[4] = {}) => callApi(provider, token, method, path, options),
  };
}

export type Api = ReturnType<typeof apiAs>;

export const adminApiParameters = (provider: TestProvider) => ({ resource: adminApiUrl(provider), scope: 'openid admin' });

/** A first-party client for administrators to sign in with. */
export async function adminRelyingParty(provider: TestProvider): Promise<RelyingParty> {
  return relyingParty(provider, await registerTestClient(provider, { redirectUris: ['http://127.0.0.1:9/admin-callback'] }));
}

export type SignedInAdmin = TestUser & { totpSecret: string; token: string; api: Api };

/** Signs the user in through the authorization code flow, asking for the management API, and returns its access token. */
export async function adminUserToken(provider: TestProvider, rp: RelyingParty, user: TestUser & { totpSecret?: string }): Promise<{ token: string; secret: string }> {
  const { tokens, secret } = await signIn(provider, rp, user, new UserAgent(), adminApiParameters(provider));
  return { token: tokens.access_token, secret };
}

/** A new user with this role in this organisation (a new one if none is given), signed in to the management API. */
export async function signedInAdmin(provider: TestProvider, rp: RelyingParty, input: Parameters<typeof createTestUser>[1] = {}): Promise<SignedInAdmin> {
  const user = await createTestUser(provider, { role: 'org_admin', ...input });
  const { token, secret } = await adminUserToken(provider, rp, user);
  return { ...user, totpSecret: secret, token, api: apiAs(provider, token) };
}

/** A service client made with an admin role, and a client credentials token for the management API. */
export async function serviceToken(provider: TestProvider, input: { adminRole?: 'org_admin' | 'super_admin'; orgId?: string; scope?: string; resource?: string } = {}) {
  const client = await registerTestClient(provider, {
    clientId: `service-${randomBytes(4).toString('hex')}`,
    grantTypes: ['client_credentials'],
    redirectUris: [],
    firstParty: false,
    ...(input.adminRole ? { adminRole: input.adminRole } : {}),
    ...(input.orgId ? { orgId: input.orgId } : {}),
  });
  const rp = await relyingParty(provider, client);
  const tokens = await oidc.clientCredentialsGrant(rp.config, { scope: input.scope ?? 'admin', ...(input.resource ? { resource: input.resource } : {}) });
  return { clientId: client.clientId, token: tokens.access_token, api: apiAs(provider, tokens.access_token), rp };
}
