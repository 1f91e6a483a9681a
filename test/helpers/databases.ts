// Databases for storage and CLI tests: a fresh embedded PGlite directory, or a
// throwaway database on a Postgres server. Both kinds are tested in every
// run; the run's own kind is the one DATABASE_URL selects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { throwawayDatabase } from './server.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The kind of database this test run uses: Postgres when DATABASE_URL is set. */
export const runKind: DatabaseKind = process.env.DATABASE_URL ? 'postgres' : 'pglite';

/** The server throwaway Postgres databases are made on: DATABASE_URL, or the local one. */
export const postgresBaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresBaseUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Where a fresh database lives: `databaseUrl` for Postgres, always a DATA_DIR of its own. */
export type FreshDatabase = { kind: DatabaseKind; dataDir: string; databaseUrl: string | undefined; remove(): Promise<void> };

export async function freshDatabase(kind: DatabaseKind): Promise<FreshDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `govlink-${kind}-`));
  const throwaway = kind === 'postgres' ? await throwawayDatabase(postgresBaseUrl) : undefined;
  return {
    kind,
    dataDir,
    databaseUrl: throwaway?.url,
    async remove() {
      await throwaway?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
