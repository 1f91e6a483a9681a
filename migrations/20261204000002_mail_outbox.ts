import type { Knex } from 'knex';

// The transactional outbox: a mail is a row written in the same transaction
// as the change that caused it, and the sender delivers it afterwards.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (t) => {
    t.bigIncrements('id');
    t.text('to').notNullable();
    t.text('from').notNullable();
    t.text('subject').notNullable();
    t.text('text').notNullable();
    t.text('html').notNullable();
    t.text('template').notNullable();
    // No foreign keys: mail about a deleted user or a spent link is kept.
    t.uuid('user_id');
    t.text('action_link_id');
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.timestamp('lease_until', { useTz: true });
    t.text('last_error');
    t.text('provider_message_id');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true });
    t.index(['user_id', 'id']);
    t.index(['action_link_id', 'id']);
    t.index(['status', 'created_at']);
  });
  await knex.raw("alter table mail_outbox add constraint mail_outbox_status_check check (status in ('pending', 'sending', 'sent', 'failed'))");
  // What the sender scans every second: due mail in order, and leases to check.
  await knex.raw("create index mail_outbox_due on mail_outbox (next_attempt_at, id) where status = 'pending'");
  await knex.raw("create index mail_outbox_leased on mail_outbox (lease_until) where status = 'sending'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mail_outbox');
}
