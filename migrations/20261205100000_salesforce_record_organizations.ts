import type { Knex } from 'knex';

/**
 * salesforce_records.organization_id: the organisation whose notifications the row's state
 * comes from (its 18-character id). A record is the pair (organisation, record id): a sandbox
 * keeps its production's record ids, and with both organisations in SFDC_ORG_IDS one org's
 * report must not stand for the other's (its change order calling the other's changes stale,
 * its opt-out taken as the other's box seen ticked). The table is rebuilt: its primary key was
 * the record id alone, and SQLite cannot change a primary key in place.
 *
 * Existing rows: the organisation of the notification each row was last changed by, when
 * salesforce_notifications still holds it (7 days); otherwise null. Null: reported before
 * organisations were kept, by an organisation now unknown; the first organisation to report
 * the record after this upgrade takes the row over (SalesforceNotificationRepository.lockRecord).
 */
const PAGE = 500;

type Row = Record<string, unknown>;

const columns = (t: Knex.CreateTableBuilder) => {
  t.string('record_id', 18).notNullable();
  t.string('object_type', 40).notNullable();
  t.bigInteger('changed_at').nullable();
  t.text('reported_fields').notNullable().defaultTo('{}');
  t.string('last_notification_id', 18).nullable();
  t.bigInteger('updated_at').notNullable();
  t.string('email_key', 254).nullable();
};

const kept = (r: Row) => ({
  record_id: r.record_id,
  object_type: r.object_type,
  changed_at: r.changed_at,
  reported_fields: r.reported_fields,
  last_notification_id: r.last_notification_id,
  updated_at: r.updated_at,
  email_key: r.email_key,
});

/**
 * The 18-character form of an organisation id as salesforce_notifications holds it (as its
 * message spelt it, the case of an 18-character id already restored): each suffix character
 * records which of 5 characters of the first 15 are upper-case letters. Written out here, not
 * imported: a migration does the same on every database it meets.
 */
function organizationOf(raw: unknown): string | null {
  if (typeof raw !== 'string' || !/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(raw)) return null;
  const base = raw.slice(0, 15);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) if (/[A-Z]/.test(base.charAt(chunk * 5 + i))) bits |= 1 << i;
    suffix += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'.charAt(bits);
  }
  return base + suffix;
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('salesforce_records_by_org', (t) => {
    t.string('organization_id', 18).nullable();
    columns(t);
  });
  for (let after = ''; ;) {
    const rows = (await knex('salesforce_records as r')
      .leftJoin('salesforce_notifications as n', 'n.notification_id', 'r.last_notification_id')
      .select('r.*', 'n.organization_id as reported_by')
      .where('r.record_id', '>', after)
      .orderBy('r.record_id')
      .limit(PAGE)) as Row[];
    if (rows.length === 0) break;
    await knex('salesforce_records_by_org').insert(
      rows.map((r) => ({ organization_id: organizationOf(r.reported_by), ...kept(r) })),
    );
    after = rows[rows.length - 1]!.record_id as string;
  }
  await knex.schema.dropTable('salesforce_records');
  await knex.schema.renameTable('salesforce_records_by_org', 'salesforce_records');
  await knex.schema.alterTable('salesforce_records', (t) => {
    t.unique(['organization_id', 'record_id'], { indexName: 'salesforce_records_org_record_key' });
    t.index(['record_id'], 'salesforce_records_record_idx');
    t.index(['email_key'], 'salesforce_records_email_key_idx');
  });
}

/** Back to one row per record id: of the organisations' rows of one id, the last updated. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.createTable('salesforce_records_by_id', (t) => {
    columns(t);
    t.primary(['record_id']);
  });
  for (let after = ''; ;) {
    const rows = (await knex('salesforce_records')
      .where('record_id', '>', after)
      .orderBy('record_id')
      .orderBy('updated_at', 'desc')
      .limit(PAGE)) as Row[];
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!.record_id as string;
    // A page ends with every row of its last id, so that the newest of them is the one kept.
    const whole = (await knex('salesforce_records')
      .where('record_id', last)
      .orderBy('updated_at', 'desc')) as Row[];
    const byId = new Map<string, Row>();
    for (const r of [...rows.filter((r) => r.record_id !== last), ...whole])
      if (!byId.has(r.record_id as string)) byId.set(r.record_id as string, r);
    await knex('salesforce_records_by_id').insert([...byId.values()].map(kept));
    after = last;
  }
  await knex.schema.dropTable('salesforce_records');
  await knex.schema.renameTable('salesforce_records_by_id', 'salesforce_records');
  await knex.schema.alterTable('salesforce_records', (t) => {
    t.index(['email_key'], 'salesforce_records_email_key_idx');
  });
}
