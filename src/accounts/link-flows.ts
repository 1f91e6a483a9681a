// What the user does with an emailed link. A link never signs anyone in: it
// sets a password or an authenticator, and the user then signs in as always.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { ActionLink, ActionLinks } from './action-links.ts';
import { attemptKeys, type AttemptLimiter } from './attempt-limits.ts';
import type { Audit, Origin } from './audit.ts';
import { hashPassword, passwordProblems, verifyPassword, type PasswordProblem } from './passwords.ts';
import { matchTotpStep } from './totp.ts';
import { activateUser, updatePasswordHash, updateUserFields, type User } from '../queries/users.ts';
import { saveTotpAuthenticator } from '../queries/totp-authenticators.ts';
import { markExpiryRecorded } from '../queries/action-links.ts';
import type { RecoveryCodes } from './recovery-codes.ts';

/** recoveryCodes: issued with the first second factor, to show once. */
export type Completion = { ok: true; recoveryCodes?: string[] } | { ok: false; reason: 'link_gone' | 'invalid_code' | 'locked'; retryAfterSeconds?: number };

export class LinkFlows {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly clock: Clock;
  private readonly links: ActionLinks;
  private readonly limiter: AttemptLimiter;
  private readonly mailer: Mailer;
  private readonly audit: Audit;
  private readonly recoveryCodes: RecoveryCodes;
  constructor(deps: { db: Db; box: SecretBox; clock: Clock; links: ActionLinks; limiter: AttemptLimiter; mailer: Mailer; audit: Audit; recoveryCodes: RecoveryCodes }) {
    this.db = deps.db;
    this.box = deps.box;
    this.clock = deps.clock;
    this.links = deps.links;
    this.limiter = deps.limiter;
    this.mailer = deps.mailer;
    this.audit = deps.audit;
    this.recoveryCodes = deps.recoveryCodes;
  }

  /** Audits an expired link the first time someone opens it. */
  async noticeExpired(link: ActionLink, user: User, origin: Origin): Promise<void> {
    if (await markExpiryRecorded(this.db, link.id, this.clock.now())) {
      await this.audit(this.db, { type: 'link.expired', targetUserId: user.id, orgId: user.orgId, details: { kind: link.kind, expiredAt: link.expiresAt } }, origin);
    }
  }

  checkNewPassword(user: User, password: string, confirmation: string): PasswordProblem[] {
    return passwordProblems(password, { email: user.email, confirmation });
  }

  /** Invitation, step 1: the chosen password, hashed now and saved only when the whole invitation is done. */
  hashChosenPassword(password: string): Promise<string> {
    return hashPassword(password);
  }

  /** OTP reset, step 1: the user proves they know their password, with the sign-in's attempt limits. */
  async verifyCurrentPassword(user: User, password: string, origin: Origin): Promise<{ ok: true } | { ok: false; locked: boolean; retryAfterSeconds?: number }> {
    const account = attemptKeys.passwordAccount(user.email);
    const address = attemptKeys.passwordAddress(origin.ip);
    const verdict = await this.limiter.begin([account, address]);
    if (!verdict.allowed) return { ok: false, locked: true, retryAfterSeconds: verdict.retryAfterSeconds };
    const { ok } = await verifyPassword(user.passwordHash, password);
    if (!ok) {
      await this.audit(this.db, { type: 'link.password_failed', targetUserId: user.id, orgId: user.orgId }, origin);
      return { ok: false, locked: false };
    }
    await this.limiter.succeeded(account, address);
    return { ok: true };
  }

  /** Checks a code from the new authenticator, counting the attempt against the user. */
  private async confirmCode(user: User, secret: string, code: string, origin: Origin): Promise<{ step: number } | Completion> {
    const account = attemptKeys.otpAccount(user.id);
    const address = attemptKeys.otpAddress(origin.ip);
    const verdict = await this.limiter.begin([account, address]);
    if (!verdict.allowed) return { ok: false, reason: 'locked', retryAfterSeconds: verdict.retryAfterSeconds };
    const step = await matchTotpStep(secret, code, this.clock.now());
    if (step === null) return { ok: false, reason: 'invalid_code' };
    await this.limiter.succeeded(account, address);
    return { step };
  }

  /** Invitation, last step: password and authenticator are saved and the link used, together. */
  async completeInvitation(link: ActionLink, user: User, passwordHash: string, secret: string, code: string, origin: Origin): Promise<Completion> {
    const confirmed = await this.confirmCode(user, secret, code, origin);
    if (!('step' in confirmed)) return confirmed;
    return this.db.transaction(async (trx) => {
      if (!(await this.links.use(trx, link))) return { ok: false, reason: 'link_gone' } as const;
      await activateUser(trx, user.id, passwordHash);
      await saveTotpAuthenticator(trx, user.id, this.box.encrypt('totp-secret', secret), confirmed.step);
      await this.audit(trx, { type: 'link.used', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId, details: { kind: link.kind } }, origin);
      await this.audit(trx, { type: 'user.activated', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId }, origin);
      await this.audit(trx, { type: 'authenticator.added', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId, details: { kind: 'totp' } }, origin);
      return { ok: true, recoveryCodes: await this.recoveryCodes.regenerate(trx, user.id) } as const;
    });
  }

  /** Password reset: the new password is saved and the link used, together; the user is told by email. */
  async completePasswordReset(link: ActionLink, user: User, password: string, origin: Origin): Promise<Completion> {
    const passwordHash = await hashPassword(password);
    const done = await this.db.transaction(async (trx) => {
      if (!(await this.links.use(trx, link))) return false;
      await updatePasswordHash(trx, user.id, passwordHash);
      await this.audit(trx, { type: 'link.used', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId, details: { kind: link.kind } }, origin);
      await this.audit(trx, { type: 'user.password_changed', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId }, origin);
      await this.mailer.enqueue(trx, { to: user.email, template: 'password_changed', data: { name: user.name, at: this.clock.now() }, userId: user.id });
      return true;
    });
    if (!done) return { ok: false, reason: 'link_gone' };
    // A lock earned against the old password should not keep the user out of the new one.
    await this.limiter.clear(attemptKeys.passwordAccount(user.email));
    return { ok: true };
  }

  /** OTP reset, last step: the new authenticator is saved and the link used, together; the user is told by email. */
  async completeOtpReset(link: ActionLink, user: User, secret: string, code: string, origin: Origin): Promise<Completion> {
    const confirmed = await this.confirmCode(user, secret, code, origin);
    if (!('step' in confirmed)) return confirmed;
    return this.db.transaction(async (trx) => {
      if (!(await this.links.use(trx, link))) return { ok: false, reason: 'link_gone' } as const;
      await saveTotpAuthenticator(trx, user.id, this.box.encrypt('totp-secret', secret), confirmed.step);
      await updateUserFields(trx, user.id, { otpSetupAtSignIn: true });
      await this.audit(trx, { type: 'link.used', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId, details: { kind: link.kind } }, origin);
      await this.audit(trx, { type: 'authenticator.added', actorUserId: user.id, targetUserId: user.id, orgId: user.orgId, details: { kind: 'totp' } }, origin);
      await this.mailer.enqueue(trx, { to: user.email, template: 'authenticator_added', data: { name: user.name, at: this.clock.now(), kind: 'totp' }, userId: user.id });
      // The reset cleared the recovery codes; new ones come with the new authenticator.
      const recoveryCodes = (await this.recoveryCodes.remaining(trx, user.id)) === 0 ? await this.recoveryCodes.regenerate(trx, user.id) : undefined;
      return { ok: true, recoveryCodes } as const;
    });
  }
}
