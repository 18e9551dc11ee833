import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('operators', (t) => {
    t.string('name', 64).primary();
    // scrypt$N$r$p$salt$hash: the parameters travel with the hash so they can be raised later.
    t.string('password_hash', 255).notNullable();
    t.bigInteger('created_at').notNullable();
  });

  // Sessions live in the database so that any instance sharing it can serve any operator.
  await knex.schema.createTable('operator_sessions', (t) => {
    // SHA-256 of the cookie's token: a copy of this table does not let anyone log in.
    t.string('token_hash', 64).primary();
    t.string('operator_name', 64).notNullable();
    t.string('csrf_token', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['operator_name'], 'operator_sessions_operator_idx');
    t.index(['expires_at'], 'operator_sessions_expires_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('operator_sessions');
  await knex.schema.dropTable('operators');
}
