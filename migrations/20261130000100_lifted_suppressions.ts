import type { Knex } from 'knex';

/**
 * What a re-subscribe lifted: the reason and date of the suppression it ended, kept with the
 * master status and its history (explain, the operator pages).
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.text('lifted_reason').nullable();
      t.bigInteger('lifted_at').nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('lifted_at');
      t.dropColumn('lifted_reason');
    });
  }
}
