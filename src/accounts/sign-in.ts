// The rules of the two-factor sign-in, free of HTTP: check the password,
// then the second factor, counting every attempt.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import { attemptKeys, type AttemptLimiter } from './attempt-limits.ts';
import type { Audit, Origin } from './audit.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { matchTotpStep, newTotpSecret } from './totp.ts';
import { findUserByEmail, findUserById, normaliseEmail, upgradePasswordHash, type User } from '../queries/users.ts';
import { claimTotpStep, findTotpAuthenticator, saveTotpAuthenticator } from '../queries/totp-authenticators.ts';
import { deletePendingLogin, findPendingLogin, savePendingLogin, setEnrolmentSecret, type PendingLogin } from '../queries/pending-logins.ts';
import { hasUnusedRecoveryCodes } from '../queries/recovery-codes.ts';
import { listPasskeys } from '../queries/passkeys.ts';
import type { Mailer } from '../mail/mailer.ts';
import { passkeyAmr, type Passkeys } from './passkeys.ts';
import type { RecoveryCodes } from './recovery-codes.ts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

export type PasswordOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' | 'disabled' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export type SecondFactorOutcome =
  /** newRecoveryCodes: issued now, with the first second factor, to show once; recoveryCodesLeft: after using one */
  | { ok: true; user: User; amr: string[]; newRecoveryCodes?: string[]; recoveryCodesLeft?: number }
  | { ok: false; reason: 'invalid' | 'expired' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

/** A sign-in whose password step has passed: the second factor is next. */
export type PendingSignIn = { login: PendingLogin; user: User };

export type SecondFactorNeed =
  | { kind: 'verify'; totp: boolean; passkeys: boolean; recoveryCodes: boolean }
  | { kind: 'setup' }
  | { kind: 'reset_pending' };

export class SignIn {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly clock: Clock;
  private readonly limiter: AttemptLimiter;
  private readonly audit: Audit;
  private readonly passkeys: Passkeys;
  private readonly recoveryCodes: RecoveryCodes;
  private readonly mailer: Mailer;
  private readonly pendingTtlSeconds: number;
  constructor(deps: {
    db: Db;
    box: SecretBox;
    clock: Clock;
    limiter: AttemptLimiter;
    audit: Audit;
    passkeys: Passkeys;
    recoveryCodes: RecoveryCodes;
    mailer: Mailer;
    pendingTtlSeconds: number;
  }) {
    this.db = deps.db;
    this.box = deps.box;
    this.clock = deps.clock;
    this.limiter = deps.limiter;
    this.audit = deps.audit;
    this.passkeys = deps.passkeys;
    this.recoveryCodes = deps.recoveryCodes;
    this.mailer = deps.mailer;
    this.pendingTtlSeconds = deps.pendingTtlSeconds;
  }

  /**
   * Step 1. An unknown email, a user without a password and a wrong password
   * all take the same path through argon2 and get the same answer.
   */
  async checkPassword(interactionUid: string, email: string, password: string, origin: Origin): Promise<PasswordOutcome> {
    const account = attemptKeys.passwordAccount(normaliseEmail(email));
    const address = attemptKeys.passwordAddress(origin.ip);
    const verdict = await this.limiter.begin([account, address]);
    const user = await findUserByEmail(this.db, email);
    if (!verdict.allowed) {
      if (verdict.lockedNow && user) await this.audit(this.db, { type: 'sign_in.locked', targetUserId: user.id, orgId: user.orgId, details: { factor: 'password' } }, origin);
      return { ok: false, reason: 'locked', retryAfterSeconds: verdict.retryAfterSeconds };
    }
    const { ok, needsRehash } = await verifyPassword(user?.status === 'invited' ? null : user?.passwordHash, password);
    if (!ok || !user) {
      if (user) await this.audit(this.db, { type: 'sign_in.failed', targetUserId: user.id, orgId: user.orgId, details: { factor: 'password' } }, origin);
      return { ok: false, reason: 'invalid' };
    }
    await this.limiter.succeeded(account, address);
    if (user.status === 'disabled') {
      await this.audit(this.db, { type: 'sign_in.refused_disabled', targetUserId: user.id, orgId: user.orgId }, origin);
      return { ok: false, reason: 'disabled' };
    }
    if (needsRehash) await upgradePasswordHash(this.db, user.id, await hashPassword(password));
    const now = this.clock.now();
    await savePendingLogin(this.db, { interactionUid, userId: user.id, passwordVerifiedAt: now, expiresAt: new Date(now.getTime() + this.pendingTtlSeconds * 1000) });
    return { ok: true, user };
  }

  /** The half-finished sign-in for this interaction, with its user, if the password step passed. */
  async pending(interactionUid: string): Promise<PendingSignIn | undefined> {
    const login = await findPendingLogin(this.db, interactionUid, this.clock.now());
    if (!login) return undefined;
    const user = await findUserById(this.db, login.userId);
    if (!user || user.status !== 'active') return undefined;
    return { login, user };
  }

  /** Which second factor step this user goes to, and which factors they can choose from. */
  async secondFactorNeed(user: User): Promise<SecondFactorNeed> {
    const totp = Boolean(await findTotpAuthenticator(this.db, user.id));
    const passkeys = (await listPasskeys(this.db, user.id)).length > 0;
    if (totp || passkeys) return { kind: 'verify', totp, passkeys, recoveryCodes: await hasUnusedRecoveryCodes(this.db, user.id) };
    return user.otpSetupAtSignIn ? { kind: 'setup' } : { kind: 'reset_pending' };
  }

  /** Step 2 with an enrolled authenticator. */
  async checkOtp(pending: PendingSignIn, code: string, origin: Origin): Promise<SecondFactorOutcome> {
    const { user } = pending;
    const authenticator = await findTotpAuthenticator(this.db, user.id);
    if (!authenticator) return { ok: false, reason: 'expired' };
    const limited = await this.countOtpAttempt(user, origin);
    if (limited) return limited;
    const step = await matchTotpStep(this.box.decrypt('totp-secret', authenticator.secretSealed), code, this.clock.now());
    // Claiming the step is the replay check: it succeeds once per time step.
    if (step === null || !(await claimTotpStep(this.db, user.id, step))) {
      await this.audit(this.db, { type: 'sign_in.failed', targetUserId: user.id, orgId: user.orgId, details: { factor: 'otp' } }, origin);
      return { ok: false, reason: 'invalid' };
    }
    return this.complete(pending, ['pwd', 'otp'], origin);
  }

  /** The secret shown on the set-up page; the same one on every visit of this interaction. */
  async enrolmentSecret(login: PendingLogin): Promise<string> {
    if (login.enrolmentSecretSealed) return this.box.decrypt('totp-secret', login.enrolmentSecretSealed);
    const secret = newTotpSecret();
    await setEnrolmentSecret(this.db, login.interactionUid, this.box.encrypt('totp-secret', secret));
    return secret;
  }

  /** Step 2 for a user setting up their first authenticator: one code confirms it. */
  async confirmEnrolment(pending: PendingSignIn, code: string, origin: Origin): Promise<SecondFactorOutcome> {
    const { user, login } = pending;
    const secretSealed = login.enrolmentSecretSealed;
    if (!secretSealed || (await this.secondFactorNeed(user)).kind !== 'setup') return { ok: false, reason: 'expired' };
    const limited = await this.countOtpAttempt(user, origin);
    if (limited) return limited;
    const step = await matchTotpStep(this.box.decrypt('totp-secret', secretSealed), code, this.clock.now());
    if (step === null) return { ok: false, reason: 'invalid' };
    const newRecoveryCodes = await this.db.transaction(async (trx) => {
      await saveTotpAuthenticator(trx, user.id, secretSealed, step);
      await this.audit(trx, { type: 'authenticator.added', targetUserId: user.id, actorUserId: user.id, orgId: user.orgId, details: { kind: 'totp' } }, origin);
      return this.recoveryCodes.regenerate(trx, user.id);
    });
    return { ...(await this.complete(pending, ['pwd', 'otp'], origin)), newRecoveryCodes };
  }

  /** Options for a passkey sign-in at step 2, or null when the user has none. */
  passkeyOptions(pending: PendingSignIn) {
    return this.passkeys.authenticationOptions(pending.user, `login:${pending.login.interactionUid}`);
  }

  /** Step 2 with a passkey: amr is hwk for a device-bound key, swk for a synced passkey. */
  async checkPasskey(pending: PendingSignIn, response: AuthenticationResponseJSON, origin: Origin): Promise<SecondFactorOutcome> {
    const { user } = pending;
    const limited = await this.countOtpAttempt(user, origin);
    if (limited) return limited;
    const passkey = await this.passkeys.authenticate(user, `login:${pending.login.interactionUid}`, response);
    if (!passkey) {
      await this.audit(this.db, { type: 'sign_in.failed', targetUserId: user.id, orgId: user.orgId, details: { factor: 'passkey' } }, origin);
      return { ok: false, reason: 'invalid' };
    }
    return this.complete(pending, ['pwd', passkeyAmr(passkey)], origin);
  }

  /** Options to register a passkey instead of an authenticator app at first set-up. */
  async passkeySetupOptions(pending: PendingSignIn) {
    if ((await this.secondFactorNeed(pending.user)).kind !== 'setup') return null;
    return this.passkeys.registrationOptions(pending.user, `setup:${pending.login.interactionUid}`);
  }

  /** Step 2 for a user setting up a passkey as their first second factor. */
  async confirmPasskeyEnrolment(pending: PendingSignIn, response: RegistrationResponseJSON, name: string, origin: Origin): Promise<SecondFactorOutcome> {
    const { user } = pending;
    if ((await this.secondFactorNeed(user)).kind !== 'setup') return { ok: false, reason: 'expired' };
    const result = await this.db.transaction(async (trx) => {
      const passkey = await this.passkeys.register(trx, user, `setup:${pending.login.interactionUid}`, response, name);
      if (!passkey) return null;
      await this.audit(trx, { type: 'authenticator.added', targetUserId: user.id, actorUserId: user.id, orgId: user.orgId, details: { kind: 'passkey', name: passkey.name } }, origin);
      return { passkey, codes: await this.recoveryCodes.regenerate(trx, user.id) };
    });
    if (!result) return { ok: false, reason: 'invalid' };
    return { ...(await this.complete(pending, ['pwd', passkeyAmr(result.passkey)], origin)), newRecoveryCodes: result.codes };
  }

  /**
   * Step 2 with a recovery code, in place of the authenticator: used once,
   * audited, and the user is told by email how many are left.
   */
  async checkRecoveryCode(pending: PendingSignIn, code: string, origin: Origin): Promise<SecondFactorOutcome> {
    const { user } = pending;
    const limited = await this.countOtpAttempt(user, origin);
    if (limited) return limited;
    const left = await this.db.transaction(async (trx) => {
      const remaining = await this.recoveryCodes.use(trx, user.id, code);
      if (remaining === null) return null;
      await this.audit(trx, { type: 'recovery_code.used', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId, details: { remaining } }, origin);
      await this.mailer.enqueue(trx, { to: user.email, template: 'recovery_code_used', data: { name: user.name, at: this.clock.now(), remaining }, userId: user.id });
      return remaining;
    });
    if (left === null) {
      await this.audit(this.db, { type: 'sign_in.failed', targetUserId: user.id, orgId: user.orgId, details: { factor: 'recovery_code' } }, origin);
      return { ok: false, reason: 'invalid' };
    }
    // A recovery code is a one-time password (RFC 8176 "otp").
    return { ...(await this.complete(pending, ['pwd', 'otp'], origin)), recoveryCodesLeft: left };
  }

  private async countOtpAttempt(user: User, origin: Origin): Promise<SecondFactorOutcome | null> {
    const verdict = await this.limiter.begin([attemptKeys.otpAccount(user.id), attemptKeys.otpAddress(origin.ip)]);
    if (verdict.allowed) return null;
    if (verdict.lockedNow) await this.audit(this.db, { type: 'sign_in.locked', targetUserId: user.id, orgId: user.orgId, details: { factor: 'otp' } }, origin);
    return { ok: false, reason: 'locked', retryAfterSeconds: verdict.retryAfterSeconds };
  }

  private async complete({ login, user }: PendingSignIn, amr: string[], origin: Origin): Promise<Extract<SecondFactorOutcome, { ok: true }>> {
    await this.limiter.succeeded(attemptKeys.otpAccount(user.id), attemptKeys.otpAddress(origin.ip));
    await deletePendingLogin(this.db, login.interactionUid);
    await this.audit(this.db, { type: 'sign_in.succeeded', targetUserId: user.id, actorUserId: user.id, orgId: user.orgId, details: { amr } }, origin);
    return { ok: true, user, amr };
  }
}
