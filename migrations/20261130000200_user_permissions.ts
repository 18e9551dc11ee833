import type { Knex } from 'knex';

// Per-user permissions. The defaults give every user stored before them full access, as before.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mktows_users', (t) => {
    t.boolean('read_only').notNullable().defaultTo(false);
    t.boolean('may_delete').notNullable().defaultTo(true);
    // JSON array of partition names; null: every partition.
    t.text('partitions').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mktows_users', (t) => {
    t.dropColumn('read_only');
    t.dropColumn('may_delete');
    t.dropColumn('partitions');
  });
}
