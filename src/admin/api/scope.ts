// Which organisation a request may look at: their own for an org admin,
// any (or all) for a super admin. Another organisation is "not found".
import type { Db } from '../../db/index.ts';
import { canAccessOrganisation, PermissionError, type Actor } from '../../accounts/permissions.ts';
import { findOrganisationById } from '../../queries/organisations.ts';

/** The organisation to filter by: the requested one, else the caller's own; undefined means all (super admins only). */
export async function organisationFilter(db: Db, actor: Actor, requested: string | undefined): Promise<string | undefined> {
  if (requested === undefined) return actor.role === 'super_admin' ? undefined : actor.orgId!;
  if (!canAccessOrganisation(actor, requested) || !(await findOrganisationById(db, requested))) throw new PermissionError(404, 'No such organisation.');
  return requested;
}
