// What a signed-in user may change about their own account, free of HTTP:
// password, authenticator app, passkeys, recovery codes and sign-in
// sessions. Each change, its audit event and its notification email commit
// together or not at all.
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { MailData } from '../mail/templates.ts';
import { attemptKeys, type AttemptLimiter } from './attempt-limits.ts';
import type { Audit, Origin } from './audit.ts';
import type { Passkey, Passkeys } from './passkeys.ts';
import { hashPassword, passwordProblems, verifyPassword, type PasswordProblem } from './passwords.ts';
import type { RecoveryCodes } from './recovery-codes.ts';
import { matchTotpStep } from './totp.ts';
import { revokeAccountArtifacts } from '../oidc/adapter.ts';
import { findClientNames } from '../queries/clients.ts';
import { deletePasskey, findPasskey, listPasskeys, renamePasskey } from '../queries/passkeys.ts';
import { deleteSignInSession, findSignInSession, listSignInSessions, revokeGrant, type SignInSession } from '../queries/sign-in-sessions.ts';
import { findTotpAuthenticator, saveTotpAuthenticator, type TotpAuthenticator } from '../queries/totp-authenticators.ts';
import { findUserById, findUserForUpdate, updatePasswordHash, type User } from '../queries/users.ts';

export type PasswordChange =
  | { ok: true; otherSessionsEnded: number }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number }
  /** wrongCurrent: the current password was not right; problems: what is wrong with the new one */
  | { ok: false; reason: 'invalid'; wrongCurrent: boolean; problems: PasswordProblem[] };

export type TotpConfirmation = { ok: true; replaced: boolean } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export type PasskeyRemoval = { ok: true; passkey: Passkey } | { ok: false; reason: 'not_found' | 'last_factor' };

/** A sign-in session as the account page lists it: without its id, which is the browser's session cookie. */
export type SessionView = Omit<SignInSession, 'id'> & { current: boolean; clients: { id: string; name: string }[] };

/** This browser's sign-in session: the one in which `clientId` was given `sid` (the sid claim of its ID token). */
export type CurrentSignIn = { clientId: string; sid: string | undefined };

const isCurrent = (session: Pick<SignInSession, 'authorizations'>, current: CurrentSignIn | undefined) => current?.sid !== undefined && session.authorizations[current.clientId]?.sid === current.sid;

type SecurityChange = MailData['security_change']['change'];

export class SelfService {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly clock: Clock;
  private readonly limiter: AttemptLimiter;
  private readonly audit: Audit;
  private readonly mailer: Mailer;
  private readonly passkeys: Passkeys;
  private readonly recoveryCodes: RecoveryCodes;
  constructor(deps: { db: Db; box: SecretBox; clock: Clock; limiter: AttemptLimiter; audit: Audit; mailer: Mailer; passkeys: Passkeys; recoveryCodes: RecoveryCodes }) {
    this.db = deps.db;
    this.box = deps.box;
    this.clock = deps.clock;
    this.limiter = deps.limiter;
    this.audit = deps.audit;
    this.mailer = deps.mailer;
    this.passkeys = deps.passkeys;
    this.recoveryCodes = deps.recoveryCodes;
  }

  /** The user as they are now, if they may still use their account: deleted and disabled users may not. */
  async activeUser(userId: string): Promise<User | undefined> {
    const user = await findUserById(this.db, userId);
    return user?.status === 'active' ? user : undefined;
  }

  /** The second factors and recovery codes the user has now. */
  async factors(user: User): Promise<{ totp: TotpAuthenticator | undefined; passkeys: Passkey[]; recoveryCodesLeft: number }> {
    return {
      totp: await findTotpAuthenticator(this.db, user.id),
      passkeys: await listPasskeys(this.db, user.id),
      recoveryCodesLeft: await this.recoveryCodes.remaining(this.db, user.id),
    };
  }

  private by(user: User) {
    return { actorUserId: user.id, targetUserId: user.id, orgId: user.orgId };
  }

  private async notify(db: Db, user: User, change: SecurityChange): Promise<void> {
    await this.mailer.enqueue(db, { to: user.email, template: 'security_change', data: { name: user.name, at: this.clock.now(), change }, userId: user.id });
  }

  /** What is wrong with a new password (empty when nothing is). */
  passwordProblems(user: User, password: string, confirmation: string): PasswordProblem[] {
    return passwordProblems(password, { email: user.email, confirmation });
  }

