import type { Knex } from 'knex';

/**
 * Fewer index entries per person written. An unsubscribe that reaches N people updates N rows
 * of leads (their flag, updated_at and change_seq), and every index entry those rows carry is
 * written again (PostgreSQL writes one in every index for an update that changes an indexed
 * column; SQLite in every index holding a changed column):
 *
 * - leads_email_key_updated_idx (email_key, updated_at) is read by nothing since "the latest
 *   person of an address" became the highest change_seq (leads_email_key_change_seq_idx, which
 *   also serves every lookup by address).
 * - The unique index of foreign_sys_person_id holds a NULL entry for every person without a
 *   foreign id, most of them. Uniqueness never concerned NULLs (distinct on both engines) and
 *   every lookup compares the column to a value, so the index holds the ids only.
 *
 * Both only drop or rebuild indexes over existing, already unique values: safe on stored data
 * both ways.
 */
const FOREIGN_ID_INDEX = 'leads_foreign_sys_person_id_unique';

const isPostgres = (knex: Knex) => (knex.client as { dialect?: string }).dialect === 'postgresql';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.dropIndex(['email_key', 'updated_at'], 'leads_email_key_updated_idx');
  });
  // PostgreSQL holds it as a constraint (knex's unique()), SQLite as an index of that name.
  if (isPostgres(knex)) await knex.raw(`ALTER TABLE leads DROP CONSTRAINT ${FOREIGN_ID_INDEX}`);
  else await knex.raw(`DROP INDEX ${FOREIGN_ID_INDEX}`);
  await knex.raw(
    `CREATE UNIQUE INDEX ${FOREIGN_ID_INDEX} ON leads (foreign_sys_person_id)
     WHERE foreign_sys_person_id IS NOT NULL`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX ${FOREIGN_ID_INDEX}`);
  await knex.schema.alterTable('leads', (t) => {
    t.unique(['foreign_sys_person_id'], { indexName: FOREIGN_ID_INDEX });
    t.index(['email_key', 'updated_at'], 'leads_email_key_updated_idx');
  });
}

// Rolling back rebuilds indexes only: no data is lost.
export const rollbackDestroysData = false;
