import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organisations', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create unique index organisations_name_unique on organisations (lower(name))');

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('id').inTable('organisations').onDelete('restrict');
    t.text('email').notNullable().unique();
    t.text('name').notNullable().defaultTo('');
    t.text('role').notNullable().defaultTo('user');
    t.text('status').notNullable().defaultTo('invited');
    t.text('password_hash');
    t.timestamp('password_changed_at', { useTz: true });
    // false after an administrator's OTP reset: only the emailed link may enrol.
    t.boolean('otp_setup_at_sign_in').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['org_id']);
  });
  await knex.raw("alter table users add constraint users_role_check check (role in ('user', 'org_admin', 'super_admin'))");
  await knex.raw("alter table users add constraint users_status_check check (status in ('invited', 'active', 'disabled'))");
  await knex.raw('alter table users add constraint users_email_lowercase check (email = lower(email))');

  // One confirmed TOTP authenticator per user. last_used_step makes every
  // accepted code single-use: a code is accepted only for a later step.
  await knex.schema.createTable('totp_authenticators', (t) => {
    t.uuid('user_id').primary().references('id').inTable('users').onDelete('cascade');
    t.text('secret_sealed').notNullable();
    t.bigInteger('last_used_step');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // The half-finished sign-in: password checked, second factor not yet.
  await knex.schema.createTable('pending_logins', (t) => {
    t.text('interaction_uid').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('cascade');
    t.timestamp('password_verified_at', { useTz: true }).notNullable();
    t.text('enrolment_secret_sealed');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('attempt_counters', (t) => {
    t.text('key').primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.integer('lockouts').notNullable().defaultTo(0);
    t.timestamp('window_started_at', { useTz: true }).notNullable();
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('oidc_payloads', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('user_code');
    t.text('uid');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('oidc_clients', (t) => {
    t.text('client_id').primary();
    t.jsonb('metadata').notNullable();
    t.text('secret_sealed');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Signing keys and cookie keys, private parts sealed with SECRET_KEY.
  await knex.schema.createTable('key_material', (t) => {
    t.text('kid').primary();
    t.text('kind').notNullable();
    t.text('alg');
    t.text('sealed').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('type').notNullable();
    t.uuid('actor_user_id');
    t.text('actor_client_id');
    t.uuid('target_user_id');
    t.uuid('org_id');
    t.text('ip');
    t.text('user_agent');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['target_user_id', 'at']);
    t.index(['org_id', 'at']);
  });
  // Append-only: the audit log cannot be edited or deleted through SQL.
  await knex.raw(`create function audit_events_append_only() returns trigger language plpgsql as $$
    begin raise exception 'audit_events is append-only'; end $$`);
  await knex.raw(`create trigger audit_events_no_change before update or delete on audit_events
    for each row execute function audit_events_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit_events', 'key_material', 'oidc_clients', 'oidc_payloads', 'attempt_counters', 'pending_logins', 'totp_authenticators', 'users', 'organisations']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop function if exists audit_events_append_only');
}
