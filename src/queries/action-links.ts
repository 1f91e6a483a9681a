import type { Db } from '../db/index.ts';

export const linkKinds = ['invitation', 'password_reset', 'otp_reset'] as const;
export type LinkKind = (typeof linkKinds)[number];

export type ActionLink = {
  id: string;
  userId: string;
  kind: LinkKind;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  supersededAt: Date | null;
  expiryRecordedAt: Date | null;
};

const toLink = (row: Record<string, unknown>): ActionLink => ({
  id: row.id as string,
  userId: row.user_id as string,
  kind: row.kind as LinkKind,
  createdAt: row.created_at as Date,
  expiresAt: row.expires_at as Date,
  usedAt: row.used_at as Date | null,
  supersededAt: row.superseded_at as Date | null,
  expiryRecordedAt: row.expiry_recorded_at as Date | null,
});

/** Marks every open link of this kind for the user as superseded. */
export async function supersedeLinks(db: Db, userId: string, kind: LinkKind, now: Date): Promise<void> {
  await db('action_links').where({ user_id: userId, kind }).whereNull('used_at').whereNull('superseded_at').update({ superseded_at: now });
}

export async function insertLink(
  db: Db,
  link: { userId: string; kind: LinkKind; tokenHash: string; createdAt: Date; expiresAt: Date; createdByUserId: string | null; createdByClientId: string | null },
): Promise<ActionLink> {
  const [row] = await db('action_links')
    .insert({
      user_id: link.userId,
      kind: link.kind,
      token_hash: link.tokenHash,
      created_at: link.createdAt,
      expires_at: link.expiresAt,
      created_by_user_id: link.createdByUserId,
      created_by_client_id: link.createdByClientId,
    })
    .returning('*');
  return toLink(row);
}

export async function findLinkByTokenHash(db: Db, tokenHash: string): Promise<ActionLink | undefined> {
  const row = await db('action_links').where({ token_hash: tokenHash }).first();
  return row ? toLink(row) : undefined;
}

/** Uses the link if it is still live, in one statement: of two racing requests one wins. */
export async function useLink(db: Db, id: string, now: Date): Promise<boolean> {
  const rows = await db('action_links')
    .where({ id })
    .whereNull('used_at')
    .whereNull('superseded_at')
    .where('expires_at', '>', now)
    .update({ used_at: now })
    .returning('id');
  return rows.length === 1;
}

/** Records that the expiry was noticed; true the first time only. */
export async function markExpiryRecorded(db: Db, id: string, now: Date): Promise<boolean> {
  const rows = await db('action_links').where({ id }).whereNull('expiry_recorded_at').update({ expiry_recorded_at: now }).returning('id');
  return rows.length === 1;
}

/** Links still waiting for the user, newest first. */
export async function listOpenLinks(db: Db, userId: string, now: Date): Promise<ActionLink[]> {
  const rows = await db('action_links')
    .where({ user_id: userId })
    .whereNull('used_at')
    .whereNull('superseded_at')
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc');
  return rows.map(toLink);
}
