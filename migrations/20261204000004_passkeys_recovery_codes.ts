import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // WebAuthn credentials, stored as simplewebauthn recommends.
  await knex.schema.createTable('passkeys', (t) => {
    t.text('id').primary(); // credential id, base64url
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('cascade');
    t.text('name').notNullable();
    t.text('public_key').notNullable(); // COSE public key, base64url
    t.bigInteger('counter').notNullable().defaultTo(0);
    t.jsonb('transports').notNullable().defaultTo('[]');
    t.text('device_type').notNullable(); // singleDevice | multiDevice
    t.boolean('backed_up').notNullable();
    t.text('aaguid');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('last_used_at', { useTz: true });
    t.index(['user_id']);
  });

  // Recovery codes: HMAC-SHA256 under a key derived from SECRET_KEY, so a
  // copy of the table alone does not allow guessing them offline.
  await knex.schema.createTable('recovery_codes', (t) => {
    t.bigIncrements('id');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('cascade');
    t.text('code_hmac').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.unique(['user_id', 'code_hmac']);
  });

  // Single-use WebAuthn challenges, keyed by what they are for.
  await knex.schema.createTable('webauthn_challenges', (t) => {
    t.text('key').primary();
    t.text('challenge').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['webauthn_challenges', 'recovery_codes', 'passkeys']) await knex.schema.dropTableIfExists(table);
}
