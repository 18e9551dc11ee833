import type { Knex } from 'knex';

/**
 * console_jobs.file_name: the name of the file an import read, as the console's upload sent it
 * (importFileName keeps at most 200 characters; 255 leaves room). Null for the imports before
 * it, and for jobs that read no file.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('console_jobs', (t) => {
    t.string('file_name', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('console_jobs', (t) => {
    t.dropColumn('file_name');
  });
}
