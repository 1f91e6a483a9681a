// Registering relying parties and service clients. oidc-provider validates
// the metadata exactly as it will when the client is used.
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import { clientExists, insertClient } from '../queries/clients.ts';
import { DirectoryError } from '../accounts/directory.ts';

export type NewClient = {
  clientId: string;
  secret?: string;
  name?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: ('authorization_code' | 'refresh_token' | 'client_credentials')[];
  firstParty?: boolean;
  adminRole?: 'org_admin' | 'super_admin';
  orgId?: string;
};

export function clientMetadata(input: NewClient): ClientMetadata {
  const interactive = input.grantTypes.includes('authorization_code');
  return {
    client_id: input.clientId,
    ...(input.name ? { client_name: input.name } : {}),
    ...(input.secret ? { client_secret: input.secret, token_endpoint_auth_method: 'client_secret_basic' } : { token_endpoint_auth_method: 'none' }),
    grant_types: input.grantTypes,
    response_types: interactive ? ['code'] : [],
    redirect_uris: input.redirectUris,
    post_logout_redirect_uris: input.postLogoutRedirectUris,
    first_party: input.firstParty ?? false,
    ...(input.adminRole ? { admin_role: input.adminRole } : {}),
    ...(input.orgId ? { org_id: input.orgId } : {}),
  };
}

export async function registerClient(db: Db, box: SecretBox, provider: Provider, input: NewClient): Promise<ClientMetadata> {
  if (!/^[\w.:-]{1,100}$/.test(input.clientId)) throw new DirectoryError('invalid_client_id', 'A client id is 1 to 100 letters, digits and . _ : -');
  if (input.grantTypes.includes('client_credentials') && !input.secret) throw new DirectoryError('secret_required', 'client_credentials needs a confidential client: give --secret.');
  if (input.grantTypes.includes('authorization_code') && input.redirectUris.length === 0) throw new DirectoryError('redirect_uri_required', 'authorization_code needs at least one --redirect-uri.');
  if (input.adminRole && !input.grantTypes.includes('client_credentials')) throw new DirectoryError('admin_role_needs_client_credentials', '--admin-role is for service clients: add client_credentials to --grant-types.');
  if (input.adminRole === 'org_admin' && !input.orgId) throw new DirectoryError('org_required', 'An org_admin service client needs --org.');
  if (await clientExists(db, input.clientId)) throw new DirectoryError('duplicate', `A client "${input.clientId}" exists already.`);
  const metadata = clientMetadata(input);
  try {
    await provider.Client.validate(metadata);
  } catch (error) {
    const { error_description: description, message } = error as { error_description?: string; message: string };
    throw new DirectoryError('invalid_client_metadata', description ?? message);
  }
  await insertClient(db, box, metadata);
  return metadata;
}
