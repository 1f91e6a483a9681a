import type { Db } from '../db/index.ts';

export type CounterState = { failures: number; lockouts: number; lockedUntil: Date | null };

/**
 * Counts one attempt under `key` in a single atomic statement, before the
 * credential is checked: parallel requests each get their own number, so
 * none can slip past the limit. A window that has passed, or a lock that has
 * run out, starts the count again; a lock still running leaves it alone.
 */
export async function countAttempt(db: Db, key: string, now: Date, windowSeconds: number, quietSeconds: number): Promise<CounterState> {
  const windowStart = new Date(now.getTime() - windowSeconds * 1000);
  const quietStart = new Date(now.getTime() - quietSeconds * 1000);
  const result = await db.raw(
    `insert into attempt_counters as c (key, failures, lockouts, window_started_at, locked_until, updated_at)
     values (:key, 1, 0, :now, null, :now)
     on conflict (key) do update set
       failures = case
         when c.locked_until > :now then c.failures
         when c.locked_until is not null or c.window_started_at <= :windowStart then 1
         else c.failures + 1 end,
       window_started_at = case
         when c.locked_until > :now then c.window_started_at
         when c.locked_until is not null or c.window_started_at <= :windowStart then :now
         else c.window_started_at end,
       lockouts = case when c.updated_at <= :quietStart then 0 else c.lockouts end,
       locked_until = case when c.locked_until > :now then c.locked_until else null end,
       updated_at = :now
     returning failures, lockouts, locked_until`,
    { key, now, windowStart, quietStart },
  );
  const row = (result.rows as { failures: number; lockouts: number; locked_until: Date | null }[])[0]!;
  return { failures: row.failures, lockouts: row.lockouts, lockedUntil: row.locked_until };
}

/** Sets a lock unless one is already running; returns whether this call set it. */
export async function lockCounter(db: Db, key: string, until: Date): Promise<boolean> {
  const rows = await db('attempt_counters')
    .where({ key })
    .whereNull('locked_until')
    .update({ locked_until: until, lockouts: db.raw('lockouts + 1') })
    .returning('key');
  return rows.length === 1;
}

/** Gives back one counted attempt (it succeeded). */
export async function uncountAttempt(db: Db, key: string): Promise<void> {
  await db('attempt_counters').where({ key }).where('failures', '>', 0).update({ failures: db.raw('failures - 1') });
}

export async function clearCounter(db: Db, key: string): Promise<void> {
  await db('attempt_counters').where({ key }).delete();
}
