import type { Knex } from 'knex';

/**
 * leads.change_seq: the order in which changes were applied to people, from a sequence rather
 * than the clock. "The most recently updated person of an address" (what a sync matched by
 * email changes) is the one with the highest change_seq: two changes within the same
 * millisecond (one syncMultipleLeads, one SQLite group commit) keep the order they were made
 * in, where equal timestamps would fall back to the highest id.
 */
export async function up(knex: Knex): Promise<void> {
  const postgres = (knex.client as { dialect?: string }).dialect === 'postgresql';
  await knex.schema.alterTable('leads', (t) => {
    t.bigInteger('change_seq').notNullable().defaultTo(0);
  });
  // Existing people keep the order they had: by update time, then id.
  // One pass (UPDATE … FROM, PostgreSQL and SQLite ≥ 3.33), not a subquery per row.
  await knex.raw(
    `UPDATE leads SET change_seq = r.n
     FROM (SELECT id, row_number() OVER (ORDER BY updated_at, id) AS n FROM leads) AS r
     WHERE r.id = leads.id`,
  );
  await knex.schema.alterTable('leads', (t) => {
    t.index(['email_key', 'change_seq'], 'leads_email_key_change_seq_idx');
    // SQLite takes the next value as max(change_seq) + 1 (writers are serialised there).
    if (!postgres) t.index(['change_seq'], 'leads_change_seq_idx');
  });
  if (postgres) {
    await knex.raw('CREATE SEQUENCE leads_change_seq AS bigint');
    await knex.raw(
      "SELECT setval('leads_change_seq', (SELECT coalesce(max(change_seq), 0) + 1 FROM leads), false)",
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  const postgres = (knex.client as { dialect?: string }).dialect === 'postgresql';
  if (postgres) await knex.raw('DROP SEQUENCE IF EXISTS leads_change_seq');
  await knex.schema.alterTable('leads', (t) => {
    t.dropIndex(['email_key', 'change_seq'], 'leads_email_key_change_seq_idx');
    if (!postgres) t.dropIndex(['change_seq'], 'leads_change_seq_idx');
    t.dropColumn('change_seq');
  });
}
