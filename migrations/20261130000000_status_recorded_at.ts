import type { Knex } from 'knex';

/**
 * When each master status was recorded here, apart from the date it carries (an imported
 * suppression may be backdated to when the person asked): incremental exports select on it,
 * so a backdated import still reaches the next export.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.bigInteger('recorded_at').nullable();
    });
    await knex(table).update({ recorded_at: knex.ref('changed_at') });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('recorded_at');
    });
  }
}

// Rolling back forgets only when backdated imports were recorded; statuses and history stay.
export const rollbackDestroysData = false;
