import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Emailed links: only the SHA-256 of the token is kept. A link is live while
  // it is unused, not superseded and not expired.
  await knex.schema.createTable('action_links', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('cascade');
    t.text('kind').notNullable();
    t.text('token_hash').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('superseded_at', { useTz: true });
    t.timestamp('expiry_recorded_at', { useTz: true });
    t.uuid('created_by_user_id');
    t.text('created_by_client_id');
    t.index(['user_id', 'kind']);
  });
  await knex.raw("alter table action_links add constraint action_links_kind_check check (kind in ('invitation', 'password_reset', 'otp_reset'))");
  // Ending a user's sessions and tokens looks them up by account.
  await knex.raw("create index oidc_payloads_account_id on oidc_payloads ((payload->>'accountId'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists oidc_payloads_account_id');
  await knex.schema.dropTableIfExists('action_links');
}
