import type { Db } from '../db/index.ts';

export const roles = ['user', 'org_admin', 'super_admin'] as const;
export type Role = (typeof roles)[number];
export const statuses = ['invited', 'active', 'disabled'] as const;
export type UserStatus = (typeof statuses)[number];

export type User = {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  passwordHash: string | null;
  passwordChangedAt: Date | null;
  otpSetupAtSignIn: boolean;
  createdAt: Date;
};

type UserRow = {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  password_hash: string | null;
  password_changed_at: Date | null;
  otp_setup_at_sign_in: boolean;
  created_at: Date;
};

const toUser = (row: UserRow): User => ({
  id: row.id,
  orgId: row.org_id,
  email: row.email,
  name: row.name,
  role: row.role,
  status: row.status,
  passwordHash: row.password_hash,
  passwordChangedAt: row.password_changed_at,
  otpSetupAtSignIn: row.otp_setup_at_sign_in,
  createdAt: row.created_at,
});

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function insertUser(
  db: Db,
  user: { orgId: string; email: string; name?: string; role?: Role; status?: UserStatus; passwordHash?: string | null },
): Promise<User> {
  const [row] = await db('users')
    .insert({
      org_id: user.orgId,
      email: normaliseEmail(user.email),
      name: user.name ?? '',
      role: user.role ?? 'user',
      status: user.status ?? 'invited',
      password_hash: user.passwordHash ?? null,
      password_changed_at: user.passwordHash ? db.fn.now() : null,
    })
    .returning('*');
  return toUser(row as UserRow);
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const row = await db('users').where({ id }).first();
  return row ? toUser(row) : undefined;
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  const row = await db('users').where({ email: normaliseEmail(email) }).first();
  return row ? toUser(row) : undefined;
}

export async function updatePasswordHash(db: Db, id: string, passwordHash: string | null): Promise<void> {
  await db('users').where({ id }).update({ password_hash: passwordHash, password_changed_at: db.fn.now(), updated_at: db.fn.now() });
}

/** Rehash on sign-in keeps the change time: the password itself did not change. */
export async function upgradePasswordHash(db: Db, id: string, passwordHash: string): Promise<void> {
  await db('users').where({ id }).update({ password_hash: passwordHash });
}

export async function updateUserFields(db: Db, id: string, patch: { name?: string; role?: Role; status?: UserStatus; otpSetupAtSignIn?: boolean }): Promise<User | undefined> {
  const [row] = await db('users')
    .where({ id })
    .update({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.otpSetupAtSignIn !== undefined ? { otp_setup_at_sign_in: patch.otpSetupAtSignIn } : {}),
      updated_at: db.fn.now(),
    })
    .returning('*');
  return row ? toUser(row as UserRow) : undefined;
}

/** The invitation is complete: the user has a password and becomes active. */
export async function activateUser(db: Db, id: string, passwordHash: string): Promise<void> {
  await db('users').where({ id, status: 'invited' }).update({ password_hash: passwordHash, password_changed_at: db.fn.now(), status: 'active', updated_at: db.fn.now() });
}

export async function deleteUserById(db: Db, id: string): Promise<boolean> {
  const rows = await db('users').where({ id }).delete().returning('id');
  return rows.length === 1;
}

export type UserCursor = { email: string; id: string };

/** Users ordered by email, filtered by organisation and a search on email or name, a page at a time. */
export async function searchUsers(db: Db, filter: { orgId?: string; q?: string; after?: UserCursor; limit: number }): Promise<User[]> {
  const query = db('users').orderBy([{ column: 'email' }, { column: 'id' }]).limit(filter.limit);
  if (filter.orgId) query.where({ org_id: filter.orgId });
  if (filter.q) {
    const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.where((q) => q.whereRaw('email like ?', [pattern]).orWhereRaw('lower(name) like ?', [pattern]));
  }
  if (filter.after) query.whereRaw('(email, id) > (?, ?)', [filter.after.email, filter.after.id]);
  const rows = await query;
  return rows.map((row) => toUser(row as UserRow));
}

/** The user row, locked until the transaction ends: changes that check a rule across rows (the last second factor) take turns. */
export async function findUserForUpdate(db: Db, id: string): Promise<User | undefined> {
  const row = await db('users').where({ id }).forUpdate().first();
  return row ? toUser(row) : undefined;
}

/** Display names (the name, or the email when there is none) of these users; deleted ones are missing. */
export async function findUserNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const rows = ids.length ? await db('users').whereIn('id', ids).select('id', 'name', 'email') : [];
  return new Map(rows.map((row) => [row.id as string, (row.name as string) || (row.email as string)]));
}
