import type { Knex } from 'knex';

/**
 * email_status.opt_outs_recorded_since: from when every opt-out of the address by a path other
 * than Salesforce is recorded in its master status, though the address is unsubscribed already
 * (acknowledged-opt-outs.ts); null: not recorded so. Set when a Salesforce record holding the
 * address is first reported opted out, and never changed after: a Salesforce untick made
 * before it cannot be compared with what other paths acknowledged before it, and is not applied
 * (SalesforceSyncService.keepNewerOptOut).
 *
 * Addresses whose Salesforce records are reported opted out already take the time of this
 * upgrade. email_status_history gets the column too: it holds every column of email_status, so
 * that a status row read whole is written there as it is (migrations/rekeying.ts); status
 * writes name their columns and leave it null there.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.bigInteger('opt_outs_recorded_since').nullable();
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
    .update({ opt_outs_recorded_since: Date.now() });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['email_status', 'email_status_history']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('opt_outs_recorded_since');
    });
  }
}