  /**
   * A new password, given the current one. The current password is checked
   * under the sign-in's attempt limits (a stolen session must not become a
   * password-guessing oracle). All problems are reported together; nothing
   * changes unless there are none. With `endOtherSessions`, every sign-in
   * session but the current one ends with the change.
   */
  async changePassword(
    user: User,
    input: { current: string; password: string; confirmation: string },
    origin: Origin,
    options: { endOtherSessions: boolean; current: CurrentSignIn },
  ): Promise<PasswordChange> {
    const problems = this.passwordProblems(user, input.password, input.confirmation);
    const account = attemptKeys.passwordAccount(user.email);
    const address = attemptKeys.passwordAddress(origin.ip);
    const verdict = await this.limiter.begin([account, address]);
    if (!verdict.allowed) {
      if (verdict.lockedNow) await this.audit(this.db, { type: 'sign_in.locked', targetUserId: user.id, orgId: user.orgId, details: { factor: 'password' } }, origin);
      return { ok: false, reason: 'locked', retryAfterSeconds: verdict.retryAfterSeconds };
    }
    const { ok } = await verifyPassword(user.passwordHash, input.current);
    if (!ok) {
      await this.audit(this.db, { type: 'user.password_change_failed', ...this.by(user) }, origin);
      return { ok: false, reason: 'invalid', wrongCurrent: true, problems };
    }
    await this.limiter.succeeded(account, address);
    if (problems.length) return { ok: false, reason: 'invalid', wrongCurrent: false, problems };

    const passwordHash = await hashPassword(input.password);
    const otherSessionsEnded = await this.db.transaction(async (trx) => {
      await updatePasswordHash(trx, user.id, passwordHash);
      let ended = 0;
      if (options.endOtherSessions) {
        for (const session of await listSignInSessions(trx, user.id, this.clock.now())) {
          if (isCurrent(session, options.current)) continue;
          await this.endSessionIn(trx, session);
          ended += 1;
        }
      }
      await this.audit(trx, { type: 'user.password_changed', ...this.by(user), details: { otherSessionsEnded: ended } }, origin);
      await this.mailer.enqueue(trx, { to: user.email, template: 'password_changed', data: { name: user.name, at: this.clock.now() }, userId: user.id });
      return ended;
    });
    return { ok: true, otherSessionsEnded };
  }

  /**
   * Saves the new authenticator app once a code from it is right, in place
   * of the old one (or as the first, for a user with passkeys only). Wrong
   * codes count against the one-time code limits. The confirming code's time
   * step is saved as used, so that code cannot sign anyone in afterwards.
   */
  async confirmTotp(user: User, secret: string, code: string, origin: Origin): Promise<TotpConfirmation> {
    const account = attemptKeys.otpAccount(user.id);
    const address = attemptKeys.otpAddress(origin.ip);
    const verdict = await this.limiter.begin([account, address]);
    if (!verdict.allowed) {
      if (verdict.lockedNow) await this.audit(this.db, { type: 'sign_in.locked', targetUserId: user.id, orgId: user.orgId, details: { factor: 'otp' } }, origin);
      return { ok: false, reason: 'locked', retryAfterSeconds: verdict.retryAfterSeconds };
    }
    const step = await matchTotpStep(secret, code, this.clock.now());
    if (step === null) return { ok: false, reason: 'invalid' };
    await this.limiter.succeeded(account, address);
    const replaced = await this.db.transaction(async (trx) => {
      const existing = await findTotpAuthenticator(trx, user.id);
      await saveTotpAuthenticator(trx, user.id, this.box.encrypt('totp-secret', secret), step);
      if (existing) {
        await this.audit(trx, { type: 'authenticator.replaced', ...this.by(user), details: { kind: 'totp' } }, origin);
        await this.notify(trx, user, 'totp_replaced');
      } else {
        await this.audit(trx, { type: 'authenticator.added', ...this.by(user), details: { kind: 'totp' } }, origin);
        await this.mailer.enqueue(trx, { to: user.email, template: 'authenticator_added', data: { name: user.name, at: this.clock.now(), kind: 'totp' }, userId: user.id });
      }
      return Boolean(existing);
    });
    return { ok: true, replaced };
  }

  /** One registration ceremony per user at a time: a new one replaces the challenge of the last. */
  private passkeyCeremony(user: User): string {
    return `account:${user.id}`;
  }

  passkeyRegistrationOptions(user: User) {
    return this.passkeys.registrationOptions(user, this.passkeyCeremony(user));
  }

  /** Checks the browser's new credential against the challenge and stores it; null when it does not verify. */
  async addPasskey(user: User, response: RegistrationResponseJSON, name: string, origin: Origin): Promise<Passkey | null> {
    return this.db.transaction(async (trx) => {
      const passkey = await this.passkeys.register(trx, user, this.passkeyCeremony(user), response, name);
      if (!passkey) return null;
      await this.audit(trx, { type: 'authenticator.added', ...this.by(user), details: { kind: 'passkey', name: passkey.name } }, origin);
      await this.mailer.enqueue(trx, { to: user.email, template: 'authenticator_added', data: { name: user.name, at: this.clock.now(), kind: 'passkey' }, userId: user.id });
      return passkey;
    });
  }

