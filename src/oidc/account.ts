import type { Account } from 'oidc-provider';
import type { Db } from '../db/index.ts';
import { findUserById } from '../queries/users.ts';
import { findOrganisationById } from '../queries/organisations.ts';

/** Only active users have an account as far as tokens and userinfo are concerned. */
export async function findAccount(db: Db, sub: string): Promise<Account | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(sub)) return undefined;
  const user = await findUserById(db, sub);
  if (!user || user.status !== 'active') return undefined;
  return {
    accountId: user.id,
    // oidc-provider finds the account far more often than it asks for claims.
    async claims() {
      const organisation = await findOrganisationById(db, user.orgId);
      return {
        sub: user.id,
        email: user.email,
        email_verified: true,
        name: user.name,
        org_id: user.orgId,
        org_name: organisation?.name ?? '',
        role: user.role,
      };
    },
  };
}
