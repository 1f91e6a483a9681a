// PGlite is a single-process database: two processes opening the same data
// directory would corrupt it. An exclusive lock file holding the owner's pid
// makes the second process stop with a clear message instead.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export type DirectoryLock = { release(): void };

export class DatabaseInUseError extends Error {
  readonly code = 'database_in_use';
}

// The lock files this process holds. A lock file naming our own pid that is
// not listed here was left by an earlier process that had the same pid, as
// happens when a container restarts after a crash.
const held = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDirectoryLock(lockFile: string, what: string): DirectoryLock {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(lockFile);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        held.delete(lockFile);
        process.off('exit', release);
        try {
          if (readFileSync(lockFile, 'utf8') === String(process.pid)) unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (owner && owner !== process.pid && processAlive(owner)) {
        throw new DatabaseInUseError(
          `The embedded database ${what} is in use by another process (pid ${owner}). ` +
            'Only one process may open it: stop that process first (for example the running server), ' +
            'or point both at a Postgres server with DATABASE_URL.',
        );
      }
      if (owner === process.pid && held.has(lockFile)) throw new DatabaseInUseError(`The embedded database ${what} is already open in this process.`);
      unlinkSync(lockFile); // left behind by a process that died
    }
  }
  throw new DatabaseInUseError(`Could not lock the embedded database ${what}.`);
}