  /** One of the user's own passkeys; another user's is as good as missing. */
  async passkey(user: User, id: string): Promise<Passkey | undefined> {
    const passkey = await findPasskey(this.db, id);
    return passkey?.userId === user.id ? passkey : undefined;
  }

  /** Renames one of the user's passkeys; false when it is not theirs (or gone). */
  async renamePasskey(user: User, id: string, name: string, origin: Origin): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const passkey = await findPasskey(trx, id);
      if (passkey?.userId !== user.id) return false;
      if (passkey.name === name) return true;
      await renamePasskey(trx, user.id, id, name);
      await this.audit(trx, { type: 'authenticator.renamed', ...this.by(user), details: { kind: 'passkey', from: passkey.name, to: name } }, origin);
      await this.notify(trx, user, 'passkey_renamed');
      return true;
    });
  }

  /**
   * Removes one of the user's passkeys, unless it is their last second
   * factor (no authenticator app, no other passkey): an account must always
   * be able to complete the two-factor sign-in. The user row is locked, so
   * two removals at once cannot each leave the other passkey as "the other".
   */
  async removePasskey(user: User, id: string, origin: Origin): Promise<PasskeyRemoval> {
    return this.db.transaction(async (trx) => {
      await findUserForUpdate(trx, user.id);
      const passkeys = await listPasskeys(trx, user.id);
      const passkey = passkeys.find((p) => p.id === id);
      if (!passkey) return { ok: false, reason: 'not_found' } as const;
      if (passkeys.length === 1 && !(await findTotpAuthenticator(trx, user.id))) return { ok: false, reason: 'last_factor' } as const;
      await deletePasskey(trx, user.id, id);
      await this.audit(trx, { type: 'authenticator.removed', ...this.by(user), details: { kind: 'passkey', name: passkey.name } }, origin);
      await this.notify(trx, user, 'passkey_removed');
      return { ok: true, passkey } as const;
    });
  }

  /** Ten new recovery codes, returned once to show; the old ones stop working in the same transaction. */
  async regenerateRecoveryCodes(user: User, origin: Origin): Promise<string[]> {
    return this.db.transaction(async (trx) => {
      const codes = await this.recoveryCodes.regenerate(trx, user.id);
      await this.audit(trx, { type: 'recovery_codes.regenerated', ...this.by(user) }, origin);
      await this.notify(trx, user, 'recovery_codes_regenerated');
      return codes;
    });
  }

  /** The user's live sign-in sessions, with this browser's marked `current`. */
  async sessions(user: User, current?: CurrentSignIn): Promise<SessionView[]> {
    const sessions = await listSignInSessions(this.db, user.id, this.clock.now());
    const names = await findClientNames(this.db, [...new Set(sessions.flatMap((session) => Object.keys(session.authorizations)))]);
    return sessions.map(({ id: _cookieValue, ...session }) => ({
      ...session,
      current: isCurrent(session, current),
      clients: Object.keys(session.authorizations).map((id) => ({ id, name: names.get(id) ?? id })),
    }));
  }

  /**
   * Ends one of the user's sign-in sessions: the browser holding it must sign
   * in again, and what it was granted goes with it (the grants in the session
   * and every token issued under them, refresh tokens with offline_access
   * included: a user ending a lost device's session wants nothing of it left).
   */
  async endSession(user: User, sessionUid: string, origin: Origin): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const session = await findSignInSession(trx, user.id, sessionUid, this.clock.now());
      if (!session) return false;
      await this.endSessionIn(trx, session);
      await this.audit(trx, { type: 'session.ended', ...this.by(user), details: { sessionUid, clients: Object.keys(session.authorizations) } }, origin);
      await this.notify(trx, user, 'session_ended');
      return true;
    });
  }

  private async endSessionIn(trx: Db, session: SignInSession): Promise<void> {
    for (const { grantId } of Object.values(session.authorizations)) if (grantId) await revokeGrant(trx, grantId);
    await deleteSignInSession(trx, session.id);
  }

  /** Every session, grant and token of the user, this browser's included. */
  async signOutEverywhere(user: User, origin: Origin): Promise<void> {
    await this.db.transaction(async (trx) => {
      const sessions = await listSignInSessions(trx, user.id, this.clock.now());
      await revokeAccountArtifacts(trx, user.id);
      await this.audit(trx, { type: 'user.signed_out_everywhere', ...this.by(user), details: { sessions: sessions.length } }, origin);
      await this.notify(trx, user, 'signed_out_everywhere');
    });
  }
}
