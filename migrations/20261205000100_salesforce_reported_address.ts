import type { Knex } from 'knex';
// joinedKey: the key of this version (20261206004000 re-keys from it).
import { joinedKey, MAX_EMAIL_LENGTH } from '../src/domain/email-key.js';

/**
 * salesforce_records.email_key: the key of the Email its record was last reported with (null:
 * none, or empty). A late untick looks up the other records reported opted out at its address
 * by it (SalesforceSyncService.newerOptOutInSalesforce), besides those of the people holding
 * the address here: a record whose person was deleted here, or moved here to another address,
 * still holds the address in Salesforce, and its newer opt-out still stands.
 *
 * Filled from reported_fields a page at a time, by the email key function of this version
 * (the re-keyings before it, 20261203001100 and 20261204000100, ran first). A later change of
 * that function must re-key this column too: migrations/rekeying.ts re-keys people, master
 * statuses and their history, not this.
 */
const PAGE = 500;

function reportedKey(reportedFields: string): string | null {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(reportedFields || '{}') as Record<string, unknown>;
  } catch {
    return null;
  }
  const email = fields.Email;
  if (typeof email !== 'string' || email.trim() === '') return null;
  const key = joinedKey(email);
  return key.length <= MAX_EMAIL_LENGTH ? key : null;
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('salesforce_records', (t) => {
    t.string('email_key', 254).nullable();
    t.index(['email_key'], 'salesforce_records_email_key_idx');
  });
  for (let after = ''; ;) {
    const rows = (await knex('salesforce_records')
      .select('record_id', 'reported_fields')
      .where('record_id', '>', after)
      .orderBy('record_id')
      .limit(PAGE)) as Array<{ record_id: string; reported_fields: string }>;
    if (rows.length === 0) break;
    for (const r of rows) {
      const key = reportedKey(r.reported_fields);
      if (key !== null)
        await knex('salesforce_records').where('record_id', r.record_id).update({ email_key: key });
    }
    after = rows[rows.length - 1]!.record_id;
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('salesforce_records', (t) => {
    t.dropIndex(['email_key'], 'salesforce_records_email_key_idx');
    t.dropColumn('email_key');
  });
}
