import type { Db } from '../db/index.ts';

export async function replaceRecoveryCodes(db: Db, userId: string, codeHmacs: string[], now: Date): Promise<void> {
  await db('recovery_codes').where({ user_id: userId }).delete();
  await db('recovery_codes').insert(codeHmacs.map((codeHmac) => ({ user_id: userId, code_hmac: codeHmac, created_at: now })));
}

/** Uses a code in one statement: of two requests with the same code, one wins. */
export async function useRecoveryCode(db: Db, userId: string, codeHmac: string, now: Date): Promise<boolean> {
  const rows = await db('recovery_codes').where({ user_id: userId, code_hmac: codeHmac }).whereNull('used_at').update({ used_at: now }).returning('id');
  return rows.length === 1;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const [row] = await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ n: string | number }[]>('* as n');
  return Number(row?.n ?? 0);
}

export async function deleteRecoveryCodes(db: Db, userId: string): Promise<void> {
  await db('recovery_codes').where({ user_id: userId }).delete();
}

/** Whether the user has a recovery code left to use. */
export async function hasUnusedRecoveryCodes(db: Db, userId: string): Promise<boolean> {
  return Boolean(await db('recovery_codes').where({ user_id: userId }).whereNull('used_at').first('id'));
}
