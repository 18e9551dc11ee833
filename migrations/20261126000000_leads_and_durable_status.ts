import type { Knex } from 'knex';

// Standard attribute columns, frozen as of this migration; later fields come in later migrations.
const STRING_COLUMNS = [
  'salutation',
  'first_name',
  'middle_name',
  'last_name',
  'title',
  'company',
  'industry',
  'phone',
  'mobile_phone',
  'fax',
  'website',
  'city',
  'state',
  'country',
  'postal_code',
  'lead_source',
  'lead_status',
  'email_invalid_cause',
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('leads', (t) => {
    t.increments('id').primary();
    t.string('email', 254).nullable();
    t.string('email_key', 254).nullable();
    t.string('partition', 64).notNullable().defaultTo('Default');
    t.string('foreign_sys_person_id', 255).nullable().unique();
    t.string('foreign_sys_type', 16).nullable();
    for (const c of STRING_COLUMNS) t.string(c, 255).nullable();
    t.text('address').nullable();
    t.integer('lead_score').nullable();
    t.integer('number_of_employees').nullable();
    t.double('annual_revenue').nullable();
    t.string('date_of_birth', 10).nullable();
    t.boolean('do_not_call').nullable();
    t.boolean('email_invalid').nullable();
    t.boolean('unsubscribed').notNullable().defaultTo(false);
    t.text('unsubscribed_reason').nullable();
    t.text('custom_attributes').notNullable().defaultTo('{}');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['email_key', 'updated_at'], 'leads_email_key_updated_idx');
    t.index(['updated_at', 'id'], 'leads_updated_idx');
  });

  await knex.schema.createTable('email_status', (t) => {
    t.string('email_key', 254).primary();
    t.boolean('unsubscribed').notNullable();
    t.text('reason').nullable();
    t.string('source', 128).notNullable();
    t.integer('lead_id').nullable();
    t.bigInteger('changed_at').notNullable();
  });

  await knex.schema.createTable('email_status_history', (t) => {
    t.increments('id').primary();
    t.string('email_key', 254).notNullable();
    t.boolean('unsubscribed').notNullable();
    t.text('reason').nullable();
    t.string('source', 128).notNullable();
    t.integer('lead_id').nullable();
    t.bigInteger('changed_at').notNullable();
    t.index(['email_key', 'id'], 'email_status_history_key_idx');
  });

  await knex.schema.createTable('activities', (t) => {
    t.increments('id').primary();
    t.integer('lead_id').notNullable();
    t.string('activity_type', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.string('attribute_name', 128).nullable();
    t.text('old_value').nullable();
    t.text('new_value').nullable();
    t.text('reason').nullable();
    t.string('source', 128).nullable();
    t.string('asset_name', 255).nullable();
    // Extra attributes in display order, as a JSON array of [name, value] pairs.
    t.text('extra').nullable();
    t.index(['lead_id', 'id'], 'activities_lead_idx');
    t.index(['created_at', 'id'], 'activities_created_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('activities');
  await knex.schema.dropTable('email_status_history');
  await knex.schema.dropTable('email_status');
  await knex.schema.dropTable('leads');
}
