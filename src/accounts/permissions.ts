// Who may do what to whom. An organisation administrator manages the users of
// their own organisation, never a super admin, and cannot hand out a role above
// their own. A super admin manages everything.
import type { Role, User } from '../queries/users.ts';

export type AdminRole = 'org_admin' | 'super_admin';

/** The caller of an administrative action, read from the database on every request. */
export type Actor = {
  userId: string | null;
  clientId: string | null;
  role: AdminRole;
  /** null only for a super admin service client */
  orgId: string | null;
  name: string;
};

export class PermissionError extends Error {
  readonly status: 403 | 404;
  constructor(status: 403 | 404, message: string) {
    super(message);
    this.status = status;
  }
}

const rank: Record<Role, number> = { user: 0, org_admin: 1, super_admin: 2 };

export const isAdminRole = (role: string): role is AdminRole => role === 'org_admin' || role === 'super_admin';

/** May the actor see and act on users of this organisation? */
export function canAccessOrganisation(actor: Actor, orgId: string): boolean {
  return actor.role === 'super_admin' || actor.orgId === orgId;
}

/**
 * Refuses unless the actor may manage the target user. A user of another
 * organisation is "not found", so nothing is revealed about other organisations.
 */
export function requireManageable(actor: Actor, target: User | undefined): User {
  if (!target || !canAccessOrganisation(actor, target.orgId)) throw new PermissionError(404, 'No such user.');
  if (rank[target.role] > rank[actor.role]) throw new PermissionError(403, 'You cannot manage a user whose role is above yours.');
  return target;
}

/**
 * Refuses unless the actor may see the user (reading is not managing: an org
 * admin sees the super admins of their organisation). Users of other
 * organisations are "not found".
 */
export function requireVisible(actor: Actor, target: User | undefined): User {
  if (!target || !canAccessOrganisation(actor, target.orgId)) throw new PermissionError(404, 'No such user.');
  return target;
}

export function requireAssignableRole(actor: Actor, role: Role): void {
  if (rank[role] > rank[actor.role]) throw new PermissionError(403, `You cannot give the role ${role}: it is above yours.`);
}

/** An administrator cannot lock themselves out: no disabling, deleting or demoting oneself. */
export function requireNotSelf(actor: Actor, target: User, what: string): void {
  if (actor.userId === target.id) throw new PermissionError(403, `You cannot ${what} your own account.`);
}
