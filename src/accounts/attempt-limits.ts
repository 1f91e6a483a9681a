// Failed-attempt limits, counted in the database so that parallel requests
// and several processes share one count. Every attempt is counted before the
// credential is checked; a success gives its attempt back (client address) or
// clears the count (account).
import type { Clock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import { sha256 } from '../crypto.ts';
import { clearCounter, countAttempt, lockCounter, uncountAttempt } from '../queries/attempt-counters.ts';

export type LimitRule = {
  /** attempts allowed in one window before the key locks */
  maxAttempts: number;
  windowSeconds: number;
  /** first lock; each further lock doubles it, up to maxLockSeconds */
  lockSeconds: number;
  maxLockSeconds: number;
};

const minutes = (n: number) => n * 60;

/** The numbers the README states. */
export const limits = {
  passwordPerAccount: { maxAttempts: 10, windowSeconds: minutes(15), lockSeconds: minutes(15), maxLockSeconds: minutes(240) },
  passwordPerAddress: { maxAttempts: 100, windowSeconds: minutes(15), lockSeconds: minutes(15), maxLockSeconds: minutes(60) },
  otpPerAccount: { maxAttempts: 5, windowSeconds: minutes(15), lockSeconds: minutes(15), maxLockSeconds: minutes(240) },
  otpPerAddress: { maxAttempts: 50, windowSeconds: minutes(15), lockSeconds: minutes(15), maxLockSeconds: minutes(60) },
} satisfies Record<string, LimitRule>;

/** Lock history is forgotten after a day without attempts. */
const quietSeconds = 24 * 3600;

export type AttemptKey = { key: string; rule: LimitRule };

export const attemptKeys = {
  passwordAccount: (email: string): AttemptKey => ({ key: `password:account:${sha256(email)}`, rule: limits.passwordPerAccount }),
  passwordAddress: (ip: string): AttemptKey => ({ key: `password:address:${ip}`, rule: limits.passwordPerAddress }),
  otpAccount: (userId: string): AttemptKey => ({ key: `otp:account:${userId}`, rule: limits.otpPerAccount }),
  otpAddress: (ip: string): AttemptKey => ({ key: `otp:address:${ip}`, rule: limits.otpPerAddress }),
};

export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; lockedNow: boolean };

export class AttemptLimiter {
  private readonly db: Db;
  private readonly clock: Clock;
  constructor(db: Db, clock: Clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Counts one attempt against every key; refused when any key is over its limit. */
  async begin(keys: AttemptKey[]): Promise<AttemptVerdict> {
    const now = this.clock.now();
    const refusals: { retryAfterSeconds: number; lockedNow: boolean }[] = [];
    for (const { key, rule } of keys) {
      const state = await countAttempt(this.db, key, now, rule.windowSeconds, quietSeconds);
      let lockedUntil = state.lockedUntil;
      let lockedNow = false;
      if (!lockedUntil && state.failures > rule.maxAttempts) {
        const seconds = Math.min(rule.lockSeconds * 2 ** state.lockouts, rule.maxLockSeconds);
        lockedUntil = new Date(now.getTime() + seconds * 1000);
        lockedNow = await lockCounter(this.db, key, lockedUntil);
      }
      if (lockedUntil && lockedUntil > now) refusals.push({ retryAfterSeconds: Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000), lockedNow });
    }
    if (!refusals.length) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(...refusals.map((r) => r.retryAfterSeconds)), lockedNow: refusals.some((r) => r.lockedNow) };
  }

  /** The attempt succeeded: the account starts afresh, the address gets its attempt back. */
  async succeeded(account: AttemptKey, address: AttemptKey): Promise<void> {
    await clearCounter(this.db, account.key);
    await uncountAttempt(this.db, address.key);
  }

  /** Clears an account's count (an administrator's reset, for example). */
  async clear(key: AttemptKey): Promise<void> {
    await clearCounter(this.db, key.key);
  }
}
