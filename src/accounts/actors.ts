// Who is calling an administrative page or API, read from the database on
// every request: a demoted, disabled or deleted administrator loses access at
// once, whatever token or session they still hold.
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import { findUserById } from '../queries/users.ts';
import { findClient } from '../queries/clients.ts';
import { isAdminRole, type Actor } from './permissions.ts';

export async function actorForUser(db: Db, userId: string): Promise<Actor | null> {
  const user = await findUserById(db, userId);
  if (!user || user.status !== 'active' || !isAdminRole(user.role)) return null;
  return { userId: user.id, clientId: null, role: user.role, orgId: user.orgId, name: user.name || user.email };
}

/** A service client made with --admin-role acts with that role (and, for org_admin, its organisation). */
export async function actorForClient(db: Db, box: SecretBox, clientId: string): Promise<Actor | null> {
  const client = await findClient(db, box, clientId);
  const role = client?.admin_role;
  if (typeof role !== 'string' || !isAdminRole(role)) return null;
  const orgId = typeof client!.org_id === 'string' ? client!.org_id : null;
  if (role === 'org_admin' && !orgId) return null;
  return { userId: null, clientId, role, orgId, name: (client!.client_name as string | undefined) ?? clientId };
}
