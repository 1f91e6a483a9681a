// oidc-provider's storage, one table for every model. Expired rows are never
// returned and are pruned in the background.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import { findClient } from '../queries/clients.ts';

type Row = { payload: AdapterPayload; consumed_at: Date | null; expires_at: Date | null };

function live(row: Row | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  if (row.expires_at && row.expires_at.getTime() <= Date.now()) return undefined;
  return { ...row.payload, ...(row.consumed_at ? { consumed: Math.floor(row.consumed_at.getTime() / 1000) } : {}) };
}

export function adapterFactory(db: Db, box: SecretBox): new (model: string) => Adapter {
  return class KnexAdapter implements Adapter {
    private readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    private async findLive(where: { id: string } | { uid: string } | { user_code: string }): Promise<AdapterPayload | undefined> {
      return live(await db('oidc_payloads').select('payload', 'consumed_at', 'expires_at').where({ model: this.model, ...where }).first());
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await db('oidc_payloads')
        .insert({
          model: this.model,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          user_code: payload.userCode ?? null,
          uid: payload.uid ?? null,
          expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        })
        .onConflict(['model', 'id'])
        .merge();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return findClient(db, box, id);
      return this.findLive({ id });
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findLive({ user_code: userCode });
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findLive({ uid });
    }

    async consume(id: string): Promise<void> {
      await db('oidc_payloads').where({ model: this.model, id }).update({ consumed_at: new Date() });
    }

    async destroy(id: string): Promise<void> {
      await db('oidc_payloads').where({ model: this.model, id }).delete();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db('oidc_payloads').where({ grant_id: grantId }).delete();
    }
  };
}

export async function pruneExpiredPayloads(db: Db): Promise<void> {
  await db('oidc_payloads').where('expires_at', '<=', new Date()).delete();
}

/**
 * Ends every session of a user and revokes their grants, codes and tokens:
 * after a reset, a disable or a deletion nothing issued before keeps working.
 */
export async function revokeAccountArtifacts(db: Db, accountId: string): Promise<void> {
  await db('oidc_payloads').whereRaw("payload->>'accountId' = ?", [accountId]).delete();
}
