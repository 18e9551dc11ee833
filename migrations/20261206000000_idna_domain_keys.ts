import type { Knex } from 'knex';
// joinedKey: the key this migration made (20261206004000 re-keys from it).
import { joinedKey, keyBeforeDomainMapping } from '../src/domain/email-key.js';
import { nonAscii, PAGE, rekeyStoredAddresses, restoreStoredKeys } from './rekeying.js';
import {
  copySalesforceOptOuts,
  rekeySalesforceKeys,
  reportedEmail,
  setSalesforceRecordKey,
  type SalesforceRow,
} from './salesforce-rekeying.js';

/**
 * The email key maps a non-ASCII domain as IDNA does (src/domain/email-key.ts, mappedDomain:
 * NFKC and the case fold, the marks IDNA ignores dropped): `ann@𝐞xample.com`, `ann@ⓔxample.com`
 * and `ann@example.com` are one address. Keys stored by earlier versions are re-keyed here, in
 * the migration's transaction, by the rules of 20261203001100 (migrations/rekeying.ts): only
 * non-ASCII keys can change, and only those (and the rows under the keys they take) are
 * written. Spellings that now share a key merge their master statuses, the most restrictive
 * winning; the people of a subscribed spelling follow the opt-out with an activity "Email key
 * migration". History rows keep the key they had (idna_mapped_from); the old keys of statuses
 * are kept (email_key_idna_mappings) for `down`. The Salesforce keys are re-keyed too
 * (salesforce_records.email_key, and salesforce_address_opt_outs merged, the newest change
 * order kept; its old keys in salesforce_opt_out_idna_mappings).
 *
 * `down` gives each person and Salesforce record its key before the mapping again, every old
 * spelling a copy of the status it was merged into, and every old key of a kept Salesforce
 * opt-out its merged change order; it undoes no unsubscribe.
 */

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('email_status_history', (t) => {
    t.string('idna_mapped_from', 254).nullable();
  });
  for (const table of ['email_key_idna_mappings', 'salesforce_opt_out_idna_mappings'])
    await knex.schema.createTable(table, (t) => {
      t.string('old_key', 254).primary();
      t.string('new_key', 254).notNullable();
    });
  const candidates = (column: string) => nonAscii(knex, column);
  await rekeyStoredAddresses(knex, {
    candidates,
    foldsTable: 'email_key_idna_mappings',
    historyColumn: 'idna_mapped_from',
  });
  await rekeySalesforceKeys(knex, candidates, 'salesforce_opt_out_idna_mappings');
}

export async function down(knex: Knex): Promise<void> {
  // Each person whose key the mapping changed gets its key before it again.
  await restoreStoredKeys(knex, {
    candidates: (column) => nonAscii(knex, column),
    oldKey: keyBeforeDomainMapping,
    madeKey: joinedKey,
    foldsTable: 'email_key_idna_mappings',
    historyColumn: 'idna_mapped_from',
  });

  // Each Salesforce record the key of its reported Email before the mapping (read a page at a
  // time by position: a rollback is rare, and a record id may stand for two organisations').
  for (let offset = 0; ; offset += PAGE) {
    const rows = (await knex('salesforce_records')
      .select('organization_id', 'record_id', 'email_key', 'reported_fields')
      .whereNotNull('email_key')
      .orderBy(['record_id', 'organization_id'])
      .offset(offset)
      .limit(PAGE)) as Array<SalesforceRow>;
    for (const r of rows) {
      const email = reportedEmail(r.reported_fields);
      if (email === null || joinedKey(email) !== r.email_key) continue;
      const old = keyBeforeDomainMapping(email);
      if (old === r.email_key) continue;
      await setSalesforceRecordKey(knex, r, old);
    }
    if (rows.length < PAGE) break;
  }
  // Every old key of a kept opt-out its merged order again (the merged row stays: newer).
  const optOuts = (await knex('salesforce_opt_out_idna_mappings').select(
    'old_key',
    'new_key',
  )) as Array<{ old_key: string; new_key: string }>;
  await copySalesforceOptOuts(
    knex,
    optOuts.map((r) => [r.old_key, r.new_key] as [string, string]),
  );
  for (const table of ['email_key_idna_mappings', 'salesforce_opt_out_idna_mappings'])
    await knex.schema.dropTable(table);
  await knex.schema.alterTable('email_status_history', (t) => {
    t.dropColumn('idna_mapped_from');
  });
}

// Rolling back restores the keys and copies statuses to them; no unsubscribe is undone.
export const rollbackDestroysData = false;
