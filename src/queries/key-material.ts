import type { Db } from '../db/index.ts';

export type KeyMaterial = { kid: string; kind: 'signing' | 'cookie'; alg: string | null; sealed: string; createdAt: Date };

export async function listKeyMaterial(db: Db): Promise<KeyMaterial[]> {
  const rows = await db('key_material').orderBy('created_at', 'desc').orderBy('kid');
  return rows.map((r) => ({ kid: r.kid, kind: r.kind, alg: r.alg, sealed: r.sealed, createdAt: r.created_at }));
}

/** Inserts keys unless keys of that kind exist already (another process won the race). */
export async function insertKeyMaterialOnce(db: Db, kind: KeyMaterial['kind'], keys: Omit<KeyMaterial, 'kind' | 'createdAt'>[]): Promise<void> {
  await db.transaction(async (trx) => {
    // Serialises first start across processes sharing one database.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`key_material:${kind}`]);
    const existing = await trx('key_material').where({ kind }).first('kid');
    if (existing) return;
    await trx('key_material').insert(keys.map((k) => ({ kid: k.kid, kind, alg: k.alg, sealed: k.sealed })));
  });
}
