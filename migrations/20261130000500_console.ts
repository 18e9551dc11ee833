import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('activities', (t) => {
    // Who made the change (an operator's name, a SOAP user id, "cli"); null before this
    // migration and for changes nobody in particular made.
    t.string('actor', 128).nullable();
    // The person whose change this one followed (a propagated unsubscribe), when there was one.
    t.integer('cause_lead_id').nullable();
  });

  // The console's suppressions list: newest first, keyset-paged.
  await knex.schema.alterTable('email_status', (t) => {
    t.index(['changed_at', 'email_key'], 'email_status_changed_idx');
  });

  // Background work of the console (Change Data Value over many people, suppression imports):
  // each job is cut into batches when it is created; a batch is applied in the same transaction
  // that marks it applied, so a run that stops anywhere resumes without loss or repeat.
  await knex.schema.createTable('console_jobs', (t) => {
    t.increments('id').primary();
    t.string('kind', 32).notNullable();
    t.string('operator', 64).notNullable();
    // queued, running, done, failed
    t.string('state', 16).notNullable();
    // What to do, as JSON (the field and value of a Change Data Value, an import's options).
    t.text('spec').notNullable();
    t.integer('total_items').notNullable().defaultTo(0);
    t.integer('total_batches').notNullable().defaultTo(0);
    // Counts of a job whose work is not in batches (an import), as JSON.
    t.text('progress').nullable();
    t.text('message').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('finished_at').nullable();
    // The instance running it holds it until then, and extends it while it works.
    t.bigInteger('lease_until').notNullable().defaultTo(0);
    t.index(['state', 'id'], 'console_jobs_state_idx');
  });

  await knex.schema.createTable('console_job_batches', (t) => {
    t.integer('job_id').notNullable();
    t.integer('seq').notNullable();
    // The person ids of this batch, as a JSON array.
    t.text('items').notNullable();
    // pending or applied
    t.string('state', 16).notNullable();
    t.integer('changed').notNullable().defaultTo(0);
    t.integer('unchanged').notNullable().defaultTo(0);
    t.integer('failed').notNullable().defaultTo(0);
    // [[personId, why], …] of the failed ones.
    t.text('failures').nullable();
    t.bigInteger('applied_at').nullable();
    t.primary(['job_id', 'seq']);
  });

  // Lines an import refused, for download.
  await knex.schema.createTable('console_job_rejects', (t) => {
    t.integer('job_id').notNullable();
    t.integer('line').notNullable();
    t.text('email').notNullable();
    t.text('why').notNullable();
    t.index(['job_id', 'line'], 'console_job_rejects_job_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('console_job_rejects');
  await knex.schema.dropTable('console_job_batches');
  await knex.schema.dropTable('console_jobs');
  await knex.schema.alterTable('email_status', (t) => {
    t.dropIndex(['changed_at', 'email_key'], 'email_status_changed_idx');
  });
  await knex.schema.alterTable('activities', (t) => {
    t.dropColumn('cause_lead_id');
    t.dropColumn('actor');
  });
}
