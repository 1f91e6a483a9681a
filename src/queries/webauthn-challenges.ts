import type { Db } from '../db/index.ts';

export async function saveChallenge(db: Db, key: string, challenge: string, expiresAt: Date): Promise<void> {
  await db('webauthn_challenges').insert({ key, challenge, expires_at: expiresAt }).onConflict('key').merge();
}

/** Takes the challenge out: each one can be answered once. */
export async function takeChallenge(db: Db, key: string, now: Date): Promise<string | undefined> {
  const rows = await db('webauthn_challenges').where({ key }).delete().returning(['challenge', 'expires_at']);
  const row = rows[0] as { challenge: string; expires_at: Date } | undefined;
  return row && row.expires_at > now ? row.challenge : undefined;
}

export async function deleteExpiredChallenges(db: Db, now: Date): Promise<void> {
  await db('webauthn_challenges').where('expires_at', '<=', now).delete();
}
