// The one database handle. Embedded PGlite under DATA_DIR by default, a
// Postgres server when DATABASE_URL is set; the SQL is the same.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexModule, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Config } from '../config.ts';
import { acquireDirectoryLock, type DirectoryLock } from './lock.ts';
import { migrationSource } from './migrations.ts';

export type Db = Knex;
export type Database = { knex: Knex; embedded: boolean; close(): Promise<void> };

const createKnex = (knexModule as unknown as { knex: typeof knexModule }).knex;

function knexConfig(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Knex.Config {
  if (config.databaseUrl) {
    return { client: 'pg', connection: config.databaseUrl, pool: { min: 0, max: 10 } };
  }
  return {
    client: ClientPgLite as unknown as Knex.Config['client'],
    dialect: 'postgres',
    connection: { filename: path.join(config.dataDir, 'pglite') },
  } as Knex.Config;
}

/** Opens the database and brings its schema up to date. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>, options: { migrate?: boolean } = {}): Promise<Database> {
  let lock: DirectoryLock | null = null;
  if (!config.databaseUrl) {
    mkdirSync(config.dataDir, { recursive: true });
    lock = acquireDirectoryLock(path.join(config.dataDir, 'pglite.lock'), path.join(config.dataDir, 'pglite'));
  }
  const knex = createKnex(knexConfig(config));
  try {
    if (options.migrate !== false) await migrate(knex);
  } catch (error) {
    await knex.destroy();
    lock?.release();
    throw error;
  }
  return {
    knex,
    embedded: !config.databaseUrl,
    async close() {
      await knex.destroy();
      lock?.release();
    },
  };
}

export async function migrate(knex: Knex): Promise<string[]> {
  const latest = async () => ((await knex.migrate.latest({ migrationSource })) as [number, string[]])[1];
  // PGlite has one connection, and the lock file keeps it to one process.
  if (knex.client.config.client !== 'pg') return latest();
  // Processes starting together on one Postgres take turns: knex's own
  // migration lock fails rather than waits, and creating its tables races.
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['govlink-idp migrations']);
    return latest();
  });
}
