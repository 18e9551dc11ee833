import type { Knex } from 'knex';

/**
 * email_status.salesforce_opted_out: a Salesforce record holding the address has been reported
 * opted out. From then on every opt-out of the address by another path is recorded in its
 * master status, though the address is unsubscribed already, so that the record's untick,
 * made before that opt-out and delivered after it, is refused (acknowledged-opt-outs.ts).
 * Never cleared: a flag left set costs only a status row per later opt-out.
 *
 * Addresses whose Salesforce records are reported opted out already take it here.
 * email_status_history gets the column too: it holds every column of email_status, so that a
 * status row read whole is written there as it is (migrations/rekeying.ts); status writes name
 * their columns and leave it false there.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.boolean('salesforce_opted_out').notNullable().defaultTo(false);
    });
  }
  const reportedOptedOut = knex('leads as l')
    .join('salesforce_records as r', 'r.record_id', 'l.foreign_sys_person_id')
    .where('l.foreign_sys_type', 'SFDC')
    .whereNotNull('l.email_key')
    // reported_fields is JSON.stringify's text: no space after the colon.
    .andWhere('r.reported_fields', 'like', '%"Unsubscribed":"true"%')
    .select('l.email_key');
  await knex('email_status')
    .whereIn('email_key', reportedOptedOut)
    .update({ salesforce_opted_out: true });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('salesforce_opted_out');
    });
  }
}
