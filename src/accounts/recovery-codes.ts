// Ten single-use recovery codes, shown once. Each is 10 characters of
// Crockford-free base32 (50 bits), kept only as an HMAC under a key derived
// from SECRET_KEY.
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import type { SecretBox } from '../crypto.ts';
import { countUnusedRecoveryCodes, replaceRecoveryCodes, useRecoveryCode } from '../queries/recovery-codes.ts';

const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'; // no 0/O, 1/I/L, U
export const recoveryCodeCount = 10;

function newCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** What the user typed, in the form the code was issued: upper case, dash in the middle. */
export function normaliseRecoveryCode(input: string): string {
  const plain = input.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return plain.length === 10 ? `${plain.slice(0, 5)}-${plain.slice(5)}` : plain;
}

export class RecoveryCodes {
  private readonly box: SecretBox;
  private readonly clock: Clock;
  constructor(deps: { box: SecretBox; clock: Clock }) {
    this.box = deps.box;
    this.clock = deps.clock;
  }

  private hmac(code: string): string {
    return createHmac('sha256', this.box.key('recovery-code')).update(code).digest('hex');
  }

  /** New codes replace all old ones; the plain codes are returned once, to show. */
  async regenerate(db: Db, userId: string): Promise<string[]> {
    const codes = Array.from({ length: recoveryCodeCount }, newCode);
    await replaceRecoveryCodes(db, userId, codes.map((c) => this.hmac(c)), this.clock.now());
    return codes;
  }

  /** Uses one code; returns how many are left, or null when the code is wrong or used. */
  async use(db: Db, userId: string, input: string): Promise<number | null> {
    const code = normaliseRecoveryCode(input);
    if (!/^[A-Z0-9]{5}-[A-Z0-9]{5}$/.test(code)) return null;
    if (!(await useRecoveryCode(db, userId, this.hmac(code), this.clock.now()))) return null;
    return countUnusedRecoveryCodes(db, userId);
  }

  remaining(db: Db, userId: string): Promise<number> {
    return countUnusedRecoveryCodes(db, userId);
  }
}
