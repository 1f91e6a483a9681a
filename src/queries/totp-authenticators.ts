import type { Db } from '../db/index.ts';

export type TotpAuthenticator = { userId: string; secretSealed: string; lastUsedStep: number | null; createdAt: Date };

export async function findTotpAuthenticator(db: Db, userId: string): Promise<TotpAuthenticator | undefined> {
  const row = await db('totp_authenticators').where({ user_id: userId }).first();
  return row
    ? { userId: row.user_id, secretSealed: row.secret_sealed, lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step), createdAt: row.created_at }
    : undefined;
}

/** Saves a confirmed authenticator; the confirming code's step is already used. */
export async function saveTotpAuthenticator(db: Db, userId: string, secretSealed: string, usedStep: number): Promise<void> {
  await db('totp_authenticators')
    .insert({ user_id: userId, secret_sealed: secretSealed, last_used_step: usedStep, created_at: db.fn.now() })
    .onConflict('user_id')
    .merge();
}

/**
 * Records `step` as used if, and only if, it is later than every step used
 * before. The compare-and-set runs in one statement, so two requests carrying
 * the same code cannot both succeed.
 */
export async function claimTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const rows = await db('totp_authenticators')
    .where({ user_id: userId })
    .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
    .update({ last_used_step: step })
    .returning('user_id');
  return rows.length === 1;
}

export async function deleteTotpAuthenticator(db: Db, userId: string): Promise<void> {
  await db('totp_authenticators').where({ user_id: userId }).delete();
}
