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

export type PasswordOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' | 'disabled' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export type SecondFactorOutcome =
  | { ok: true; user: User; amr: string[] }
  | { ok: false; reason: 'invalid' | 'expired' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export type SecondFactorNeed = 'otp' | 'otp_setup' | 'otp_reset_pending';

export class SignIn {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly clock: Clock;
  private readonly limiter: AttemptLimiter;
  private readonly audit: Audit;
  private readonly pendingTtlSeconds: number;
  constructor(deps: { db: Db; box: SecretBox; clock: Clock; limiter: AttemptLimiter; audit: Audit; pendingTtlSeconds: number }) {
    this.db = deps.db;
    this.box = deps.box;
    this.clock = deps.clock;
    this.limiter = deps.limiter;
    this.audit = deps.audit;
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
  async pending(interactionUid: string): Promise<{ login: PendingLogin; user: User } | undefined> {
    const login = await findPendingLogin(this.db, interactionUid, this.clock.now());
    if (!login) return undefined;
    const user = await findUserById(this.db, login.userId);
    if (!user || user.status !== 'active') return undefined;
    return { login, user };
  }

  /** Which second factor step this user goes to. */
  async secondFactorNeed(user: User): Promise<SecondFactorNeed> {
    if (await findTotpAuthenticator(this.db, user.id)) return 'otp';
    return user.otpSetupAtSignIn ? 'otp_setup' : 'otp_reset_pending';
  }

  /** Step 2 with an enrolled authenticator. */
  async checkOtp(interactionUid: string, code: string, origin: Origin): Promise<SecondFactorOutcome> {
    const pending = await this.pending(interactionUid);
    if (!pending) return { ok: false, reason: 'expired' };
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
    return this.complete(interactionUid, user, ['pwd', 'otp'], origin);
  }

  /** The secret shown on the set-up page; the same one on every visit of this interaction. */
  async enrolmentSecret(login: PendingLogin): Promise<string> {
    if (login.enrolmentSecretSealed) return this.box.decrypt('totp-secret', login.enrolmentSecretSealed);
    const secret = newTotpSecret();
    await setEnrolmentSecret(this.db, login.interactionUid, this.box.encrypt('totp-secret', secret));
    return secret;
  }

  /** Step 2 for a user setting up their first authenticator: one code confirms it. */
  async confirmEnrolment(interactionUid: string, code: string, origin: Origin): Promise<SecondFactorOutcome> {
    const pending = await this.pending(interactionUid);
    if (!pending?.login.enrolmentSecretSealed) return { ok: false, reason: 'expired' };
    const { user, login } = pending;
    if ((await this.secondFactorNeed(user)) !== 'otp_setup') return { ok: false, reason: 'expired' };
    const limited = await this.countOtpAttempt(user, origin);
    if (limited) return limited;
    const step = await matchTotpStep(this.box.decrypt('totp-secret', login.enrolmentSecretSealed!), code, this.clock.now());
    if (step === null) return { ok: false, reason: 'invalid' };
    await saveTotpAuthenticator(this.db, user.id, login.enrolmentSecretSealed!, step);
    await this.audit(this.db, { type: 'authenticator.added', targetUserId: user.id, actorUserId: user.id, orgId: user.orgId, details: { kind: 'totp' } }, origin);
    return this.complete(interactionUid, user, ['pwd', 'otp'], origin);
  }

  private async countOtpAttempt(user: User, origin: Origin): Promise<SecondFactorOutcome | null> {
    const verdict = await this.limiter.begin([attemptKeys.otpAccount(user.id), attemptKeys.otpAddress(origin.ip)]);
    if (verdict.allowed) return null;
    if (verdict.lockedNow) await this.audit(this.db, { type: 'sign_in.locked', targetUserId: user.id, orgId: user.orgId, details: { factor: 'otp' } }, origin);
    return { ok: false, reason: 'locked', retryAfterSeconds: verdict.retryAfterSeconds };
  }

  private async complete(interactionUid: string, user: User, amr: string[], origin: Origin): Promise<SecondFactorOutcome> {
    await this.limiter.succeeded(attemptKeys.otpAccount(user.id), attemptKeys.otpAddress(origin.ip));
    await deletePendingLogin(this.db, interactionUid);
    await this.audit(this.db, { type: 'sign_in.succeeded', targetUserId: user.id, actorUserId: user.id, orgId: user.orgId, details: { amr } }, origin);
    return { ok: true, user, amr };
  }
}
