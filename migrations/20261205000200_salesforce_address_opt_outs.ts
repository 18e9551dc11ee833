import type { Knex } from 'knex';
import { MAX_MODSTAMP_AHEAD_MS } from '../src/domain/salesforce-notification.js';

/**
 * salesforce_address_opt_outs: per address (its email key), the newest change order at which a
 * Salesforce record was reported opted out with it. A record's own row (salesforce_records)
 * holds only its last report: once the record is reported at another address, its opt-out of
 * this one, acknowledged here, would be forgotten, and a late untick of another record of this
 * address, older than that opt-out, would re-subscribe it
 * (SalesforceSyncService.newerOptOutInSalesforce reads both).
 *
 * Filled from what each record was last reported with (email_key, 20261205000100, and its
 * change order): an address a record was reported away from before this upgrade is not known.
 * A change order ahead of the clock (stored by an older version) proves nothing and is left
 * out. The key is an email key: a later change of the email key function must re-key this
 * table too (migrations/rekeying.ts re-keys people, master statuses and their history only),
 * keeping the newest order of the rows it merges.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('salesforce_address_opt_outs', (t) => {
    t.string('email_key', 254).primary();
    t.bigInteger('changed_at').notNullable();
  });
  const reportedOptedOut = knex('salesforce_records')
    .select('email_key')
    .max({ changed_at: 'changed_at' })
    .whereNotNull('email_key')
    .whereNotNull('changed_at')
    .andWhere('changed_at', '<=', Date.now() + MAX_MODSTAMP_AHEAD_MS)
    // reported_fields is JSON.stringify's text: no space after the colon.
    .andWhere('reported_fields', 'like', '%"Unsubscribed":"true"%')
    .groupBy('email_key');
  await knex('salesforce_address_opt_outs').insert(reportedOptedOut);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('salesforce_address_opt_outs');
}
