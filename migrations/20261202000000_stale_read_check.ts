import type { Knex } from 'knex';

/**
 * PostgreSQL: stale_read_unless(ok), which fails its statement with SQLSTATE SR001 unless `ok`
 * is true (false and NULL fail). A write planned on a read made outside its transaction (a
 * syncLead's checked step) is sent with a check of that read, in the same message
 * (data-access/sql/read-expectation.ts): a check that does not hold must stop the rest of
 * the step, and a statement can only do that by failing. The code is one PostgreSQL never
 * uses (class SR is left to implementations), so that it is never taken for a conflict to
 * retry or an unavailable server; unit-of-work.ts reads it as StaleRead. SQLite checks the
 * same reads on its writer thread and needs nothing stored.
 */
export async function up(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return;
  await knex.raw(`
    CREATE FUNCTION stale_read_unless(ok boolean) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      IF ok IS NOT TRUE THEN
        RAISE EXCEPTION 'the rows a write was planned on changed since they were read'
          USING ERRCODE = 'SR001';
      END IF;
      RETURN true;
    END $$`);
}

export async function down(knex: Knex): Promise<void> {
  if ((knex.client as { dialect?: string }).dialect !== 'postgresql') return;
  await knex.raw('DROP FUNCTION IF EXISTS stale_read_unless(boolean)');
}
