import type { Knex } from 'knex';

/**
 * operator_sessions.client_address and user_agent: where a session was opened from (the client
 * address as the console sees it, TRUST_PROXY applied) and its browser's User-Agent, shortened,
 * so that an operator's sessions page (and `operators sessions NAME`) can tell its logins
 * apart. Sessions opened before these columns existed have neither: shown as not recorded.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operator_sessions', (t) => {
    t.string('client_address', 64).nullable();
    t.string('user_agent', 200).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operator_sessions', (t) => {
    t.dropColumn('client_address');
    t.dropColumn('user_agent');
  });
}
