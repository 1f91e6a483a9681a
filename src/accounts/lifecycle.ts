// The account lifecycle an organisation administrator drives: invite, edit,
// disable, delete, reset password, reset OTP. Each change, its audit events,
// its emailed link and its notification commit together or not at all.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { ActionLinks, LinkKind } from './action-links.ts';
import type { Audit, Origin } from './audit.ts';
import { checkEmail, createOrganisation, DirectoryError, requireUnusedEmail } from './directory.ts';
import { requireAssignableRole, requireManageable, requireNotSelf, requireVisible, PermissionError, type Actor } from './permissions.ts';
import { revokeAccountArtifacts } from '../oidc/adapter.ts';
import { findOrganisationById, type Organisation } from '../queries/organisations.ts';
import { deleteTotpAuthenticator } from '../queries/totp-authenticators.ts';
import { deleteRecoveryCodes } from '../queries/recovery-codes.ts';
import { deleteAllPasskeys } from '../queries/passkeys.ts';
import { deleteUserById, findUserById, insertUser, updatePasswordHash, updateUserFields, type Role, type User } from '../queries/users.ts';

export type UserPatch = { name?: string; role?: Role; status?: 'active' | 'disabled' };

export class Lifecycle {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly links: ActionLinks;
  private readonly mailer: Mailer;
  private readonly audit: Audit;
  constructor(deps: { db: Db; clock: Clock; links: ActionLinks; mailer: Mailer; audit: Audit }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.links = deps.links;
    this.mailer = deps.mailer;
    this.audit = deps.audit;
  }

  private by(actor: Actor) {
    return { actorUserId: actor.userId, actorClientId: actor.clientId };
  }

  /** Emails the user a new link of `kind` (an open one of that kind stops working) with the mail template of the same name, and audits it. */
  private async emailLink(trx: Db, actor: Actor, origin: Origin, user: User, kind: LinkKind, data: Record<string, unknown> = {}): Promise<void> {
    const { link, url } = await this.links.issue(trx, user.id, kind, { userId: actor.userId, clientId: actor.clientId });
    await this.mailer.enqueue(trx, { to: user.email, template: kind, data: { name: user.name, ...data, link: url, expiresAt: link.expiresAt }, userId: user.id, actionLinkId: link.id });
    await this.audit(trx, { type: 'link.issued', ...this.by(actor), targetUserId: user.id, orgId: user.orgId, details: { kind, expiresAt: link.expiresAt } }, origin);
  }

  /** A user that the actor may manage, or a PermissionError (404 across organisations). */
  async manageableUser(actor: Actor, userId: string, db: Db = this.db): Promise<User> {
    return requireManageable(actor, await findUserByIdParam(db, userId));
  }

  /** A user that the actor may see, or a PermissionError (404 across organisations). */
  async visibleUser(actor: Actor, userId: string, db: Db = this.db): Promise<User> {
    return requireVisible(actor, await findUserByIdParam(db, userId));
  }

  /** Organisations are created by super admins only. */
  async createOrganisation(actor: Actor, origin: Origin, name: string): Promise<Organisation> {
    if (actor.role !== 'super_admin') throw new PermissionError(403, 'Only a super admin can create organisations.');
    return this.db.transaction(async (trx) => {
      const organisation = await createOrganisation(trx, name);
      await this.audit(trx, { type: 'organisation.created', ...this.by(actor), orgId: organisation.id, details: { name: organisation.name } }, origin);
      return organisation;
    });
  }

  /** Creates an invited user and emails them a link to choose a password and set up their authenticator. */
  async invite(actor: Actor, origin: Origin, input: { email: string; name?: string; orgId?: string; role?: Role }): Promise<User> {
    const orgId = input.orgId ?? actor.orgId;
    if (!orgId) throw new DirectoryError('org_required', 'orgId is required.');
    if (actor.role !== 'super_admin' && orgId !== actor.orgId) throw new PermissionError(404, 'No such organisation.');
    const role = input.role ?? 'user';
    requireAssignableRole(actor, role);
    const email = checkEmail(input.email);
    const name = (input.name ?? '').trim();
    return this.db.transaction(async (trx) => {
      const organisation = await findOrganisationById(trx, orgId);
      if (!organisation) throw new PermissionError(404, 'No such organisation.');
      await requireUnusedEmail(trx, email);
      const user = await insertUser(trx, { orgId, email, name, role, status: 'invited' });
      await this.audit(trx, { type: 'user.invited', ...this.by(actor), targetUserId: user.id, orgId, details: { role } }, origin);
      await this.emailLink(trx, actor, origin, user, 'invitation', { orgName: organisation.name, inviterName: actor.name });
      return user;
    });
  }

