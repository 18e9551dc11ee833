import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every Salesforce outbound notification handled, so that a retry of it is acknowledged and
  // ignored. Salesforce retries for at most 24 hours; the listener forgets rows after 7 days.
  await knex.schema.createTable('salesforce_notifications', (t) => {
    t.string('notification_id', 18).primary();
    t.string('organization_id', 18).notNullable();
    t.string('record_id', 18).notNullable();
    // APPLIED or STALE (older than a change already applied to the record).
    t.string('outcome', 16).notNullable();
    t.integer('lead_id').nullable();
    t.bigInteger('received_at').notNullable();
    t.index(['received_at'], 'salesforce_notifications_received_idx');
  });

  // Per Salesforce record: the newest change applied (its modstamp) and the field values
  // Salesforce last reported, so that only what changed in Salesforce is applied here.
  await knex.schema.createTable('salesforce_records', (t) => {
    t.string('record_id', 18).primary();
    t.string('object_type', 40).notNullable();
    t.bigInteger('changed_at').nullable();
    // JSON object: this service's field name → last reported value (null: empty in Salesforce).
    t.text('reported_fields').notNullable().defaultTo('{}');
    t.string('last_notification_id', 18).nullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('salesforce_records');
  await knex.schema.dropTable('salesforce_notifications');
}
