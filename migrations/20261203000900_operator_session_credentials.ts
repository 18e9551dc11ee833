import type { Knex } from 'knex';

/**
 * A session of an ADMIN_USERS operator keeps a tag of the password it was opened with, so that
 * changing that password (the pair in ADMIN_USERS, then a restart) ends the older sessions.
 * Sessions opened before this column existed have none: an ADMIN_USERS operator logs in once
 * more after the upgrade; a stored operator's sessions go on.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operator_sessions', (t) => {
    t.string('credential_tag', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('operator_sessions', (t) => {
    t.dropColumn('credential_tag');
  });
}
