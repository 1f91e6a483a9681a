// The provider's sign-in sessions and grants, as the account page sees them.
// They are oidc-provider models stored by the adapter (src/oidc/adapter.ts)
// in oidc_payloads: a Session row per browser signed in, holding the
// account, when and how it signed in, and per client the grant it made; a
// Grant row per grant; token rows carry their grant_id.
import type { Db } from '../db/index.ts';

export type SessionAuthorization = { sid?: string; grantId?: string; persistsLogout?: boolean };

export type SignInSession = {
  /** the Session row's id: the value of the browser's session cookie, never shown */
  id: string;
  /** a stable public handle, also carried by the tokens issued in this session */
  uid: string;
  accountId: string;
  /** seconds since the epoch */
  loginTs: number | null;
  amr: string[];
  expiresAt: Date | null;
  /** per client id: the session id (sid) it was told and the grant it got */
  authorizations: Record<string, SessionAuthorization>;
};

type Row = { id: string; payload: Record<string, unknown>; expires_at: Date | null };

const toSession = (row: Row): SignInSession => ({
  id: row.id,
  uid: String(row.payload.uid),
  accountId: String(row.payload.accountId),
  loginTs: typeof row.payload.loginTs === 'number' ? row.payload.loginTs : null,
  amr: Array.isArray(row.payload.amr) ? row.payload.amr.map(String) : [],
  expiresAt: row.expires_at,
  authorizations: (row.payload.authorizations ?? {}) as Record<string, SessionAuthorization>,
});

function liveSessionsOf(db: Db, accountId: string, now: Date) {
  return db('oidc_payloads')
    .select('id', 'payload', 'expires_at')
    .where({ model: 'Session' })
    .whereRaw("payload->>'accountId' = ?", [accountId])
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now));
}

/** The account's sessions that have not expired, the latest sign-in first. */
export async function listSignInSessions(db: Db, accountId: string, now: Date): Promise<SignInSession[]> {
  const rows = (await liveSessionsOf(db, accountId, now)) as Row[];
  return rows.map(toSession).sort((a, b) => (b.loginTs ?? 0) - (a.loginTs ?? 0));
}

export async function findSignInSession(db: Db, accountId: string, uid: string, now: Date): Promise<SignInSession | undefined> {
  const row = (await liveSessionsOf(db, accountId, now).andWhere({ uid }).first()) as Row | undefined;
  return row ? toSession(row) : undefined;
}

/** The session in which `clientId` was given this sid (the `sid` claim of its ID token). */
export async function findSignInSessionBySid(db: Db, accountId: string, clientId: string, sid: string, now: Date): Promise<SignInSession | undefined> {
  const row = (await liveSessionsOf(db, accountId, now).whereRaw("payload->'authorizations'->(?::text)->>'sid' = ?", [clientId, sid]).first()) as Row | undefined;
  return row ? toSession(row) : undefined;
}

export async function deleteSignInSession(db: Db, id: string): Promise<boolean> {
  return (await db('oidc_payloads').where({ model: 'Session', id }).delete().returning('id')).length === 1;
}

/** Deletes a grant and every code and token issued under it (refresh tokens with offline_access too). */
export async function revokeGrant(db: Db, grantId: string): Promise<void> {
  await db('oidc_payloads').where({ grant_id: grantId }).delete();
  await db('oidc_payloads').where({ model: 'Grant', id: grantId }).delete();
}

/** Whether this grant of this account still exists: it goes with its session's ending, a sign-out everywhere, a reset. */
export async function grantIsLive(db: Db, accountId: string, grantId: string, now: Date): Promise<boolean> {
  const row = await db('oidc_payloads')
    .first('id')
    .where({ model: 'Grant', id: grantId })
    .whereRaw("payload->>'accountId' = ?", [accountId])
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now));
  return Boolean(row);
}
