// Password hashing and policy, after NIST SP 800-63B: length over
// composition, a blocklist of common and context-specific passwords.
import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

/** OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane. */
export const argon2Options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const passwordLength = { min: 12, max: 128 };

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, argon2Options);
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks a password against a stored hash. With no hash (unknown email, or a
 * password that was reset) it still verifies against a dummy hash, so the
 * answer takes as long as for a wrong password and reveals nothing.
 */
export async function verifyPassword(hash: string | null | undefined, password: string): Promise<{ ok: boolean; needsRehash: boolean }> {
  if (!hash) {
    dummyHash ??= hashPassword('dummy password to spend the same time');
    await argon2.verify(await dummyHash, password).catch(() => false);
    return { ok: false, needsRehash: false };
  }
  const ok = await argon2.verify(hash, password).catch(() => false);
  return { ok, needsRehash: ok && argon2.needsRehash(hash, argon2Options) };
}

const commonPasswords = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'repetitive' | 'contains_context' | 'mismatch';

/** The reasons a new password is refused; empty when it is acceptable. */
export function passwordProblems(password: string, context: { email?: string; confirmation?: string } = {}): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < passwordLength.min) problems.push('too_short');
  if (length > passwordLength.max) problems.push('too_long');
  const lower = password.toLowerCase();
  // "password123456" is as guessable as "password": strip affixed digits and symbols.
  const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (commonPasswords.has(lower) || (core.length > 0 && commonPasswords.has(core))) problems.push('common');
  if (new Set(lower).size < 5) problems.push('repetitive');
  const localPart = context.email?.split('@')[0]?.toLowerCase();
  if (lower.includes('govlink') || (localPart && localPart.length >= 4 && lower.includes(localPart))) problems.push('contains_context');
  if (context.confirmation !== undefined && context.confirmation !== password) problems.push('mismatch');
  return problems;
}