  /** Sends the invitation again with a new link (the old one stops working). */
  async reinvite(actor: Actor, origin: Origin, userId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const user = await this.manageableUser(actor, userId, trx);
      if (user.status !== 'invited') throw new DirectoryError('not_invited', 'This user has accepted their invitation already.');
      const organisation = await findOrganisationById(trx, user.orgId);
      await this.emailLink(trx, actor, origin, user, 'invitation', { orgName: organisation?.name ?? '', inviterName: actor.name });
    });
  }

  /**
   * The old password stops working at once and every session ends; the user
   * gets a link to choose a new one. The next sign-in still asks for the OTP.
   */
  async resetPassword(actor: Actor, origin: Origin, userId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const user = await this.manageableUser(actor, userId, trx);
      if (user.status === 'invited') throw new DirectoryError('invited', 'This user has not accepted their invitation yet: send the invitation again instead.');
      await updatePasswordHash(trx, user.id, null);
      await revokeAccountArtifacts(trx, user.id);
      await this.audit(trx, { type: 'user.password_reset', ...this.by(actor), targetUserId: user.id, orgId: user.orgId }, origin);
      await this.emailLink(trx, actor, origin, user, 'password_reset');
    });
  }

  /**
   * The TOTP secret and the recovery codes are removed at once, and every
   * session ends; passkeys too unless the administrator chooses to keep them.
   * Sign-in is refused until the user enrols again through the emailed link
   * (or, with kept passkeys, signs in with one); nobody can enrol for this
   * account at sign-in.
   */
  async resetOtp(actor: Actor, origin: Origin, userId: string, options: { removePasskeys?: boolean } = {}): Promise<void> {
    const removePasskeys = options.removePasskeys ?? true;
    await this.db.transaction(async (trx) => {
      const user = await this.manageableUser(actor, userId, trx);
      if (user.status === 'invited') throw new DirectoryError('invited', 'This user has not accepted their invitation yet: send the invitation again instead.');
      await deleteTotpAuthenticator(trx, user.id);
      await deleteRecoveryCodes(trx, user.id);
      const passkeysRemoved = removePasskeys ? await deleteAllPasskeys(trx, user.id) : 0;
      await updateUserFields(trx, user.id, { otpSetupAtSignIn: false });
      await revokeAccountArtifacts(trx, user.id);
      await this.audit(trx, { type: 'user.otp_reset', ...this.by(actor), targetUserId: user.id, orgId: user.orgId, details: { passkeysRemoved } }, origin);
      await this.emailLink(trx, actor, origin, user, 'otp_reset');
    });
  }

  async update(actor: Actor, origin: Origin, userId: string, patch: UserPatch): Promise<User> {
    return this.db.transaction(async (trx) => {
      const user = await this.manageableUser(actor, userId, trx);
      if (patch.role !== undefined && patch.role !== user.role) {
        requireNotSelf(actor, user, 'change the role of');
        requireAssignableRole(actor, patch.role);
      }
      if (patch.status !== undefined && patch.status !== user.status) {
        requireNotSelf(actor, user, 'disable or enable');
        if (user.status === 'invited') throw new DirectoryError('invited', 'An invited user becomes active by accepting the invitation.');
      }
      if (patch.name !== undefined && patch.name.trim().length > 200) throw new DirectoryError('invalid_name', 'A name is at most 200 characters.');
      const updated = (await updateUserFields(trx, user.id, { ...patch, name: patch.name?.trim() }))!;
      const changes = Object.fromEntries(
        (['name', 'role', 'status'] as const).filter((key) => patch[key] !== undefined && patch[key] !== user[key]).map((key) => [key, { from: user[key], to: updated[key] }]),
      );
      if (Object.keys(changes).length === 0) return updated;
      await this.audit(trx, { type: 'user.updated', ...this.by(actor), targetUserId: user.id, orgId: user.orgId, details: changes }, origin);
      if (changes.status) {
        const now = this.clock.now();
        if (updated.status === 'disabled') await revokeAccountArtifacts(trx, user.id);
        await this.audit(trx, { type: updated.status === 'disabled' ? 'user.disabled' : 'user.enabled', ...this.by(actor), targetUserId: user.id, orgId: user.orgId }, origin);
        await this.mailer.enqueue(trx, { to: user.email, template: updated.status === 'disabled' ? 'account_disabled' : 'account_enabled', data: { name: user.name, at: now }, userId: user.id });
      }
      return updated;
    });
  }

  async delete(actor: Actor, origin: Origin, userId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const user = await this.manageableUser(actor, userId, trx);
      requireNotSelf(actor, user, 'delete');
      await revokeAccountArtifacts(trx, user.id);
      await deleteUserById(trx, user.id);
      await this.audit(trx, { type: 'user.deleted', ...this.by(actor), targetUserId: user.id, orgId: user.orgId, details: { email: user.email } }, origin);
    });
  }
}

/** A user by an id from a URL or request body: anything but a UUID is nobody, without a query. */
async function findUserByIdParam(db: Db, userId: string): Promise<User | undefined> {
  return /^[0-9a-f-]{36}$/i.test(userId) ? findUserById(db, userId.toLowerCase()) : undefined;
}
