import type { Db } from '../db/index.ts';

export type PendingLogin = { interactionUid: string; userId: string; passwordVerifiedAt: Date; enrolmentSecretSealed: string | null; expiresAt: Date };

export async function savePendingLogin(db: Db, login: Omit<PendingLogin, 'enrolmentSecretSealed'>): Promise<void> {
  await db('pending_logins')
    .insert({
      interaction_uid: login.interactionUid,
      user_id: login.userId,
      password_verified_at: login.passwordVerifiedAt,
      enrolment_secret_sealed: null,
      expires_at: login.expiresAt,
    })
    .onConflict('interaction_uid')
    .merge();
}

export async function findPendingLogin(db: Db, interactionUid: string, now: Date): Promise<PendingLogin | undefined> {
  const row = await db('pending_logins').where({ interaction_uid: interactionUid }).andWhere('expires_at', '>', now).first();
  return row
    ? {
        interactionUid: row.interaction_uid,
        userId: row.user_id,
        passwordVerifiedAt: row.password_verified_at,
        enrolmentSecretSealed: row.enrolment_secret_sealed,
        expiresAt: row.expires_at,
      }
    : undefined;
}

export async function setEnrolmentSecret(db: Db, interactionUid: string, secretSealed: string): Promise<void> {
  await db('pending_logins').where({ interaction_uid: interactionUid }).update({ enrolment_secret_sealed: secretSealed });
}

export async function deletePendingLogin(db: Db, interactionUid: string): Promise<void> {
  await db('pending_logins').where({ interaction_uid: interactionUid }).delete();
}

export async function deleteExpiredPendingLogins(db: Db, now: Date): Promise<void> {
  await db('pending_logins').where('expires_at', '<=', now).delete();
}
