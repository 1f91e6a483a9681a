import type { Db } from '../db/index.ts';

export type Passkey = {
  id: string;
  userId: string;
  name: string;
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  aaguid: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
};

const toPasskey = (row: Record<string, unknown>): Passkey => ({
  id: row.id as string,
  userId: row.user_id as string,
  name: row.name as string,
  publicKey: row.public_key as string,
  counter: Number(row.counter),
  transports: row.transports as string[],
  deviceType: row.device_type as Passkey['deviceType'],
  backedUp: row.backed_up as boolean,
  aaguid: row.aaguid as string | null,
  createdAt: row.created_at as Date,
  lastUsedAt: row.last_used_at as Date | null,
});

export async function insertPasskey(db: Db, passkey: Omit<Passkey, 'lastUsedAt'>): Promise<void> {
  await db('passkeys').insert({
    id: passkey.id,
    user_id: passkey.userId,
    name: passkey.name,
    public_key: passkey.publicKey,
    counter: passkey.counter,
    transports: JSON.stringify(passkey.transports),
    device_type: passkey.deviceType,
    backed_up: passkey.backedUp,
    aaguid: passkey.aaguid,
    created_at: passkey.createdAt,
  });
}

export async function listPasskeys(db: Db, userId: string): Promise<Passkey[]> {
  return (await db('passkeys').where({ user_id: userId }).orderBy('created_at')).map(toPasskey);
}

export async function findPasskey(db: Db, id: string): Promise<Passkey | undefined> {
  const row = await db('passkeys').where({ id }).first();
  return row ? toPasskey(row) : undefined;
}

/**
 * Records a use. The counter only moves forward (a counter of 0 means the
 * authenticator does not count), so a cloned authenticator replaying an older
 * counter loses the race.
 */
export async function recordPasskeyUse(db: Db, id: string, previousCounter: number, newCounter: number, backedUp: boolean, now: Date): Promise<boolean> {
  const rows = await db('passkeys')
    .where({ id, counter: previousCounter })
    .update({ counter: newCounter, backed_up: backedUp, last_used_at: now })
    .returning('id');
  return rows.length === 1;
}

export async function renamePasskey(db: Db, userId: string, id: string, name: string): Promise<boolean> {
  return (await db('passkeys').where({ id, user_id: userId }).update({ name }).returning('id')).length === 1;
}

export async function deletePasskey(db: Db, userId: string, id: string): Promise<boolean> {
  return (await db('passkeys').where({ id, user_id: userId }).delete().returning('id')).length === 1;
}

export async function deleteAllPasskeys(db: Db, userId: string): Promise<number> {
  return (await db('passkeys').where({ user_id: userId }).delete().returning('id')).length;
}
