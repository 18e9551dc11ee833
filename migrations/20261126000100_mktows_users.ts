import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mktows_users', (t) => {
    t.string('user_id', 128).primary();
    // The HMAC needs the key itself; protecting it at rest is the database's job for now.
    t.string('encryption_key', 256).notNullable();
    t.string('description', 255).nullable();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mktows_users');
}
