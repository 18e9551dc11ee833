import type { Knex } from 'knex';

/**
 * operator_sessions.last_seen_at: when the session was last used (a request it authenticated),
 * kept to the minute, so that a session left idle for ADMIN_SESSION_IDLE_MINUTES ends. Sessions
 * opened before this column existed have none: their login time stands for it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operator_sessions', (t) => {
    t.bigInteger('last_seen_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operator_sessions', (t) => {
    t.dropColumn('last_seen_at');
  });
}
