// Creating organisations and users: the rules shared by the CLI, the seed
// and the management API.
import type { Db } from '../db/index.ts';
import { findOrganisationById, findOrganisationByName, insertOrganisation, type Organisation } from '../queries/organisations.ts';
import { findUserByEmail, insertUser, type Role, type User } from '../queries/users.ts';
import { hashPassword, passwordProblems } from './passwords.ts';

export class DirectoryError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createOrganisation(db: Db, name: string): Promise<Organisation> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw new DirectoryError('invalid_name', 'An organisation name is 1 to 200 characters.');
  if (await findOrganisationByName(db, trimmed)) throw new DirectoryError('duplicate', `An organisation named "${trimmed}" exists already.`);
  return insertOrganisation(db, trimmed);
}

/** An organisation by id or, failing that, by name. */
export async function resolveOrganisation(db: Db, idOrName: string): Promise<Organisation> {
  const organisation =
    (/^[0-9a-f-]{36}$/i.test(idOrName) ? await findOrganisationById(db, idOrName.toLowerCase()) : undefined) ?? (await findOrganisationByName(db, idOrName));
  if (!organisation) throw new DirectoryError('unknown_organisation', `No organisation "${idOrName}".`);
  return organisation;
}

export function checkEmail(email: string): string {
  const normalised = email.trim().toLowerCase();
  if (!emailPattern.test(normalised) || normalised.length > 254) throw new DirectoryError('invalid_email', `"${email}" is not an email address.`);
  return normalised;
}

/** One account per email address. */
export async function requireUnusedEmail(db: Db, email: string): Promise<void> {
  if (await findUserByEmail(db, email)) throw new DirectoryError('duplicate', `A user with the email ${email} exists already.`);
}

/** A user who signs in with `password`, or an invited user when there is none. */
export async function createUser(db: Db, input: { email: string; orgId: string; role?: Role; name?: string; password?: string }): Promise<User> {
  const email = checkEmail(input.email);
  await requireUnusedEmail(db, email);
  if ((input.name ?? '').length > 200) throw new DirectoryError('invalid_name', 'A name is at most 200 characters.');
  let passwordHash: string | null = null;
  if (input.password !== undefined) {
    const problems = passwordProblems(input.password, { email });
    if (problems.length) throw new DirectoryError('weak_password', `The password is not acceptable: ${problems.join(', ')}.`);
    passwordHash = await hashPassword(input.password);
  }
  return insertUser(db, {
    orgId: input.orgId,
    email,
    name: input.name?.trim() ?? '',
    role: input.role ?? 'user',
    status: passwordHash ? 'active' : 'invited',
    passwordHash,
  });
}
