// Relying parties and service clients. Client secrets are sealed at rest;
// everything else is oidc-provider client metadata.
import type { AdapterPayload, ClientMetadata } from 'oidc-provider';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';

export async function insertClient(db: Db, box: SecretBox, metadata: ClientMetadata): Promise<void> {
  const { client_secret: secret, ...rest } = metadata;
  await db('oidc_clients').insert({
    client_id: metadata.client_id,
    metadata: JSON.stringify(rest),
    secret_sealed: secret ? box.encrypt('client-secret', secret) : null,
  });
}

export async function findClient(db: Db, box: SecretBox, clientId: string): Promise<AdapterPayload | undefined> {
  const row = await db('oidc_clients').where({ client_id: clientId }).first();
  if (!row) return undefined;
  return { ...row.metadata, ...(row.secret_sealed ? { client_secret: box.decrypt('client-secret', row.secret_sealed) } : {}) };
}

export async function clientExists(db: Db, clientId: string): Promise<boolean> {
  return Boolean(await db('oidc_clients').where({ client_id: clientId }).first('client_id'));
}

/** Replaces a client's metadata and secret (our own first-party clients, when ISSUER or SECRET_KEY changed). */
export async function updateClientMetadata(db: Db, box: SecretBox, metadata: ClientMetadata): Promise<void> {
  const { client_secret: secret, ...rest } = metadata;
  await db('oidc_clients')
    .where({ client_id: metadata.client_id })
    .update({ metadata: JSON.stringify(rest), secret_sealed: secret ? box.encrypt('client-secret', secret) : null });
}

/** Client names by client id, for showing people which applications they signed in to (the id where a client has no name). */
export async function findClientNames(db: Db, clientIds: string[]): Promise<Map<string, string>> {
  const rows = clientIds.length ? await db('oidc_clients').whereIn('client_id', clientIds).select('client_id', 'metadata') : [];
  const names = new Map<string, string>(rows.map((row) => [row.client_id as string, (row.metadata?.client_name as string | undefined) ?? (row.client_id as string)]));
  return new Map(clientIds.map((id) => [id, names.get(id) ?? id]));
}
