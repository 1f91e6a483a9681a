// Migrations are the TypeScript modules in migrations/, applied in file-name
// order. Listing them ourselves keeps knex from guessing how to load .ts files.
import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';

const directory = new URL('../../migrations/', import.meta.url);

type Migration = { up(knex: Knex): Promise<void>; down?(knex: Knex): Promise<void> };

export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return readdirSync(directory)
      .filter((name) => /^\d+_[\w-]+\.ts$/.test(name))
      .sort();
  },
  getMigrationName(name) {
    return name;
  },
  async getMigration(name) {
    const migration = (await import(new URL(name, directory).href)) as Migration;
    return { up: migration.up, down: migration.down ?? (async () => {}) };
  },
};
